// Pure parts on recorded traces (src/fixtures), and the CLI against a stand-in Jaeger.
module.exports = {
  displayName: 'trace',
  preset: '../../jest.preset.js',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  // The CLI cases start it (npx tsx); a busy machine takes seconds per start.
  testTimeout: 60_000,
};
