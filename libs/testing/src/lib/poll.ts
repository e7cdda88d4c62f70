/** Options of `waitFor`. */
export interface WaitOptions {
  /** Give up after this many milliseconds (default 15 000). */
  timeoutMs?: number;
  /** Pause between two attempts (default 200 ms). */
  intervalMs?: number;
  /** Names what is awaited, for the error message. */
  what?: string;
}

/**
 * Calls `attempt` until `ok(result)` holds and returns that result; throws once the deadline
 * passes. An attempt that throws counts as "not yet" (its error ends up in the message).
 * This is the only way the testing lib waits: never a fixed sleep.
 */
export async function waitFor<T>(
  attempt: () => Promise<T>,
  ok: (result: T) => boolean,
  { timeoutMs = 15_000, intervalMs = 200, what = 'condition' }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt finished';
  for (;;) {
    try {
      const result = await attempt();
      if (ok(result)) return result;
      last = `last result: ${preview(result)}`;
    } catch (e) {
      last = `last error: ${(e as Error).message}`;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${last})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function preview(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
