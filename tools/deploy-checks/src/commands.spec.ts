import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFix } from '@traceshop/testing';
import { read, root } from './workspace';

/**
 * The TypeScript entry points behind `npm start`, `npm run scenario`, `npm run audit` and `npm run trace`, run
 * with the very tsx command line tools/traceshop.sh uses. The system tests start the stack
 * through jest instead, so without this a change that only breaks tsx (a tsconfig option it does
 * not apply) would leave `npm start` broken with every test green.
 */
const script = read('tools/traceshop.sh');
const tsx = /^TSX="([^"]+)"$/m.exec(script)?.[1];
const entries = [...script.matchAll(/exec \$TSX (\S+)/g)].map((m) => m[1]);

/** Runs one entry point as traceshop.sh does, with `args`; resolves with what it printed. */
function run(entry: string, args: string[], env: Record<string, string> = {}): string {
  const [command, ...prefix] = tsx!.split(' ');
  return execFileSync(command, [...prefix, entry, ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
}

describe('the commands of the README', () => {
  it('tools/traceshop.sh runs the stack, the scenario tool, the audit and the trace reader through one tsx command line', () => {
    expect(tsx).toMatch(/^npx tsx --tsconfig \S+$/);
    // Each entry an existing file; a command added since is welcome beside these.
    for (const entry of entries) expect({ entry, exists: existsSync(join(root, entry)) }).toEqual({ entry, exists: true });
    expect(entries).toEqual(expect.arrayContaining(['tools/stack.ts', 'tools/scenario.ts', 'tools/audit/src/audit.ts', 'tools/trace/src/trace.ts', 'tools/lab/src/lab.ts', 'tools/bench/startup.ts', 'tools/bench/overhead.ts']));
  });

  it('tools/stack.ts and tools/scenario.ts type-check (tsx does not, and they belong to no project that would)', () => {
    const typeErrors = () => {
      try {
        execFileSync('npx', ['tsc', '-p', 'tools/tsconfig.json'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
        return '';
      } catch (e) {
        return String((e as { stdout?: string }).stdout || (e as Error).message); // tsc prints its errors on stdout
      }
    };
    expect(typeErrors()).toBe('');
  });

  it('npm start loads everything it starts the stack with', () => {
    expect(run('tools/stack.ts', ['--dry-run'])).toMatch(/would start TraceShop \(Jaeger, Collector, all six services\)/);
  });

  it('npm run audit loads everything it checks with', () => {
    // (tools/audit's own tests run it against real data.)
    expect(run('tools/audit/src/audit.ts', ['--help'])).toMatch(/^usage: npm run audit/);
  });

  it('npm run replay loads everything it moves dead letters with', () => {
    // (libs/messaging's replay.spec.ts moves real dead letters; the system tests run this command.)
    expect(run('tools/replay.ts', ['--help'])).toMatch(/^usage: npm run replay -- <queue>/);
  });

  it('npm run trace loads everything it reads traces with', () => {
    // (tools/trace's own tests run it against a stand-in Jaeger serving recorded traces.)
    expect(run('tools/trace/src/trace.ts', ['--help'])).toMatch(/^usage: npm run trace/);
  });

  it('npm run lab loads everything it stages, grades and fixes with', () => {
    // (tools/lab's own tests grade recorded traces; the system tests run every lab end to end.)
    expect(run('tools/lab/src/lab.ts', ['--help'])).toMatch(/^usage: npm run lab -- <command>/);
  });

  it('npm run scenario lists and switches the scenarios of a flag file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'traceshop-scenario-'));
    const file = join(dir, 'flags.json');
    try {
      copyFileSync(join(root, 'flags/traceshop.flagd.json'), file);
      expect(run('tools/scenario.ts', ['on', 'slow-checkout'], { FLAGS_FILE: file })).toMatch(/^ON\s+slow-checkout/m);
      setFix(file, 'n-plus-one', true); // as `npm run lab -- fix n-plus-one` does
      expect(run('tools/scenario.ts', ['list'], { FLAGS_FILE: file })).toMatch(/^off\s+n-plus-one\s+fix ON\s/m);
      const clean = run('tools/scenario.ts', ['off', '--all'], { FLAGS_FILE: file }); // faults and fixes
      expect(clean).toMatch(/^off\s+slow-checkout/m);
      expect(clean).toMatch(/^off\s+n-plus-one\s+fix off\s/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('every documented command is an npm script', () => {
  // Every command of the docs runs through tools/traceshop.sh, which brings Node 24 (a bare
  // `npx tsx …` runs on the machine's Node) and the pinned k6 (built once into the tools cache).
  const docs = execFileSync('git', ['ls-files', '*.md'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);

  it('shows no command that bypasses them: no tsx entry point run by hand, no hand-built $K6', () => {
    const bypassing = docs.flatMap((file) =>
      read(file)
        .split('\n')
        .filter((line) => /(^|`)\s*(npx tsx |\$K6 |K6=)/.test(line))
        .map((line) => `${file}: ${line.trim()}`),
    );
    expect(bypassing).toEqual([]);
  });

  it('names an existing script of k6/ in every `npm run k6 -- <script>`', () => {
    // (`incidents/<scenario>` is a pattern, not a name.)
    const runs = docs.flatMap((file) => [...read(file).matchAll(/npm run k6 -- ([\w./-]+)(?![\w./<-])/g)].map((m) => ({ file, script: `k6/${m[1]}.ts` })));
    expect(runs.length).toBeGreaterThanOrEqual(10);
    for (const run of runs) expect({ ...run, exists: existsSync(join(root, run.script)) }).toEqual({ ...run, exists: true });
  });

  it('npm run k6 answers a script that does not exist with the list of those that do', () => {
    const answer = spawnSync('bash', ['tools/traceshop.sh', 'k6', 'no-such-script'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(answer.status).toBe(2);
    expect(answer.stderr).toMatch(/^usage: npm run k6 -- <script>/);
    expect(answer.stderr).toMatch(/^ {2}smoke$/m);
    expect(answer.stderr).toMatch(/^ {2}incidents\/slow-checkout$/m);
  });

  it('npm run bench loads everything it measures with (the benchmarks themselves take minutes to an hour)', () => {
    expect(run('tools/bench/overhead.ts', ['--help'])).toMatch(/^usage: npm run bench -- \[--reps/);
    expect(run('tools/bench/startup.ts', ['--help'])).toMatch(/^usage: npm run bench -- startup/);
  });
});
