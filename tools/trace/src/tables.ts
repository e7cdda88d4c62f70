import { duration, type Paint, percent, utc } from './format';
import type { TraceModel } from './model';
import type { ServiceSummary } from './summary';
import { rootOf } from './waterfall';

/** Pads every column of `rows` to its widest cell; `right` lists the right-aligned columns. */
export function table(rows: string[][], right: number[], indent = ''): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => `${indent}${r.map((cell, i) => (right.includes(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ')}`.trimEnd());
}

/** The per-service breakdown, as pasted into an incident report. */
export function renderSummary(model: TraceModel, summary: ServiceSummary[], paint: Paint): string {
  const rows = [
    ['service', 'spans', 'total', 'of trace', 'self', 'of trace', 'critical path', 'errors'],
    ...summary.map((s) => [
      s.service,
      String(s.spans),
      duration(s.totalUs),
      percent(s.totalShare),
      duration(s.selfUs),
      percent(s.selfShare),
      s.criticalUs > 0 ? `${duration(s.criticalUs)} ${percent(s.criticalShare)}` : '-',
      String(s.errors),
    ]),
  ];
  const [head, ...body] = table(rows, [1, 2, 3, 4, 5, 6, 7]);
  return [
    paint('dim', head),
    ...body,
    '',
    paint(
      'dim',
      `total: wall-clock time with one of the service's spans open (nested ones counted once); self: time in its spans not spent waiting for a child; shares of the trace's ${duration(model.durationUs)}`,
    ),
    '',
  ].join('\n');
}

/** The critical path's time per service (--critical-path). */
export function renderCriticalPath(model: TraceModel, summary: ServiceSummary[], paint: Paint): string {
  const on = summary.filter((s) => s.criticalUs > 0).sort((a, b) => b.criticalUs - a.criticalUs);
  const root = rootOf(model);
  return [
    '',
    paint('bold', `critical path: ${duration(model.criticalPathUs)}${root ? ` of ${root.service} ${root.name}` : ''}, by service`),
    ...table(
      on.map((s) => [s.service, duration(s.criticalUs), percent(s.criticalShare)]),
      [1, 2],
      '  ',
    ),
    ...notFollowed(model, paint),
    '',
  ].join('\n');
}

/**
 * The subtrees Jaeger's critical path cannot enter. Without this line a reader would take a
 * gateway span's long "own" time for gateway work, when it was waiting for a message's consumer.
 */
function notFollowed(model: TraceModel, paint: Paint): string[] {
  const byId = new Map(model.spans.map((s) => [s.spanId, s]));
  const spans = model.criticalPathOutside.map((id) => byId.get(id)!).filter(Boolean);
  if (spans.length === 0) return [];
  return [
    '',
    paint('dim', "message consumers not followed (each starts after its producer's span ended; waiting for one counts as the waiting span's own time):"),
    ...spans.map((s) => paint('dim', `  ${s.service} ${s.name} ${duration(s.durationUs)} at +${duration(s.offsetUs)}`)),
  ];
}

/** One line per trace found by a search, newest first. */
export function renderList(models: TraceModel[], paint: Paint): string {
  const rows = [
    ['start', 'duration', 'spans', 'errors', 'root', 'trace id'],
    ...models.map((m) => {
      const root = rootOf(m);
      return [
        utc(m.startTime),
        duration(m.durationUs),
        String(m.spans.length),
        String(m.spans.filter((s) => s.error).length),
        root ? `${root.service} ${root.name}` : '(no root span)',
        m.traceId,
      ];
    }),
  ];
  const [head, ...body] = table(rows, [1, 2, 3]);
  return [paint('dim', head), ...body, ''].join('\n');
}
