// Supervision for real: tiny Node scripts run as the stack runs a service, killed, frozen and
// crash-looped; every wait is a poll with a deadline.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { waitFor } from './poll';
import { LogMode, ManagedProcess, ProcessSpec, RestartPolicy } from './processes';

jest.setTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), 'traceshop-supervision-'));
const started: ManagedProcess[] = [];

/** A `node -e script` process, as startStack would run a service. */
function nodeScript(name: string, script: string, restart: Partial<RestartPolicy> | false, logs: LogMode = 'files'): ProcessSpec {
  return { name, command: process.execPath, args: ['-e', script], cwd: dir, env: { PATH: process.env.PATH }, logFile: join(dir, `${name}.log`), logs, restart };
}

function start(spec: ProcessSpec): ManagedProcess {
  const proc = ManagedProcess.start(spec);
  started.push(proc);
  return proc;
}

const log = (proc: ManagedProcess) => readFileSync(proc.logFile, 'utf8');
const waitForLog = (proc: ManagedProcess, ok: (text: string) => boolean, what: string) =>
  waitFor(async () => log(proc), ok, { timeoutMs: 20_000, intervalMs: 50, what });

/** True while `pid` is a live process (a zombie waiting for its parent counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

const STAYS_UP = 'console.log(`up ${process.pid}`); setInterval(() => undefined, 1000);';
const EXITS_AT_ONCE = 'console.log(`start ${Date.now()}`); process.exit(3);';

afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop(2_000)));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a supervised process', () => {
  it('comes back after SIGKILL: a new pid, one more restart, a [stack] line in its log and on stdout', async () => {
    const printed: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any, ...rest: any[]) => {
      printed.push(String(chunk));
      return write(chunk, ...rest);
    });
    try {
      const proc = start(nodeScript('payment', STAYS_UP, {}, 'inherit')); // the default policy: 1 s first
      const first = proc.pid;
      await waitForLog(proc, (t) => t.includes(`up ${first}`), 'the first run');

      const next = proc.nextRestart();
      proc.signal('SIGKILL');
      const pid = await next;

      expect(pid).not.toBe(first);
      expect(proc.pid).toBe(pid);
      expect(proc.restarts).toBe(1);
      expect(proc.running).toBe(true);
      expect(alive(first)).toBe(false);
      await waitForLog(proc, (t) => t.includes(`up ${pid}`), 'the second run');
      const note = '[stack] payment exited (signal SIGKILL); restarting in 1 s (restart 1)';
      expect(log(proc)).toContain(`${note}\n`);
      expect(log(proc)).toContain(`[stack] payment restarted (pid ${pid})\n`);
      expect(printed).toContain(`${note}\n`);
      expect(printed).toContain(`[payment] up ${pid}\n`);
    } finally {
      spy.mockRestore();
    }
  });

  it('backs off when it exits at once: restarts spaced 100, 200, 400, 400 ms (the cap)', async () => {
    const proc = start(nodeScript('crashloop', EXITS_AT_ONCE, { initialDelayMs: 100, maxDelayMs: 400 }));
    const starts = (text: string) => [...text.matchAll(/^start (\d+)$/gm)].map((m) => Number(m[1]));
    const text = await waitForLog(proc, (t) => starts(t).length >= 5, 'five runs');
    await proc.stop();

    const delays = [...text.matchAll(/^\[stack\] crashloop exited \(code 3\); restarting in (\d+) ms \(restart (\d+)\)$/gm)];
    expect(delays.slice(0, 4).map((m) => [Number(m[1]), Number(m[2])])).toEqual([
      [100, 1],
      [200, 2],
      [400, 3],
      [400, 4],
    ]);
    // Each run began at least its delay after the one before.
    const at = starts(text);
    for (let i = 0; i < 4; i++) expect(at[i + 1] - at[i]).toBeGreaterThanOrEqual(Number(delays[i][1]));
    expect(proc.restarts).toBeGreaterThanOrEqual(4);
  });

  it('starts again from the first delay after a run that stayed up long enough', async () => {
    const proc = start(nodeScript('flaky', 'setTimeout(() => process.exit(1), 300);', { initialDelayMs: 100, resetAfterMs: 200 }));
    const notes = (t: string) => [...t.matchAll(/^\[stack\] flaky exited \(code 1\); restarting in (\d+ m?s)/gm)].map((m) => m[1]);
    const text = await waitForLog(proc, (t) => notes(t).length >= 3, 'three exits');
    expect(notes(text).slice(0, 3)).toEqual(['100 ms', '100 ms', '100 ms']);
  });

  it('stop() during a pending restart cancels it: nothing runs, then or later', async () => {
    const proc = start(nodeScript('doomed', EXITS_AT_ONCE, { initialDelayMs: 500 }));
    await waitForLog(proc, (t) => t.includes('restarting in 500 ms (restart 1)'), 'the first exit');
    const dueAt = Date.now() + 500;
    expect(proc.restartPending).toBe(true);
    const next = proc.nextRestart();

    await proc.stop();

    await expect(next).rejects.toThrow(/doomed stopped before it restarted/);
    expect(proc.running).toBe(false);
    expect(proc.restartPending).toBe(false);
    expect(alive(proc.pid)).toBe(false);
    // A negative can only be observed over time: wait until well past the moment the cancelled
    // restart was due, then nothing may have started.
    await waitFor(async () => Date.now(), (now) => now > dueAt + 1_000, { what: 'the cancelled restart to be overdue' });
    expect(proc.restarts).toBe(0);
    expect(log(proc).match(/^start /gm)).toHaveLength(1);
    expect(log(proc)).not.toContain('restarted');
  });

  it('stop() stops it for good, even frozen by SIGSTOP: no restart races it', async () => {
    const proc = start(nodeScript('frozen', STAYS_UP, { initialDelayMs: 100 }));
    await waitForLog(proc, (t) => t.includes('up '), 'the first run');
    proc.signal('SIGSTOP');

    const stopping = Date.now();
    await proc.stop(); // SIGTERM alone would wait out the 10 s grace: stop() also sends SIGCONT
    expect(Date.now() - stopping).toBeLessThan(5_000);
    expect(await proc.exited).toBeNull(); // killed by SIGTERM
    expect(proc.running).toBe(false);
    expect(alive(proc.pid)).toBe(false);
    expect(proc.restarts).toBe(0);
    expect(log(proc)).not.toContain('[stack]');
    expect(() => proc.signal('SIGKILL')).toThrow(/frozen is not running/);
  });

  it('does not outlive a runner killed with SIGKILL (the guardian)', async () => {
    // A runner of its own, supervising one process; we kill the runner, not the process.
    const runner = join(dir, 'runner.ts');
    writeFileSync(
      runner,
      `import { ManagedProcess } from ${JSON.stringify(join(__dirname, 'processes'))};
const proc = ManagedProcess.start(${JSON.stringify(nodeScript('orphan', STAYS_UP, { initialDelayMs: 100 }))});
console.log(\`pid \${proc.pid}\`);
setInterval(() => undefined, 1000);
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', runner], { cwd: __dirname, stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => /^pid \d+$/.test(line) && resolve(Number(line.slice(4))));
      child.once('exit', (code) => reject(new Error(`the runner exited (${code}) before it started its process`)));
    });
    expect(alive(pid)).toBe(true);

    child.kill('SIGKILL');

    await waitFor(async () => alive(pid), (running) => !running, { timeoutMs: 15_000, what: `process ${pid} to be killed by the guardian` });
  });
});
