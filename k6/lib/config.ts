/**
 * Settings shared by every script, all from environment variables (`k6 run -e NAME=value` or the
 * process environment): where the shop and Jaeger are, the seed, and small parsers for the
 * per-script knobs so a typo fails the run at once instead of silently using a default.
 */

/** The gateway (public API). */
export const BASE_URL = trimSlash(__ENV.BASE_URL || 'http://localhost:8080');
/** Jaeger as a person's browser reaches it: only used to print links. */
export const JAEGER_URL = trimSlash(__ENV.JAEGER_URL || 'http://localhost:16686');
/** Seeds every random choice of the journeys (not the trace ids: those must be unique). */
export const SEED = envInt('SEED', 20261122);
/** Where handleSummary writes `<script>-summary.json`, relative to the working directory. */
export const SUMMARY_DIR = trimSlash(__ENV.SUMMARY_DIR || 'k6/results');

/** A number from the environment, or `fallback`; anything else stops the run. */
export function envNumber(name: string, fallback: number): number {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}

export function envInt(name: string, fallback: number): number {
  const value = envNumber(name, fallback);
  if (!Number.isInteger(value)) throw new Error(`${name} must be an integer, got "${__ENV[name]}"`);
  return value;
}

/** A k6 duration ("90s", "5m", "1h30m") from the environment, or `fallback`. */
export function envDuration(name: string, fallback: string): string {
  const raw = __ENV[name] || fallback;
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(raw)) throw new Error(`${name} must be a duration like 90s, 5m or 1h30m, got "${raw}"`);
  return raw;
}

/** Seconds in a k6 duration string. */
export function seconds(duration: string): number {
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(n) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit as 'ms' | 's' | 'm' | 'h'];
  }
  return total;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
