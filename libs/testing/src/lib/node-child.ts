import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { repoRoot } from './tools';

/** What `startNodeChild` runs: `script` (JavaScript), with tsx and, if given, a preload (`--require`) first. */
export interface NodeChildOptions {
  /** The child's whole environment. */
  env: NodeJS.ProcessEnv;
  /** Its first output (stdout or stderr) that matches says it is ready. */
  ready: RegExp;
  /** A file required before the script, e.g. the telemetry preload. */
  preload?: string;
}

/** A child Node process started by a spec. */
export interface NodeChild {
  process: ChildProcess;
  /** The match of `ready`; rejects, with its output, if the child exits first. */
  ready: Promise<RegExpExecArray>;
  /** Its stdout so far. */
  stdout(): string;
  /** Its stdout and stderr so far, as they came. */
  output(): string;
  /** SIGTERM, and SIGKILL 10 s later if it still runs (a hang must not hang the suite); resolves with its exit code once its output is read to the end. */
  stop(): Promise<number | null>;
}

const running = new Set<ChildProcess>();

/**
 * A Node process in the workspace's root running `script`, as a service runs (the specs of the
 * telemetry preload and of the logs use it). `killChildren()` in an `afterEach` ends the children
 * a failed test left running.
 */
export function startNodeChild(script: string, { env, ready, preload }: NodeChildOptions): NodeChild {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', ...(preload ? ['--require', preload] : []), '-e', script], {
    cwd: repoRoot(),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const closed = once(child, 'close'); // 'close': its output is read to the end too
  let stdout = '';
  let output = '';
  const matched = new Promise<RegExpExecArray>((resolve, reject) => {
    const read = (chunk: Buffer, isStdout: boolean) => {
      if (isStdout) stdout += chunk;
      output += chunk;
      const m = ready.exec(output);
      if (m) resolve(m);
    };
    child.stdout!.on('data', (chunk) => read(chunk, true));
    child.stderr!.on('data', (chunk) => read(chunk, false));
    child.once('exit', (code) => reject(new Error(`the child exited (${code}) before it was ready:\n${output}`)));
  });
  matched.catch(() => undefined); // a child that is stopped, not awaited, is no unhandled rejection
  return {
    process: child,
    ready: matched,
    stdout: () => stdout,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const [code] = await closed;
      clearTimeout(timer);
      return code as number | null;
    },
  };
}

/** Kills every child `startNodeChild` started that still runs. */
export function killChildren(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}
