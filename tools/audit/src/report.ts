import { INVARIANTS, type AuditReport } from './invariants';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The report for people: the violations grouped by invariant, one line each, then what was
 * skipped or could not be read, then one summary line, e.g.
 * "0 violations in 6 invariants; 0 dead-lettered messages".
 */
export function formatReport(report: AuditReport): string {
  const lines: string[] = [];
  for (const invariant of INVARIANTS) {
    const found = report.violations.filter((v) => v.invariant === invariant);
    if (found.length === 0) continue;
    lines.push(`${invariant}: ${plural(found.length, 'violation')}`);
    const width = Math.max(...found.map((v) => v.id.length));
    for (const v of found) lines.push(`  ${v.id.padEnd(width)}  ${v.detail}`);
  }
  for (const s of report.skipped) lines.push(`skipped ${s.invariant}: ${s.part}: ${s.reason}`);
  for (const e of report.errors) lines.push(`could not read: ${e}`);
  const notChecked = INVARIANTS.length - report.checked.length;
  lines.push(
    `${plural(report.violations.length, 'violation')} in ${plural(report.checked.length, 'invariant')}` +
      `${notChecked > 0 ? ` (${notChecked} not checked)` : ''}; ${plural(report.deadLetteredTotal, 'dead-lettered message')}`,
  );
  return `${lines.join('\n')}\n`;
}
