// The graders on recorded traces; the whole loop against the native stack is a system test
// (apps/system-tests/src/labs.e2e.ts).
module.exports = {
  displayName: 'lab',
  preset: '../../jest.preset.js',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testTimeout: 60_000,
};
