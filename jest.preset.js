const nxPreset = require('@nx/jest/preset').default;

module.exports = {
  ...nxPreset,
  testEnvironment: 'node',
  // Integration tests create databases and vhosts (rabbitmqctl takes seconds on a busy machine).
  testTimeout: 30_000,
  transform: { '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }] },
  moduleFileExtensions: ['ts', 'js'],
  reporters: ['default', require.resolve('./tools/jest-results-reporter.js')],
};
