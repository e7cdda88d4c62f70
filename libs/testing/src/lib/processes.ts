import { ChildProcess, spawn } from 'node:child_process';
import { WriteStream, appendFileSync, closeSync, createWriteStream, openSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { waitFor } from './poll';

/** Where a process's output goes: its log file only, or its log file and our stdout, prefixed. */
export type LogMode = 'inherit' | 'files';

/** In `inherit` mode, what stdout shows of a line of process `name`'s output; undefined: nothing. */
export type LineFormat = (name: string, line: string) => string | undefined;

/**
 * How a supervised process comes back after an exit nobody asked for, like compose's
 * `restart: unless-stopped`: the same command again after a delay that doubles from
 * `initialDelayMs` up to `maxDelayMs`, and starts over once a run lasted `resetAfterMs`.
 */
export interface RestartPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  resetAfterMs: number;
}

/** 1 s, 2 s, 4 s, 8 s, then every 15 s; back to 1 s after 30 s up. */
export const DEFAULT_RESTART_POLICY: RestartPolicy = { initialDelayMs: 1_000, maxDelayMs: 15_000, resetAfterMs: 30_000 };

/** The signals a fault test sends to a process (to its whole process group). */
export type FaultSignal = 'SIGKILL' | 'SIGTERM' | 'SIGSTOP' | 'SIGCONT';

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
  /** `inherit` mode: how a line is shown (default: as it is, after `[name] `). */
  format?: LineFormat;
  /** Restart after an unexpected exit (default: no; `{}` = DEFAULT_RESTART_POLICY). */
  restart?: Partial<RestartPolicy> | false;
}

/** What a fault test sees of one process of a stack. */
export interface ProcessHandle {
  readonly name: string;
  readonly logFile: string;
  /** The pid of the current run (also its process group), or of the last one while it is down. */
  readonly pid: number;
  /** False between an exit and the restart, and after stop(). */
  readonly running: boolean;
  /** How many times the supervisor has restarted it. */
  readonly restarts: number;
  /** True while a restart is scheduled (the process is down, waiting out its backoff). */
  readonly restartPending: boolean;
  /** Resolves with the pid of the next restart; rejects if the process is stopped for good first. */
  nextRestart(): Promise<number>;
  /** Sends `signal` to the process group of the current run; throws if it is not running. */
  signal(signal: FaultSignal): void;
}

/**
 * A child process of a stack. Each runs in its own process group, so stopping it also stops
 * anything it started, and Ctrl-C in a terminal reaches only us: we stop the stack in order.
 * A guardian process kills every live child if this process dies without stopping them (a
 * crashed or killed test runner), so no orphan keeps a port.
 *
 * With a restart policy it is supervised: an exit that stop() did not cause is written to its
 * log (and to stdout in `inherit` mode) as `[stack] <name> exited (...); restarting in 1 s
 * (restart 1)`, and the same command starts again after the backoff. stop() ends that for good.
 */
export class ManagedProcess implements ProcessHandle {
  /** Resolves with the last exit code (null: killed by a signal) once the process is gone for good. */
  readonly exited: Promise<number | null>;
  private resolveExited!: (code: number | null) => void;
  private readonly policy: RestartPolicy | undefined;
  /** `inherit` mode: one stream into the log file for every run, so our notes stay in order. */
  private readonly file: WriteStream | undefined;
  private child!: ChildProcess;
  private childClosed: Promise<void> = Promise.resolve();
  private startedAt = 0;
  private lastExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private exits = 0;
  private restartCount = 0;
  private nextDelayMs = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private waiters: { resolve: (pid: number) => void; reject: (e: Error) => void }[] = [];
  private stopping: Promise<void> | undefined;
  private finished = false;

  private constructor(private readonly spec: ProcessSpec) {
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    this.policy = spec.restart ? { ...DEFAULT_RESTART_POLICY, ...spec.restart } : undefined;
    this.nextDelayMs = this.policy?.initialDelayMs ?? 0;
    this.file = spec.logs === 'inherit' ? createWriteStream(spec.logFile, { flags: 'a' }) : undefined;
  }

  /** Spawns `spec`; its output is appended to `spec.logFile`. */
  static start(spec: ProcessSpec): ManagedProcess {
    const proc = new ManagedProcess(spec);
    const error = proc.spawnChild();
    if (error) {
      proc.finish();
      throw new Error(`could not start ${spec.name} (${spec.command}): ${error}`);
    }
    return proc;
  }

  get name(): string {
    return this.spec.name;
  }

  get logFile(): string {
    return this.spec.logFile;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.lastExit === undefined && !this.finished;
  }

  get restarts(): number {
    return this.restartCount;
  }

  get restartPending(): boolean {
    return this.restartTimer !== undefined;
  }

  nextRestart(): Promise<number> {
    if (this.stopping || this.finished) return Promise.reject(new Error(`${this.name} is stopped: it will not restart`));
    if (!this.policy) return Promise.reject(new Error(`${this.name} is not supervised: it will not restart`));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  signal(signal: FaultSignal): void {
    if (!this.running) throw new Error(`${this.name} is not running${this.restartPending ? ' (restart pending)' : ''}`);
    signalGroup(this.pid, signal);
  }

  /** Polls `url` until it answers 200; throws with the end of the log if the process exits or the deadline passes. */
  async waitHealthy(url: string, timeoutMs: number): Promise<void> {
    // Any exit fails the wait, even one the supervisor has already restarted.
    const exitsBefore = this.exits;
    const exitedSince = () => this.exits > exitsBefore || !this.running;
    let state: string;
    try {
      state = await waitFor(
        async () => {
          if (exitedSince()) return 'exited';
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
    if (state === 'exited') throw new Error(`${this.name} exited (${this.describeExit()}) before it was ready\n${this.tailSection()}`);
  }

  /**
   * Stops it for good: cancels a pending restart, else SIGTERM to the process group (and
   * SIGCONT, so a frozen process can act on it), SIGKILL if it is still there after `graceMs`.
   */
  stop(graceMs = 10_000): Promise<void> {
    return (this.stopping ??= this.stopNow(graceMs));
  }

  /** The last `lines` lines of the log file. */
  tail(lines = 40): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  private async stopNow(graceMs: number): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (!this.running) return this.finish();
    signalGroup(this.pid, 'SIGTERM');
    signalGroup(this.pid, 'SIGCONT');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
    const result = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      signalGroup(this.pid, 'SIGKILL');
      await this.exited;
    }
  }

  /** Starts one run of the command; returns why it could not, or undefined. */
  private spawnChild(): string | undefined {
    const { command, args, cwd, env, logFile, name, format = (n, line) => `[${n}] ${line}` } = this.spec;
    let child: ChildProcess;
    if (!this.file) {
      const fd = openSync(logFile, 'a');
      try {
        child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', fd, fd] });
      } finally {
        closeSync(fd);
      }
    } else {
      child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      const file = this.file;
      for (const stream of [child.stdout, child.stderr]) {
        if (!stream) continue;
        createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
          if (!file.writableEnded) file.write(`${line}\n`);
          const shown = format(name, line);
          if (shown !== undefined) process.stdout.write(`${shown}\n`);
        });
      }
    }
    // A failed spawn (ENOENT, EACCES) is also emitted as an error event, after we have handled it.
    child.on('error', () => undefined);
    if (child.pid === undefined) return 'spawn failed';
    this.child = child;
    this.startedAt = Date.now();
    this.lastExit = undefined;
    this.childClosed = new Promise((resolve) => child.once('close', () => resolve()));
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    live.add(this);
    guardian().watch(child.pid);
    return undefined;
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    live.delete(this);
    guardian().forget(child.pid!);
    this.exits += 1;
    this.lastExit = { code, signal };
    if (this.stopping || !this.policy) return this.finish();
    this.scheduleRestart(`exited (${this.describeExit()})`, Date.now() - this.startedAt);
  }

  private scheduleRestart(what: string, upMs: number): void {
    const policy = this.policy!;
    if (upMs >= policy.resetAfterMs) this.nextDelayMs = policy.initialDelayMs;
    const delay = this.nextDelayMs;
    this.nextDelayMs = Math.min(delay * 2, policy.maxDelayMs);
    this.note(`${this.name} ${what}; restarting in ${formatDelay(delay)} (restart ${this.restartCount + 1})`);
    this.restartTimer = setTimeout(() => this.restart(), delay);
  }

  private restart(): void {
    this.restartTimer = undefined;
    if (this.stopping) return;
    this.restartCount += 1;
    const error = this.spawnChild();
    if (error) return this.scheduleRestart(`could not be restarted (${error})`, 0);
    this.note(`${this.name} restarted (pid ${this.pid})`);
    for (const waiter of this.waiters.splice(0)) waiter.resolve(this.pid);
  }

  /** Gone for good: nothing will start it again. */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new Error(`${this.name} stopped before it restarted`));
    // The last lines of output are still in the pipes when the exit event arrives.
    void this.childClosed.then(() => this.file?.end());
    const exit = this.lastExit;
    this.resolveExited(exit ? (exit.code ?? (exit.signal ? null : 0)) : null);
  }

  /** A line of ours (not the process's) in its log, and on stdout in `inherit` mode. */
  private note(message: string): void {
    const line = `[stack] ${message}\n`;
    if (this.file) {
      if (!this.file.writableEnded) this.file.write(line);
      process.stdout.write(line);
    } else {
      appendFileSync(this.logFile, line);
    }
  }

  private describeExit(): string {
    const exit = this.lastExit;
    if (!exit) return 'still running';
    return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
  }

  private tailSection(): string {
    return `--- last lines of ${this.logFile} ---\n${this.tail()}\n---`;
  }
}

function formatDelay(ms: number): string {
  return ms % 1_000 === 0 ? `${ms / 1_000} s` : `${ms} ms`;
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
