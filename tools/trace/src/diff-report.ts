import type { TraceDiff } from './diff';
import { duration, type Paint, signed } from './format';
import { table } from './tables';

/** The diff as a table: largest change first, the trace's own change on top. */
export function renderDiff(diff: TraceDiff, paint: Paint): string {
  const { before, after } = diff;
  const head = [
    paint('bold', `diff ${before.traceId} → ${after.traceId}`),
    ...table(
      [
        ['before', duration(before.durationUs), `${before.spans} spans`, before.traceId],
        ['after', duration(after.durationUs), `${after.spans} spans`, after.traceId],
        ['change', signed(after.durationUs - before.durationUs), signedCount(after.spans - before.spans), ''],
      ],
      [1, 2],
      '  ',
    ),
    '',
  ];
  if (diff.rows.length === 0) return [...head, `no span changed by ${duration(diff.noiseUs)} or more`, ''].join('\n');
  const rows = [
    ['change', 'before', 'after', 'self', '', 'service', 'span'],
    ...diff.rows.map((r) => [
      signed(r.deltaUs),
      r.beforeUs === undefined ? '-' : duration(r.beforeUs),
      r.afterUs === undefined ? '-' : duration(r.afterUs),
      signed(r.selfDeltaUs),
      r.change,
      r.service,
      [r.name, r.beneath > 0 ? `(+${r.beneath} spans beneath)` : '', r.under ? `under ${r.under}` : ''].filter(Boolean).join('  '),
    ]),
  ];
  const [columns, ...body] = table(rows, [0, 1, 2, 3]);
  return [
    ...head,
    paint('dim', columns),
    ...body.map((line, i) => (diff.rows[i].change === 'appeared' || diff.rows[i].change === 'grew' ? line : paint('dim', line))),
    '',
    paint('dim', `${diff.unchangedSpans} matched spans changed by less than ${duration(diff.noiseUs)} (1 ms or 1% of the longer trace); spans match by service, name and position among same-named siblings`),
    '',
  ].join('\n');
}

function signedCount(n: number): string {
  return `${n < 0 ? '-' : '+'}${Math.abs(n)} spans`;
}
