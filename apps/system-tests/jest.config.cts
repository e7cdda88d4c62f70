// The system tests: the whole native stack (six services, the Collector, Jaeger) started once
// for all files by global-setup, or an already running stack when TRACESHOP_GATEWAY_URL is set.
module.exports = {
  displayName: 'system-tests',
  preset: '../../jest.preset.js',
  testMatch: ['<rootDir>/src/**/*.e2e.ts'],
  globalSetup: '<rootDir>/src/global-setup.ts',
  globalTeardown: '<rootDir>/src/global-teardown.ts',
  testTimeout: 120_000,
};
