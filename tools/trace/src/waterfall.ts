import { duration, type Paint, serviceStyles, short, utc } from './format';
import type { SpanView, TraceModel } from './model';

/** Siblings of one kind collapse into one line from this many on (an N+1 ladder, a retry storm). */
export const RUN_MIN = 5;

/** How the waterfall is drawn. */
export interface WaterfallOptions {
  /** Terminal columns: the timeline takes about a third of them. */
  width: number;
  paint: Paint;
  /** Mark the critical path (`*`, and █ where the span is critical, ░ where it is not). */
  criticalPath?: boolean;
  /** One line per span, no collapsed runs. */
  expand?: boolean;
  /** Each line starts with its span id (what `npm run lab -- check` asks for); implies `expand`. */
  ids?: boolean;
}

/** The trace's first lines: what it is, when, how long, how big. */
export function renderHeader(model: TraceModel, paint: Paint): string {
  const root = rootOf(model);
  const what = root ? `${root.service} ${root.name}` : '(no root span)';
  return [
    `${paint('bold', `trace ${model.traceId}`)}  ${what}`,
    `${utc(model.startTime)} · ${duration(model.durationUs)} · ${model.spans.length} spans · ${model.services.length} services`,
    ...warnings(model).map((w) => paint('yellow', `! ${w}`)),
    '',
    '',
  ].join('\n');
}

/** The root the trace is named after: the earliest span without a parent, else the earliest orphan. */
export function rootOf(model: TraceModel): SpanView | undefined {
  const id = model.rootIds[0] ?? model.missingParents[0]?.childIds[0];
  return model.spans.find((s) => s.spanId === id);
}

/** What a reader must know before trusting the picture. */
export function warnings(model: TraceModel): string[] {
  const out: string[] = [];
  const orphans = model.missingParents.reduce((n, m) => n + m.childIds.length, 0);
  if (model.arriving) {
    out.push(`still arriving: ${plural(orphans, 'span references a parent', 'spans reference parents')} not received yet; --wait polls until the trace stops growing`);
  } else if (orphans > 0) {
    out.push(
      `${plural(orphans, 'span references a parent', 'spans reference parents')} not in the trace (propagation broken, or a service's spans lost): shown under "(parent … not in trace)"`,
    );
  }
  const skewed = model.spans.filter((s) => s.skewUs > 0).length;
  if (skewed > 0) out.push(`clock skew: ${plural(skewed, 'span starts', 'spans start')} before its parent; shown from the parent's start, marked "skew"`);
  if (model.rootIds.length > 1) out.push(`${model.rootIds.length} root spans: the first names the trace, the others follow it`);
  return out;
}

/** One line per span (or per collapsed run), indented by parentage, with its timeline. */
export function renderWaterfall(model: TraceModel, options: WaterfallOptions): string {
  const { paint } = options;
  const barWidth = Math.max(10, Math.min(80, Math.round(options.width * 0.3)));
  const serviceWidth = Math.max(7, ...model.services.map((s) => s.length));
  const styleOf = serviceStyles(model.services);
  const byId = new Map(model.spans.map((s) => [s.spanId, s]));
  const idColumn = (span?: SpanView) => (options.ids ? paint('dim', `${(span?.spanId ?? 'span id').padEnd(16)}  `) : '');
  const lines: string[] = [
    idColumn() + paint('dim', `${' '.repeat(options.criticalPath ? 2 : 0)}${'start'.padStart(9)} ${'duration'.padStart(9)} ${'self'.padStart(9)}  ${'timeline'.padEnd(barWidth)}  ${'service'.padEnd(serviceWidth)}  span`),
  ];

  const line = (item: Item, branch: string) => {
    const first = item.spans[0];
    const run = item.spans.length > 1;
    const end = Math.max(...item.spans.map((s) => s.offsetUs + s.durationUs));
    const self = item.spans.reduce((sum, s) => sum + s.selfUs, 0);
    const critical = item.spans.some((s) => s.critical);
    const error = item.spans.some((s) => s.error);
    const style = styleOf(first.service);
    const mark = options.criticalPath ? (critical ? paint(['bold', 'yellow'], '* ') : '  ') : '';
    const bar = timeline(item.spans, model.durationUs, barWidth, !!options.criticalPath);
    const name = run
      ? `×${item.spans.length} ${first.name} (${duration(item.spans.reduce((sum, s) => sum + s.durationUs, 0))} in all)`
      : first.name;
    const beneath = run ? item.spans.reduce((n, s) => n + descendants(s, byId), 0) : 0;
    const notes = [
      ...first.notes,
      ...(beneath > 0 ? [`+${beneath} spans beneath`] : []),
      ...item.spans.filter((s) => s.skewUs > 0).slice(0, 1).map((s) => `skew: started ${duration(s.skewUs)} before its parent`),
      ...first.links.map((l) => (l.traceId === model.traceId ? `→ linked span ${short(l.spanId)}` : `→ linked trace ${l.traceId}`)),
    ];
    lines.push(
      [
        idColumn(first),
        mark,
        `+${duration(first.offsetUs)}`.padStart(9),
        ' ',
        duration(end - first.offsetUs).padStart(9),
        ' ',
        duration(self).padStart(9),
        '  ',
        paint(style, bar),
        '  ',
        paint(style, first.service.padEnd(serviceWidth)),
        '  ',
        paint('dim', branch),
        error ? paint('red', '✗ ') : '',
        error ? paint('red', name) : name,
        notes.length > 0 ? `  ${paint('dim', notes.join('  '))}` : '',
      ].join(''),
    );
  };

  const tree = (ids: string[], prefix: string, top: boolean) => {
    const items = options.expand || options.ids ? ids.map((id) => ({ spans: [byId.get(id)!] })) : collapse(ids.map((id) => byId.get(id)!));
    items.forEach((item, i) => {
      const last = i === items.length - 1;
      line(item, top ? '' : `${prefix}${last ? '└─ ' : '├─ '}`);
      if (item.spans.length === 1) tree(item.spans[0].childIds, top ? '' : `${prefix}${last ? '   ' : '│  '}`, false);
    });
  };

  tree(model.rootIds, '', true);
  // Spans only reachable through a reference cycle carry `orphan` without a missing parent.
  const listed = new Set(model.missingParents.flatMap((m) => m.childIds));
  const cyclic = model.spans.filter((s) => s.orphan && !listed.has(s.spanId)).map((s) => s.spanId);
  const groups = [...model.missingParents.map((m) => ({ label: `(parent ${short(m.parentId)} not in trace)`, ids: m.childIds }))];
  if (cyclic.length > 0) groups.push({ label: '(in a reference cycle)', ids: cyclic });
  for (const group of groups) {
    lines.push(`${' '.repeat(options.criticalPath ? 2 : 0)}${' '.repeat(31 + barWidth + 2 + serviceWidth + 2)}${paint('yellow', `⋯ ${group.label}`)}`);
    tree(group.ids, '', false);
  }
  return `${lines.join('\n')}\n`;
}

/** A line of the waterfall: one span, or a run of like siblings. */
interface Item {
  spans: SpanView[];
}

/**
 * Groups siblings into runs: same service, name and notes (so the same statement), at least
 * RUN_MIN of them, not separated by a sibling of another kind, except by members of other runs
 * (an N+1 ladder interleaves its queries with pool connects). Everything else stays in place.
 */
export function collapse(siblings: SpanView[]): Item[] {
  const kind = (s: SpanView) => `${s.service}\u0000${s.name}\u0000${s.notes.join('\u0000')}`;
  const counts = new Map<string, number>();
  for (const s of siblings) counts.set(kind(s), (counts.get(kind(s)) ?? 0) + 1);
  const candidate = (s: SpanView) => counts.get(kind(s))! >= RUN_MIN;

  const runs: SpanView[][] = [];
  const open = new Map<string, SpanView[]>();
  const runOf = new Map<SpanView, SpanView[]>();
  for (const s of siblings) {
    if (!candidate(s)) {
      open.clear();
      continue;
    }
    let run = open.get(kind(s));
    if (!run) {
      run = [];
      runs.push(run);
      open.set(kind(s), run);
    }
    run.push(s);
    runOf.set(s, run);
  }
  const items: Item[] = [];
  for (const s of siblings) {
    const run = runOf.get(s);
    if (!run || run.length < RUN_MIN) items.push({ spans: [s] });
    else if (run[0] === s) items.push({ spans: run });
  }
  return items;
}

/** The timeline of a line: █ where its spans ran (░ off the critical path when it is shown). */
function timeline(spans: SpanView[], total: number, width: number, critical: boolean): string {
  const cells = Array<string>(width).fill(' ');
  const fill = (from: number, to: number, char: string) => {
    const a = Math.min(width - 1, Math.floor((from / Math.max(total, 1)) * width));
    const b = Math.max(a + 1, Math.min(width, Math.ceil((to / Math.max(total, 1)) * width)));
    for (let i = a; i < b; i++) cells[i] = char;
  };
  for (const s of spans) fill(s.offsetUs, s.offsetUs + s.durationUs, critical ? '░' : '█');
  if (critical) for (const s of spans) for (const [from, to] of s.criticalSections) fill(from, to, '█');
  return cells.join('');
}

function descendants(span: SpanView, byId: Map<string, SpanView>): number {
  return span.childIds.reduce((n, id) => n + 1 + descendants(byId.get(id)!, byId), 0);
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
