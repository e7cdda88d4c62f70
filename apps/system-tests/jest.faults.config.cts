// The fault suite: its own native stack under steady traffic, each fault in turn. It stops and
// starts the machine's Postgres, Redis and RabbitMQ, so it runs alone, after every other test.
module.exports = {
  displayName: 'faults',
  preset: '../../jest.preset.js',
  testMatch: ['<rootDir>/src/faults/**/*.faults.ts'],
  testTimeout: 300_000,
};
