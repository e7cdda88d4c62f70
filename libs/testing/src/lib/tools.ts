import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** The repository root: the nearest folder above this file that holds nx.json. */
export function repoRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no nx.json above ${from}`);
  }
}

/** The pinned versions in otel/versions.env (the same file docker-compose and the build read). */
export function pinnedVersions(root = repoRoot()): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const line of readFileSync(join(root, 'otel/versions.env'), 'utf8').split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) versions[m[1]] = m[2].trim();
  }
  return versions;
}

/** Where tools/build-tools.sh puts the binaries it builds: TRACESHOP_TOOLS, default ~/.cache/traceshop/tools. */
export const toolsDir = () => process.env.TRACESHOP_TOOLS || join(homedir(), '.cache/traceshop/tools');

/** Paths of the natively built Collector and Jaeger binaries. */
export interface ToolPaths {
  otelcol: string;
  jaeger: string;
}

/**
 * The name tools/build-tools.sh gives the Collector it builds: its version and the first 12 hex
 * digits of otel/builder-config.yaml's SHA-256, so that a changed component list is rebuilt.
 */
export function collectorBinaryName(root = repoRoot()): string {
  const hash = createHash('sha256').update(readFileSync(join(root, 'otel/builder-config.yaml'))).digest('hex').slice(0, 12);
  return `otelcol-${pinnedVersions(root).OTELCOL_VERSION}-${hash}`;
}

/**
 * Finds the Collector and Jaeger built by tools/build-tools.sh at their pinned versions
 * (in TRACESHOP_TOOLS, default ~/.cache/traceshop/tools); throws, saying how to build them, if
 * one is missing.
 */
export function locateTools(root = repoRoot()): ToolPaths {
  const dir = toolsDir();
  const v = pinnedVersions(root);
  const tools = { otelcol: join(dir, collectorBinaryName(root)), jaeger: join(dir, `jaeger-${v.JAEGER_VERSION}`) };
  const missing = Object.values(tools).filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(
      `missing ${missing.join(', ')}: build the pinned Collector and Jaeger first with ` +
        '`bash tools/build-tools.sh collector jaeger` (once; takes a few minutes)',
    );
  }
  return tools;
}

/**
 * The pinned k6 (K6_VERSION in otel/versions.env), where tools/build-tools.sh puts it; throws,
 * saying how to build it, if it is missing.
 */
export function k6Binary(root = repoRoot()): string {
  const dir = toolsDir();
  const k6 = join(dir, `k6-${pinnedVersions(root).K6_VERSION}`);
  if (!existsSync(k6)) throw new Error(`missing ${k6}: build it first with \`bash tools/build-tools.sh k6\` (once; takes a few minutes)`);
  return k6;
}
