import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { k6Binary } from '@traceshop/testing';
import { gatewayUrl, jaegerUrl } from './shop';

// Running the repository's k6 scripts (k6/) with the pinned binary, as a person would.

/** The repository root: k6 runs from there, so scripts and their summary paths resolve as documented. */
export const root = join(__dirname, '../../..');

export interface K6Run {
  /** k6's exit code: 0 every threshold held, 99 one failed, 107 the script failed; null when killed. */
  code: number | null;
  /** stdout and stderr, interleaved. */
  output: string;
}

/** Runs k6 to its end, or kills it after `timeoutMs`. */
export function runK6(args: string[], timeoutMs: number): Promise<K6Run> {
  const k6 = k6Binary(root);
  return new Promise((resolve, reject) => {
    const child = spawn(k6, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * `k6 run --no-color --quiet <script>` against the stack under test: BASE_URL and JAEGER_URL point
 * at it, the summary goes to `summaryDir`, `env` adds -e settings, `flags` more options (--out ...).
 */
export function runScript(script: string, o: { summaryDir: string; env?: Record<string, string | number>; flags?: string[]; timeoutMs: number }): Promise<K6Run> {
  const env = { BASE_URL: gatewayUrl(), JAEGER_URL: jaegerUrl(), SUMMARY_DIR: o.summaryDir, ...o.env };
  const settings = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  return runK6(['run', '--no-color', '--quiet', ...(o.flags ?? []), ...settings, script], o.timeoutMs);
}
