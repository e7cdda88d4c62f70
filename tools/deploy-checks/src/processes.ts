import { collectorBinaryName, toolsDir } from '@traceshop/testing';
import { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { root, versions } from './workspace';

/**
 * A binary tools/build-tools.sh builds, at the version otel/versions.env pins (`tool('helm',
 * 'HELM_VERSION')`), in TRACESHOP_TOOLS (default ~/.cache/traceshop/tools); throws, saying how
 * to build it, when it is missing.
 */
export function tool(name: string, versionKey: string): string {
  return built(`${name}-${versions()[versionKey]}`, name);
}

/** The native Collector tools/build-tools.sh builds (named by its version and its component list). */
export const collectorTool = () => built(collectorBinaryName(root), 'collector');

function built(file: string, name: string): string {
  const path = join(toolsDir(), file);
  if (!existsSync(path)) throw new Error(`missing ${path}: build it with \`bash tools/build-tools.sh ${name}\` (once)`);
  return path;
}

/** A free TCP port on 127.0.0.1 (free when asked; taken by whoever listens first). */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

/** SIGTERM, and SIGKILL if the process is still there 10 s later; resolves once it has exited. */
export function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => (clearTimeout(force), resolve()));
    child.kill('SIGTERM');
  });
}
