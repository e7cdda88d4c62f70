import type { JaegerTrace } from '@traceshop/testing';
import { shorten } from './details';
import { duration, type Paint } from './format';
import { covered, uncovered, type SpanView, type TraceModel } from './model';
import { eventName, field, firstTag } from './spans';
import { table } from './tables';
import { rootOf } from './waterfall';

/**
 * The incident the slow-checkout lab retells (docs/labs/slow-checkout.md), as its source reported
 * it: "checkout slow (4 seconds)", broken down into the gateway's 20 ms, the cart's 80 ms and
 * payment's 2,900 ms, of which the database 800 ms; the cause, a slow payment provider plus an
 * inefficient query. The source gives no figure for the provider itself. In ms.
 */
export const REFERENCE_INCIDENT = {
  /** The scenario that reproduces it: a trace with this flag on is compared with it. */
  flag: 'slow-checkout',
  checkoutMs: 4_000,
  gatewayMs: 20,
  cartMs: 80,
  paymentMs: 2_900,
  databaseMs: 800,
} as const;

/** One line of the comparison. Times in µs; `referenceUs` undefined where the source has none. */
export interface ReferencePart {
  part: string;
  measuredUs: number;
  referenceUs?: number;
  /** What a reader should know about the measured value (e.g. which query it was). */
  note?: string;
}

/**
 * This trace beside the reference incident, when the trace is one (its slow-checkout flag was
 * evaluated `on`); undefined otherwise. What each measured part is:
 * - checkout: the root span;
 * - gateway: the part of the root span during which no other service had a span open (its own
 *   work, and messages in flight);
 * - cart, payment, payment-provider: the wall clock with one of the service's spans open;
 * - database: the wall clock with one of payment's database spans open, with the slowest query.
 */
export function compareWithReference(trace: JaegerTrace, model: TraceModel): ReferencePart[] | undefined {
  if (!flagOn(trace, REFERENCE_INCIDENT.flag)) return undefined;
  const root = rootOf(model);
  if (!root) return undefined;
  const interval = (s: SpanView) => ({ start: s.offsetUs, end: s.offsetUs + s.durationUs });
  const wallClock = (spans: SpanView[]) => covered(0, model.durationUs, spans.map(interval));
  const of = (service: string) => model.spans.filter((s) => s.service === service);
  const raw = new Map(trace.spans.map((s) => [s.spanID, s]));
  const statement = (s: SpanView) => firstTag(raw.get(s.spanId)!, 'db.query.text', 'db.statement');
  const isDatabase = (s: SpanView) => firstTag(raw.get(s.spanId)!, 'db.system.name', 'db.system') !== undefined;

  const others = model.spans.filter((s) => s.service !== root.service).map(interval);
  const gatewayUs = uncovered(root.offsetUs, root.offsetUs + root.durationUs, others).reduce((sum, i) => sum + i.end - i.start, 0);
  const database = of('payment').filter(isDatabase);
  const slowest = database.filter((s) => statement(s) !== undefined).sort((a, b) => b.durationUs - a.durationUs)[0];
  const ms = (value: number) => value * 1000;
  return [
    { part: 'checkout', measuredUs: root.durationUs, referenceUs: ms(REFERENCE_INCIDENT.checkoutMs), note: `${root.service} ${root.name}` },
    { part: `${root.service}, own time`, measuredUs: gatewayUs, referenceUs: ms(REFERENCE_INCIDENT.gatewayMs), note: 'while no other service worked' },
    { part: 'cart', measuredUs: wallClock(of('cart')), referenceUs: ms(REFERENCE_INCIDENT.cartMs) },
    { part: 'payment', measuredUs: wallClock(of('payment')), referenceUs: ms(REFERENCE_INCIDENT.paymentMs) },
    {
      part: '  database',
      measuredUs: wallClock(database),
      referenceUs: ms(REFERENCE_INCIDENT.databaseMs),
      note: slowest && `${database.length} spans; slowest ${duration(slowest.durationUs)}: ${queryOn(statement(slowest)!)}`,
    },
    { part: '  payment-provider', measuredUs: wallClock(of('payment-provider')), note: 'the source names it, without a figure' },
  ];
}

/** The comparison as a table, under the --summary one. */
export function renderReference(parts: ReferencePart[], paint: Paint): string {
  const rows = [['part', 'this trace', 'reference', ''], ...parts.map((p) => [p.part, duration(p.measuredUs), p.referenceUs === undefined ? '-' : duration(p.referenceUs), p.note ?? ''])];
  const [head, ...body] = table(rows, [1, 2]);
  return [
    paint('bold', `the reference incident (${REFERENCE_INCIDENT.flag} is on in this trace): docs/labs/slow-checkout.md`),
    paint('dim', head),
    ...body,
    '',
    paint('dim', "reference: the incident as its source reported it (its parts add up to 3.0s of the 4s it headlines)"),
    '',
  ].join('\n');
}

/**
 * `SELECT … fraud_history`: a statement's verb and the tables it names (not a subquery, a
 * `LATERAL` or a function after FROM), short enough for a table cell.
 */
export function queryOn(statement: string): string {
  const tables = [...statement.matchAll(/\b(?:FROM|JOIN|INTO|UPDATE)\s+(?!LATERAL\b)([A-Za-z_][\w.]*)(?![\w.]*\s*\()/gi)].map((m) => m[1]);
  const verb = statement.trim().split(/\s/)[0].toUpperCase();
  return tables.length > 0 ? `${verb} … ${[...new Set(tables)].join(', ')}` : shorten(statement, 40);
}

/** Some span of the trace evaluated `flag` to `on` (the `feature_flag.evaluation` events of libs/platform's Flags). */
function flagOn(trace: JaegerTrace, flag: string): boolean {
  return trace.spans.some((s) =>
    s.logs.some(
      (l) => eventName(l) === 'feature_flag.evaluation' && field(l, 'feature_flag.key') === flag && (field(l, 'feature_flag.result.variant') ?? field(l, 'feature_flag.variant')) === 'on',
    ),
  );
}
