/** What the critical path needs of a span: its place in the tree and its times (µs). */
export interface TimedSpan {
  id: string;
  /** Its parent, if that is in the trace. */
  parentId?: string;
  start: number;
  end: number;
}

/** A stretch of time during which `spanId` itself was what the request waited for. */
export interface CriticalSection {
  spanId: string;
  start: number;
  end: number;
}

/** The critical path, and the subtrees it cannot enter. */
export interface CriticalPath {
  sections: CriticalSection[];
  /**
   * Children left out by the clipping (below): mostly message consumers, which start after
   * their producer's span has ended. The walk cannot enter them, so a wait for one counts as
   * the waiting span's own time.
   */
  outside: string[];
}

/**
 * The critical path of the tree under `rootId`, as Jaeger's UI computes it
 * (jaeger-ui, TracePage/CriticalPath): start at the end of the root; the child that finished
 * last is what the root waited for, so the root owns the time between that child's end and the
 * cursor; continue inside that child. A span with no child ending before the cursor owns the
 * time back to its own start, and the walk returns to its parent with the cursor at that start.
 * The sections tile the root's duration, each attributed to exactly one span.
 *
 * Before the walk, children are clipped to their parent as Jaeger does: a child that ends after
 * its parent (an async consumer) is cut at the parent's end, one that starts before its parent
 * (clock skew) at the parent's start, and one wholly outside its parent is left out with its
 * subtree: the parent did not wait for it.
 */
export function criticalPath(spans: TimedSpan[], rootId: string): CriticalPath {
  const children = new Map<string, TimedSpan[]>();
  for (const s of spans) if (s.parentId !== undefined) children.set(s.parentId, [...(children.get(s.parentId) ?? []), s]);
  const root = spans.find((s) => s.id === rootId);
  if (!root) return { sections: [], outside: [] };

  // Clip top-down, so a child is clipped to its parent's clipped times.
  const clipped = new Map<string, TimedSpan>([[root.id, root]]);
  const kids = new Map<string, TimedSpan[]>();
  const outside: string[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    const inside: TimedSpan[] = [];
    for (const child of children.get(parent.id) ?? []) {
      if (clipped.has(child.id)) continue; // a reference cycle: seen already
      const isOutside = child.start >= parent.start ? child.start >= parent.end : child.end <= parent.start;
      if (isOutside) {
        outside.push(child.id);
        continue;
      }
      const c = { ...child, start: Math.max(child.start, parent.start), end: Math.min(child.end, parent.end) };
      clipped.set(c.id, c);
      inside.push(c);
      queue.push(c);
    }
    // Latest end first: the order Jaeger searches the children in.
    kids.set(parent.id, inside.sort((a, b) => b.end - a.end));
  }

  const sections: CriticalSection[] = [];
  let span = root;
  let cursor: number | undefined; // undefined: at the span's own end
  for (;;) {
    const end = cursor ?? span.end;
    const candidates = kids.get(span.id) ?? [];
    const lastFinishing = cursor === undefined ? candidates[0] : candidates.find((c) => c.end < cursor!);
    if (lastFinishing) {
      if (lastFinishing.end !== end) sections.push({ spanId: span.id, start: lastFinishing.end, end });
      span = lastFinishing;
      cursor = undefined;
      continue;
    }
    if (span.start !== end) sections.push({ spanId: span.id, start: span.start, end });
    if (span === root || span.parentId === undefined) break;
    cursor = span.start;
    span = clipped.get(span.parentId)!;
  }
  return { sections, outside };
}

/** µs on the critical path per span. */
export function criticalTimes(sections: CriticalSection[]): Map<string, number> {
  const times = new Map<string, number>();
  for (const s of sections) times.set(s.spanId, (times.get(s.spanId) ?? 0) + s.end - s.start);
  return times;
}
