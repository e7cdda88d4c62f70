import { parseArgs } from 'node:util';

/** What one audit reads and how patient it is with work in flight. */
export interface AuditOptions {
  databaseUrl: string;
  amqpUrl: string;
  /** Rows changed more recently are in flight: the cross-service checks skip them. */
  graceSeconds: number;
  /** How long inventory holds stock for a checkout (inventory's RESERVATION_TTL_SECONDS). */
  reservationTtlSeconds: number;
  /** An open checkout or unsent outbox row older than this is stuck. */
  stuckAfterSeconds: number;
  /** At most this many messages listed per dead-letter queue. */
  dlqLimit: number;
  json: boolean;
  help: boolean;
}

/** Wrong command line: the message says what, the exit code is 2. */
export class UsageError extends Error {}

export const HELP = `usage: npm run audit -- [options]

Checks the invariants TraceShop's services keep together (tools/audit/README.md) and lists the
dead-letter queues. Exit 0: none broken; 1: at least one violation; 2: could not read.

  --database-url URL            default: DATABASE_URL, else postgres://postgres@127.0.0.1:5432/traceshop
  --amqp-url URL                default: AMQP_URL, else amqp://guest:guest@127.0.0.1:5672/traceshop
  --grace-seconds N             rows changed in the last N seconds are in flight (default 30)
  --reservation-ttl-seconds N   default: RESERVATION_TTL_SECONDS, else 900
  --stuck-after-seconds N       an open checkout or unsent outbox row older than N is stuck
                                (default: grace + 60)
  --dlq-limit N                 messages listed per dead-letter queue (default 50)
  --json                        {violations, deadLettered, checkedAt, skipped, errors}
  --help
`;

/** Reads the command line and the environment; throws UsageError on anything it cannot use. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): AuditOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        'database-url': { type: 'string' },
        'amqp-url': { type: 'string' },
        'grace-seconds': { type: 'string' },
        'reservation-ttl-seconds': { type: 'string' },
        'stuck-after-seconds': { type: 'string' },
        'dlq-limit': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const graceSeconds = count('--grace-seconds', values['grace-seconds'] ?? '30');
  return {
    databaseUrl: values['database-url'] || env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/traceshop',
    amqpUrl: values['amqp-url'] || env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672/traceshop',
    graceSeconds,
    reservationTtlSeconds: count('--reservation-ttl-seconds', values['reservation-ttl-seconds'] ?? env.RESERVATION_TTL_SECONDS ?? '900'),
    stuckAfterSeconds: count('--stuck-after-seconds', values['stuck-after-seconds'] ?? String(graceSeconds + 60)),
    dlqLimit: count('--dlq-limit', values['dlq-limit'] ?? '50'),
    json: values.json,
    help: values.help,
  };
}

function count(name: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a whole number of 0 or more, not "${value}"`);
  return Number(value);
}
