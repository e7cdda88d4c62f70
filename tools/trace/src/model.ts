import type { JaegerSpan, JaegerTrace } from '@traceshop/testing';
import { criticalPath, criticalTimes } from './critical-path';
import { linksOf, notesOf, type SpanLink } from './details';
import { isError, parentIdOf, serviceOf, tag } from './spans';

/** A trace whose spans reference missing parents is probably still arriving when younger than this. */
export const ARRIVING_WINDOW_US = 5_000_000;

/** One span as the waterfall shows it. Times in µs; offsets from the trace's start. */
export interface SpanView {
  spanId: string;
  /** The CHILD_OF reference, whether or not that span is in the trace. */
  parentId?: string;
  service: string;
  name: string;
  kind?: string;
  /** Nesting below its top: a root, or an orphan under its "parent not in trace" marker, is 0. */
  depth: number;
  /** Start as shown: after clock-skew clamping (see `skewUs`). */
  offsetUs: number;
  durationUs: number;
  /** Duration minus the time covered by its children (overlapping children counted once). */
  selfUs: number;
  /**
   * How much earlier than its parent the span started (0: it did not). A child cannot start
   * before its parent, so its host's clock is off: the span and its subtree are shown moved to
   * the parent's start, their durations unchanged.
   */
  skewUs: number;
  /** Its parent is not in the trace (lost, not sent yet, or propagation broken). */
  orphan: boolean;
  error: boolean;
  /** On the critical path: for part of the trace, this span itself is what the root waited for. */
  critical: boolean;
  /** µs of this span on the critical path. */
  criticalUs: number;
  /** Those stretches, as [from, to] offsets like `offsetUs`. */
  criticalSections: [number, number][];
  notes: string[];
  links: SpanLink[];
  /** Children, in start order. */
  childIds: string[];
  /** Raw start (µs since the epoch), as Jaeger has it. */
  startTime: number;
}

/** Orphans that share a missing parent. */
export interface MissingParent {
  parentId: string;
  childIds: string[];
}

/** A trace read for people: every span placed, timed and explained. */
export interface TraceModel {
  traceId: string;
  /** µs since the epoch of the earliest span. */
  startTime: number;
  /** From the earliest start to the latest end, as shown. */
  durationUs: number;
  /** Every span, in display order: each root's tree, then the orphans by missing parent. */
  spans: SpanView[];
  /** Spans without a parent reference, earliest first; the first is the trace's root. */
  rootIds: string[];
  missingParents: MissingParent[];
  services: string[];
  /** Spans reference missing parents and the trace is a few seconds old: more is coming. */
  arriving: boolean;
  /** The root's critical path in µs (its duration, as Jaeger attributes it). */
  criticalPathUs: number;
  /** Message consumers the critical path cannot enter although the root was still open: they start after their producer's span ended. */
  criticalPathOutside: string[];
}

/** Options of `buildModel`. */
export interface ModelOptions {
  /** "Now" in µs since the epoch, to tell a trace still arriving (default: the clock). */
  now?: number;
}

/** Builds the model of `trace`: tree, clamped offsets, self times, critical path. Drops nothing. */
export function buildModel(trace: JaegerTrace, options: ModelOptions = {}): TraceModel {
  const tree = link(dedupe(trace.spans));
  const placed = place(tree);
  const shown = new Map(placed.map((p) => [p.span.spanID, { start: p.span.startTime + p.shift, end: p.span.startTime + p.shift + p.span.duration }]));
  const traceStart = placed.reduce((min, p) => Math.min(min, shown.get(p.span.spanID)!.start), Infinity);
  const traceEnd = placed.reduce((max, p) => Math.max(max, shown.get(p.span.spanID)!.end), -Infinity);

  const mainRoot = tree.roots[0] ?? tree.missing[0]?.list[0];
  const inTrace = (s: JaegerSpan) => (tree.byId.has(parentIdOf(s) ?? '') ? parentIdOf(s) : undefined);
  const { sections, outside } = mainRoot
    ? criticalPath(
        [...tree.byId.values()].map((s) => ({ id: s.spanID, parentId: inTrace(s), start: s.startTime, end: s.startTime + s.duration })),
        mainRoot.spanID,
      )
    : { sections: [], outside: [] };
  const critical = criticalTimes(sections);

  const views: SpanView[] = placed.map(({ span, depth, shift, skew, orphan }) => {
    const kids = tree.children.get(span.spanID) ?? [];
    const { start, end } = shown.get(span.spanID)!;
    return {
      spanId: span.spanID,
      parentId: parentIdOf(span),
      service: serviceOf(trace, span),
      name: span.operationName,
      kind: tag(span, 'span.kind') as string | undefined,
      depth,
      offsetUs: start - traceStart,
      durationUs: span.duration,
      selfUs: span.duration - covered(start, end, kids.map((k) => shown.get(k.spanID)!)),
      skewUs: skew,
      orphan,
      error: isError(span),
      critical: critical.has(span.spanID),
      criticalUs: critical.get(span.spanID) ?? 0,
      criticalSections: sections.filter((c) => c.spanId === span.spanID).map((c): [number, number] => [c.start + shift - traceStart, c.end + shift - traceStart]),
      notes: notesOf(span),
      links: linksOf(span),
      childIds: kids.map((k) => k.spanID),
      startTime: span.startTime,
    };
  });

  const now = options.now ?? Date.now() * 1000;
  return {
    traceId: trace.traceID,
    startTime: placed.length > 0 ? traceStart : 0,
    durationUs: placed.length > 0 ? traceEnd - traceStart : 0,
    spans: views,
    rootIds: tree.roots.map((r) => r.spanID),
    missingParents: tree.missing.map(({ parentId, list }) => ({ parentId, childIds: list.map((s) => s.spanID) })),
    services: [...new Set(views.map((v) => v.service))],
    arriving: tree.missing.length > 0 && now - traceEnd < ARRIVING_WINDOW_US,
    criticalPathUs: sections.reduce((sum, s) => sum + s.end - s.start, 0),
    criticalPathOutside: mainRoot ? outside.filter((id) => isWaitedForConsumer(tree.byId, id, mainRoot)) : [],
  };
}

/** The spans as a tree: each parent's children, the roots, and the orphans by missing parent; all by start. */
interface SpanTree {
  byId: Map<string, JaegerSpan>;
  children: Map<string, JaegerSpan[]>;
  roots: JaegerSpan[];
  missing: { parentId: string; list: JaegerSpan[] }[];
}

function link(spans: JaegerSpan[]): SpanTree {
  const byId = new Map(spans.map((s) => [s.spanID, s]));
  const children = new Map<string, JaegerSpan[]>();
  const roots: JaegerSpan[] = [];
  const orphans = new Map<string, JaegerSpan[]>();
  for (const span of spans) {
    const parentId = parentIdOf(span);
    if (parentId === undefined || parentId === span.spanID) roots.push(span);
    else if (!byId.has(parentId)) orphans.set(parentId, [...(orphans.get(parentId) ?? []), span]);
    else children.set(parentId, [...(children.get(parentId) ?? []), span]);
  }
  const byStart = (a: JaegerSpan, b: JaegerSpan) => a.startTime - b.startTime;
  for (const list of children.values()) list.sort(byStart);
  const missing = [...orphans.entries()]
    .map(([parentId, list]) => ({ parentId, list: list.sort(byStart) }))
    .sort((a, b) => a.list[0].startTime - b.list[0].startTime);
  return { byId, children, roots: roots.sort(byStart), missing };
}

/** A span in display order, with its depth and how far it is moved to sit inside its parent. */
interface Placed {
  span: JaegerSpan;
  depth: number;
  /** µs added to its start: its own skew plus its ancestors'. */
  shift: number;
  skew: number;
  orphan: boolean;
}

/** Walks each tree top-down (roots, then orphans, then what only a reference cycle reaches). */
function place({ byId, children, roots, missing }: SpanTree): Placed[] {
  const placed: Placed[] = [];
  const seen = new Set<string>();
  const walk = (span: JaegerSpan, depth: number, parentStart: number | undefined, parentShift: number, orphan: boolean) => {
    if (seen.has(span.spanID)) return;
    seen.add(span.spanID);
    const skew = parentStart === undefined ? 0 : Math.max(0, parentStart - (span.startTime + parentShift));
    const shift = parentShift + skew;
    placed.push({ span, depth, shift, skew, orphan });
    for (const child of children.get(span.spanID) ?? []) walk(child, depth + 1, span.startTime + shift, shift, false);
  };
  for (const root of roots) walk(root, 0, undefined, 0, false);
  for (const { list } of missing) for (const orphan of list) walk(orphan, 0, undefined, 0, true);
  // Spans only reachable through a reference cycle: shown as orphans rather than lost.
  for (const span of byId.values()) {
    if (seen.has(span.spanID)) continue;
    // Climb to the cycle itself, so its whole component hangs below one of its members.
    let top = span;
    const path = new Set<string>();
    while (!path.has(top.spanID)) {
      path.add(top.spanID);
      const parent = byId.get(parentIdOf(top)!);
      if (!parent || seen.has(parent.spanID)) break;
      top = parent;
    }
    walk(top, 0, undefined, 0, true);
  }
  return placed;
}

/**
 * Of the spans the critical path leaves out, the message consumers the root could have waited
 * for: started after their producer's span had ended, while the root was still open. The rest
 * are no news: spans cut off with an ancestor clipped at the root's end, or a child "starting"
 * as its parent ends because start times come rounded to the millisecond.
 */
function isWaitedForConsumer(byId: Map<string, JaegerSpan>, id: string, root: JaegerSpan): boolean {
  const span = byId.get(id)!;
  const parent = byId.get(parentIdOf(span)!)!;
  return tag(span, 'span.kind') === 'consumer' && span.startTime >= parent.startTime + parent.duration && span.startTime < root.startTime + root.duration;
}

/** The parts of [start, end) that none of `intervals` covers: a span's own time. */
export function uncovered(start: number, end: number, intervals: { start: number; end: number }[]): { start: number; end: number }[] {
  const gaps: { start: number; end: number }[] = [];
  let reach = start;
  for (const i of [...intervals].sort((a, b) => a.start - b.start)) {
    if (i.start > reach && reach < end) gaps.push({ start: reach, end: Math.min(i.start, end) });
    reach = Math.max(reach, i.end);
  }
  if (reach < end) gaps.push({ start: reach, end });
  return gaps;
}

/** How much of [start, end) the intervals cover, overlaps counted once. */
export function covered(start: number, end: number, intervals: { start: number; end: number }[]): number {
  let total = 0;
  let reach = start;
  for (const i of [...intervals].sort((a, b) => a.start - b.start)) {
    const from = Math.max(i.start, reach);
    const to = Math.min(i.end, end);
    if (to > from) total += to - from;
    reach = Math.max(reach, Math.min(i.end, end));
  }
  return total;
}

/** Jaeger may return a span twice (sent twice by a retrying exporter): keep the first. */
function dedupe(spans: JaegerSpan[]): JaegerSpan[] {
  const seen = new Set<string>();
  return spans.filter((s) => !seen.has(s.spanID) && seen.add(s.spanID));
}
