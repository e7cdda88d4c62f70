// Checks of the container build and the compose file, against the workspace they package.
module.exports = {
  displayName: 'deploy-checks',
  preset: '../../jest.preset.js',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  // build-output.spec.ts starts each of the six services once, one after the other.
  testTimeout: 120_000,
};
