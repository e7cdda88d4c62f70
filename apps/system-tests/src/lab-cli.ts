import { spawn } from 'node:child_process';
import { root } from './k6';

/** What `npm run lab` answered: its exit code and everything it printed. */
export interface LabCli {
  code: number | null;
  output: string;
}

/**
 * `npm run lab -- <args>` (what tools/traceshop.sh runs) with `env` over this process's: the
 * stack under test (TRACESHOP_GATEWAY_URL, ...) and where the progress goes (TRACESHOP_LAB_PROGRESS).
 */
export function runLab(env: Record<string, string>, ...args: string[]): Promise<LabCli> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', '--tsconfig', 'tsconfig.base.json', 'tools/lab/src/lab.ts', ...args], {
      cwd: root,
      env: { ...process.env, TRACESHOP_LAB_QUIET: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
