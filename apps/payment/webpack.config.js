const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('path');

// main.js is the service; telemetry.js is the OpenTelemetry preload that must run first:
//   node --require ./telemetry.js main.js
// node_modules stay external (not bundled), so instrumentation can patch them at require time.
module.exports = {
  output: { path: join(__dirname, '../../dist/apps/payment'), clean: true },
  plugins: [
    new NxAppWebpackPlugin({
      target: 'node',
      compiler: 'tsc',
      main: './src/main.ts',
      additionalEntryPoints: [{ entryName: 'telemetry', entryPath: '../../libs/telemetry/src/preload.ts' }],
      tsConfig: './tsconfig.app.json',
      assets: [{ input: './src/migrations', glob: '*.sql', output: 'migrations' }],
      externalDependencies: 'all',
      optimization: false,
      outputHashing: 'none',
      generatePackageJson: true,
      sourceMap: true,
    }),
  ],
};
