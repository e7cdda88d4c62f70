// The audit CLI, run as people run it, against a real Postgres database and RabbitMQ vhost.
module.exports = {
  displayName: 'audit',
  preset: '../../jest.preset.js',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  // Each case starts the CLI (npx tsx); a busy machine takes seconds per start.
  testTimeout: 60_000,
};
