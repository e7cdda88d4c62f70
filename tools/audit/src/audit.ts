/**
 * `npm run audit`: reads every service's tables (one snapshot) and the dead-letter queues, and
 * prints each broken invariant. Exit 0: none; 1: at least one violation; 2: could not read.
 *
 *   npx tsx --tsconfig tsconfig.base.json tools/audit/src/audit.ts [--json] [--grace-seconds N] ...
 *
 * What each invariant means: tools/audit/README.md. Options: --help.
 */
import { checkDatabase, type Findings } from './database.checks';
import { readDeadLetters } from './dead-letters';
import { INVARIANTS, type AuditReport } from './invariants';
import { redactUrl } from './mask';
import { HELP, parseOptions, UsageError, type AuditOptions } from './options';
import { formatReport } from './report';

async function audit(options: AuditOptions): Promise<AuditReport> {
  const checkedAt = new Date().toISOString();
  const errors: string[] = [];
  const failed = (what: string, url: string) => (e: Error) => {
    errors.push(`${what} at ${redactUrl(url)}: ${e.message || e}`);
    return undefined;
  };
  const [database, deadLetters] = await Promise.all([
    checkDatabase(options).catch(failed('Postgres', options.databaseUrl)),
    readDeadLetters(options.amqpUrl, options.dlqLimit).catch(failed('RabbitMQ', options.amqpUrl)),
  ]);
  const found: Findings[] = [database, deadLetters].filter((f) => f !== undefined);
  return {
    violations: found.flatMap((f) => f.violations),
    deadLettered: deadLetters?.deadLettered ?? [],
    deadLetteredTotal: deadLetters?.total ?? 0,
    checkedAt,
    checked: INVARIANTS.filter((i) => found.some((f) => f.checked.includes(i))),
    skipped: found.flatMap((f) => f.skipped),
    errors,
  };
}

async function main(): Promise<number> {
  let options: AuditOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`audit: ${e.message} (--help lists the options)\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const report = await audit(options);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    for (const e of report.errors) process.stderr.write(`audit: could not read ${e}\n`);
  } else {
    process.stdout.write(formatReport(report));
  }
  if (report.errors.length > 0) return 2;
  return report.violations.length > 0 ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e) => {
    process.stderr.write(`audit: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 2;
  },
);
