import type { SpanView, TraceModel } from './model';

/**
 * Changes smaller than 1 ms, or than 1% of the longer trace, are counted, not listed: two runs
 * never take the same time, and a 3 s checkout's 5 ms wobbles hide the one that matters.
 */
export const DIFF_NOISE_US = 1_000;
export const DIFF_NOISE_SHARE = 0.01;

/** One span's change between two traces. Times in µs; `before`/`after` undefined where it is absent. */
export interface DiffRow {
  change: 'grew' | 'shrank' | 'appeared' | 'disappeared';
  service: string;
  name: string;
  /** The parent's name ('' for a root), to tell apart spans of the same name. */
  under: string;
  beforeUs?: number;
  afterUs?: number;
  /** after − before (absent counts 0). */
  deltaUs: number;
  /** Change of the span's self time: where the time went, not who waited for it. */
  selfDeltaUs: number;
  /** Spans beneath an appeared or disappeared one, reported with it rather than each. */
  beneath: number;
}

/** What changed from trace `before` to trace `after`. */
export interface TraceDiff {
  before: { traceId: string; durationUs: number; spans: number };
  after: { traceId: string; durationUs: number; spans: number };
  /** Largest absolute change first. */
  rows: DiffRow[];
  /** Matched spans whose duration changed by less than `noiseUs`. */
  unchangedSpans: number;
  noiseUs: number;
}

/**
 * Matches the spans of two traces and reports what grew, shrank, appeared or disappeared. A
 * span is matched by its path: its parent's match, its service and name, and its position
 * among the siblings of the same service and name (the second `UPDATE checkouts` under
 * `POST /api/checkout`). Orphans are matched among orphans. An appeared (or disappeared) subtree
 * is one row, with the number of spans beneath it.
 */
export function diffTraces(before: TraceModel, after: TraceModel): TraceDiff {
  const a = keyed(before);
  const b = keyed(after);
  const rows: DiffRow[] = [];
  const noiseUs = Math.max(DIFF_NOISE_US, DIFF_NOISE_SHARE * Math.max(before.durationUs, after.durationUs));
  let unchangedSpans = 0;
  for (const [key, x] of a) {
    const y = b.get(key);
    if (!y) {
      if (!a.has(x.parentKey) || b.has(x.parentKey)) rows.push(row('disappeared', x, undefined, countBeneath(a, b, key)));
      continue;
    }
    const delta = y.span.durationUs - x.span.durationUs;
    if (Math.abs(delta) < noiseUs) unchangedSpans++;
    else rows.push(row(delta > 0 ? 'grew' : 'shrank', x, y, 0));
  }
  for (const [key, y] of b) {
    if (a.has(key)) continue;
    if (!b.has(y.parentKey) || a.has(y.parentKey)) rows.push(row('appeared', undefined, y, countBeneath(b, a, key)));
  }
  rows.sort((p, q) => Math.abs(q.deltaUs) - Math.abs(p.deltaUs));
  const side = (m: TraceModel) => ({ traceId: m.traceId, durationUs: m.durationUs, spans: m.spans.length });
  return { before: side(before), after: side(after), rows, unchangedSpans, noiseUs };
}

interface Keyed {
  span: SpanView;
  parentKey: string;
  under: string;
}

/** Each span by its path key. */
function keyed(model: TraceModel): Map<string, Keyed> {
  const byId = new Map(model.spans.map((s) => [s.spanId, s]));
  const keys = new Map<string, Keyed>();
  const place = (ids: string[], parentKey: string, under: string) => {
    const seen = new Map<string, number>();
    for (const id of ids) {
      const span = byId.get(id)!;
      const name = `${span.service} ${span.name}`;
      const n = seen.get(name) ?? 0;
      seen.set(name, n + 1);
      const key = `${parentKey}/${name}#${n}`;
      keys.set(key, { span, parentKey, under });
      place(span.childIds, key, span.name);
    }
  };
  place(model.rootIds, '', '');
  // Orphans hang off one shared pseudo-parent: what they missed differs from trace to trace.
  place(
    model.spans.filter((s) => s.orphan).map((s) => s.spanId),
    '(parent not in trace)',
    '(parent not in trace)',
  );
  return keys;
}

/** Spans under `key` in `mine` that `other` does not have. */
function countBeneath(mine: Map<string, Keyed>, other: Map<string, Keyed>, key: string): number {
  let n = 0;
  for (const k of mine.keys()) if (k.startsWith(`${key}/`) && !other.has(k)) n++;
  return n;
}

function row(change: DiffRow['change'], x: Keyed | undefined, y: Keyed | undefined, beneath: number): DiffRow {
  const span = (y ?? x)!.span;
  const beforeUs = x?.span.durationUs;
  const afterUs = y?.span.durationUs;
  return {
    change,
    service: span.service,
    name: span.name,
    under: (y ?? x)!.under,
    beforeUs,
    afterUs,
    deltaUs: (afterUs ?? 0) - (beforeUs ?? 0),
    selfDeltaUs: (y?.span.selfUs ?? 0) - (x?.span.selfUs ?? 0),
    beneath,
  };
}
