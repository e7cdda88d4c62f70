import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, createWriteStream, openSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { waitFor } from './poll';

/** Where a process's output goes: its log file only, or its log file and our stdout, prefixed. */
export type LogMode = 'inherit' | 'files';

/** What `ManagedProcess.start` runs. */
export interface ProcessSpec {
  /** Short name, used as the log prefix and in error messages. */
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  logs: LogMode;
}

/**
 * A child process of a stack. Each runs in its own process group, so stopping it also stops
 * anything it started, and Ctrl-C in a terminal reaches only us: we stop the stack in order.
 * A guardian process kills every live child if this process dies without stopping them (a
 * crashed or killed test runner), so no orphan keeps a port.
 */
export class ManagedProcess {
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(
    readonly name: string,
    readonly logFile: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? null : 0);
        live.delete(this);
        guardian().forget(child.pid!);
        resolve(this.exitCode);
      });
    });
  }

  /** Spawns `spec`; its output is appended to `spec.logFile`. */
  static start(spec: ProcessSpec): ManagedProcess {
    let child: ChildProcess;
    if (spec.logs === 'files') {
      const fd = openSync(spec.logFile, 'a');
      child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', fd, fd] });
      closeSync(fd);
    } else {
      child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      const file = createWriteStream(spec.logFile, { flags: 'a' });
      for (const stream of [child.stdout!, child.stderr!]) {
        createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
          file.write(`${line}\n`);
          process.stdout.write(`[${spec.name}] ${line}\n`);
        });
      }
      child.once('exit', () => file.end());
    }
    if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
    const proc = new ManagedProcess(spec.name, spec.logFile, child);
    live.add(proc);
    guardian().watch(child.pid);
    return proc;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Polls `url` until it answers 200; throws with the end of the log if the process exits or the deadline passes. */
  async waitHealthy(url: string, timeoutMs: number): Promise<void> {
    let state: string;
    try {
      state = await waitFor(
        async () => {
          if (!this.running) return 'exited';
          const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
          await res.body?.cancel();
          return res.status === 200 ? 'ready' : `HTTP ${res.status}`;
        },
        (s) => s === 'ready' || s === 'exited',
        { timeoutMs, intervalMs: 150, what: `${this.name} to answer 200 on ${url}` },
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${this.tailSection()}`);
    }
    if (state === 'exited') throw new Error(`${this.name} exited (code ${this.exitCode}) before it was ready\n${this.tailSection()}`);
  }

  /** SIGTERM to the process group; SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    signalGroup(this.pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
    const result = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      signalGroup(this.pid, 'SIGKILL');
      await this.exited;
    }
  }

  /** The last `lines` lines of the log file. */
  tail(lines = 40): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  private tailSection(): string {
    return `--- last lines of ${this.logFile} ---\n${this.tail()}\n---`;
  }
}

/** True when something accepts TCP connections on host:port. */
export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(1_000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

/** Throws if `port` cannot be listened on (another stack, or a service started by hand?). */
export function assertPortFree(port: number, owner: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(`port ${port} for ${owner} is not free (${e.code}): is another stack running? Pick another portBase.`)),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

// Last resort on a normal exit that skipped stop(): the children get SIGTERM and the guardian
// follows up with SIGKILL.
const live = new Set<ManagedProcess>();
process.once('exit', () => {
  for (const proc of live) signalGroup(proc.pid, 'SIGTERM');
});

/**
 * The guardian: a tiny detached Node process that reads "+pid"/"-pid" lines on stdin. When its
 * stdin closes — which happens however we die, SIGKILL included — it terminates every process
 * group still on its list, then kills them 3 s later.
 */
const GUARDIAN_SCRIPT = `
const pids = new Set(); let buf = '';
const kill = (sig) => { for (const p of pids) { try { process.kill(-p, sig); } catch {} } };
process.stdin.on('data', (d) => {
  buf += d; let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1);
    (line[0] === '+' ? pids.add(Number(line.slice(1))) : pids.delete(Number(line.slice(1))));
  }
});
const end = () => { if (pids.size === 0) process.exit(0); kill('SIGTERM'); setTimeout(() => { kill('SIGKILL'); process.exit(0); }, 3000); };
process.stdin.on('end', end); process.stdin.on('error', end);
`;

let theGuardian: { watch(pid: number): void; forget(pid: number): void } | undefined;

function guardian() {
  if (!theGuardian) {
    const child = spawn(process.execPath, ['-e', GUARDIAN_SCRIPT], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    child.unref();
    const stdin = child.stdin! as NodeJS.WritableStream & { unref?: () => void };
    stdin.unref?.(); // neither the guardian nor its pipe may keep us alive
    child.stdin!.on('error', () => undefined);
    theGuardian = {
      watch: (pid) => void child.stdin!.write(`+${pid}\n`),
      forget: (pid) => void child.stdin!.write(`-${pid}\n`),
    };
  }
  return theGuardian;
}
