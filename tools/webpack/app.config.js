const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { existsSync } = require('fs');
const { basename, join } = require('path');

/**
 * The build of every service, the same for all six: dist/apps/<app>/ gets
 *   main.js       the service
 *   telemetry.js  the OpenTelemetry preload that must run first: node --require ./telemetry.js main.js
 *   migrations/   its SQL migrations, when it has a database
 * node_modules stay external (not bundled), so the instrumentations can patch them at require
 * time; the image installs the workspace's production dependencies beside the bundle.
 * `transformers`: TypeScript compiler plugins of one app (the gateway's @nestjs/swagger plugin).
 */
module.exports = function appConfig(appDir, { transformers = [] } = {}) {
  const app = basename(appDir);
  const hasMigrations = existsSync(join(appDir, 'src/migrations'));
  return {
    output: { path: join(appDir, '../../dist/apps', app), clean: true },
    plugins: [
      new NxAppWebpackPlugin({
        target: 'node',
        compiler: 'tsc',
        main: './src/main.ts',
        // Absolute: the plugin resolves a path that does not start with './' against the workspace
        // root, so '../../libs/…' only worked where the checkout sat two levels below '/'.
        additionalEntryPoints: [{ entryName: 'telemetry', entryPath: join(appDir, '../../libs/telemetry/src/preload.ts') }],
        tsConfig: './tsconfig.app.json',
        assets: hasMigrations ? [{ input: './src/migrations', glob: '*.sql', output: 'migrations' }] : [],
        externalDependencies: 'all',
        optimization: false,
        outputHashing: 'none',
        sourceMap: true,
        transformers,
      }),
    ],
  };
};
