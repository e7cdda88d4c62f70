import { JaegerSpan, JaegerTrace, parentOf, roots, serviceOf, setFix, setScenarios, switchOff, tag, waitFor } from '@traceshop/testing';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScript } from './k6';
import { bothSaw, checkout, Checkout, checkoutBurst, consumerSpans, firstCheckoutWhere, flagEvents, flagsFile, isComplete, spanFlagEvents, withProvider } from './scenario-tools';

// The scenarios whose time is spent where no span of the request is: waiting in a queue
// (backlog), and working after the answer (orphaned-work). Switched on and off while the stack
// runs, read back from Jaeger.

const endOf = (s: JaegerSpan) => s.startTime + s.duration;
const rootOf = (t: JaegerTrace) => roots(t).sort((a, b) => a.startTime - b.startTime)[0];
/** payment's `process payment.requests` span of the checkout. */
const paymentProcess = (t: JaegerTrace) => consumerSpans(t, 'payment')[0];
/** Microseconds the payment request waited in its queue: from the end of the gateway's publish to the start of payment's process span. */
function queueWait(t: JaegerTrace): number {
  const process = paymentProcess(t);
  const publish = t.spans.find((s) => s.spanID === parentOf(process))!;
  expect(tag(publish, 'span.kind')).toBe('producer');
  return process.startTime - endOf(publish);
}
/** At most how many of the burst's `process payment.requests` spans ran at the same moment. */
function mostAtOnce(burst: Checkout[]): number {
  const spans = burst.map((c) => paymentProcess(c.trace));
  return Math.max(...spans.map((s) => spans.filter((o) => o.startTime <= s.startTime && endOf(o) > s.startTime).length));
}
interface Summary {
  thresholds: { metric: string; threshold: string; ok: boolean }[];
}
const redThresholds = (dir: string, scenario: string) =>
  (JSON.parse(readFileSync(join(dir, `incident-${scenario}-summary.json`), 'utf8')) as Summary).thresholds.filter((t) => !t.ok).map((t) => `${t.metric} ${t.threshold}`);

let k6Dir: string;
beforeAll(() => (k6Dir = mkdtempSync(join(tmpdir(), 'traceshop-waiting-'))));
afterAll(() => rmSync(k6Dir, { recursive: true, force: true }));

// ------------------------------------------------------------------------------------ backlog

/** The burst size of the test: enough to queue behind one consumer, within one prefetch (10) when fixed. */
const BURST = 8;

describe('scenario backlog', () => {
  /** The longest time in the queue in a burst with the fault, for the fix to beat (µs). */
  let backlogWait = 0;

  afterAll(() => switchOff(flagsFile(), 'backlog'));

  it('queues a burst in payment.requests: one payment at a time, the wait between publish and process growing along the burst', async () => {
    setScenarios(flagsFile(), ['backlog'], true);
    // The limit is set by the first payment that sees the switch, for the deliveries after it.
    await firstCheckoutWhere((c) => bothSaw(c.trace, 'backlog=on'), withProvider);
    const burst = await checkoutBurst(BURST, withProvider);

    expect(burst.map((c) => c.status)).toEqual(Array(BURST).fill(201)); // paid, only later
    for (const { trace } of burst) expect(spanFlagEvents(paymentProcess(trace))).toContain('backlog=on');
    expect(mostAtOnce(burst)).toBe(1);
    // In processing order, the last request waited longer than the first: the queue grew along the burst.
    const byTurn = [...burst].sort((a, b) => paymentProcess(a.trace).startTime - paymentProcess(b.trace).startTime);
    const waits = byTurn.map((c) => queueWait(c.trace));
    expect(waits.at(-1)!).toBeGreaterThan(waits[0]);
    // The last one's wait is where its checkout's time went: longer than any span of payment's.
    const last = byTurn.at(-1)!.trace;
    const longestPaymentSpan = Math.max(...last.spans.filter((s) => serviceOf(last, s) === 'payment').map((s) => s.duration));
    expect(waits.at(-1)!).toBeGreaterThan(longestPaymentSpan);
    backlogWait = waits.at(-1)!;
  }, 180_000);

  it('goes red in its k6 incident script: checkout latency', async () => {
    const run = await runScript('k6/incidents/backlog.ts', { summaryDir: k6Dir, timeoutMs: 120_000 });
    expect({ code: run.code, tail: run.code === 99 ? '' : run.output.slice(-4000) }).toEqual({ code: 99, tail: '' });
    expect(redThresholds(k6Dir, 'backlog')).toEqual(expect.arrayContaining(['http_req_duration{endpoint:checkout} p(95)<4000']));
  }, 150_000);

  it('with its fix (fault still on): the same burst taken side by side, its wait in the queue shrunk', async () => {
    setFix(flagsFile(), 'backlog', true);
    await firstCheckoutWhere((c) => flagEvents(c.trace).includes('payment:fix.backlog=on'), withProvider);
    const burst = await checkoutBurst(BURST, withProvider);

    expect(burst.map((c) => c.status)).toEqual(Array(BURST).fill(201));
    for (const { trace } of burst) expect(spanFlagEvents(paymentProcess(trace))).toEqual(expect.arrayContaining(['backlog=on', 'fix.backlog=on']));
    expect(flagEvents(burst[0].trace)).toContain('payment-provider:backlog=on'); // the processor as slow as before
    expect(mostAtOnce(burst)).toBeGreaterThan(1);
    expect(Math.max(...burst.map((c) => queueWait(c.trace)))).toBeLessThan(backlogWait / 2);
  }, 180_000);

  it('holds its k6 incident script\'s thresholds with the fix (exit 0)', async () => {
    const run = await runScript('k6/incidents/backlog.ts', { summaryDir: k6Dir, timeoutMs: 120_000 });
    if (run.code !== 0) throw new Error(`k6 exited with ${run.code}:\n${run.output.slice(-4000)}`);
  }, 150_000);

  it('leaves no request waiting in the queue once switched off', async () => {
    switchOff(flagsFile(), 'backlog');
    await firstCheckoutWhere((c) => bothSaw(c.trace, 'backlog=off'), withProvider);
    const burst = await checkoutBurst(BURST, withProvider);
    expect(burst.map((c) => c.status)).toEqual(Array(BURST).fill(201));
    for (const { trace } of burst) expect(spanFlagEvents(paymentProcess(trace))).toContain('backlog=off');
    expect(Math.max(...burst.map((c) => queueWait(c.trace)))).toBeLessThan(backlogWait / 2);
  }, 180_000);
});

// ------------------------------------------------------------------------------ orphaned-work

/** payment's and the provider's spans that end after the gateway answered (its root span ended). */
const outliving = (t: JaegerTrace) => t.spans.filter((s) => ['payment', 'payment-provider'].includes(serviceOf(t, s)) && endOf(s) > endOf(rootOf(t)));
const chargeOf = (t: JaegerTrace) => t.spans.find((s) => s.operationName === 'payment.charge');
/** The checkout's charge has ended (it may end after the answer). */
const charged = (t: JaegerTrace) => withProvider(t) && chargeOf(t) !== undefined;
const gatewaySaw = (t: JaegerTrace, variant: string) => flagEvents(t).includes(`gateway:orphaned-work=${variant}`);

describe('scenario orphaned-work', () => {
  afterAll(() => switchOff(flagsFile(), 'orphaned-work'));

  it('answers 202 while payment goes on: its spans outlive the answer, the charge is approved after it, and the reconciler settles it paid', async () => {
    setScenarios(flagsFile(), ['orphaned-work'], true);
    const c = await firstCheckoutWhere((c) => gatewaySaw(c.trace, 'on') && flagEvents(c.trace).includes('payment-provider:orphaned-work=on'), charged);

    expect(c.status).toBe(202); // the gateway stopped waiting: "not known yet"
    const late = outliving(c.trace);
    // payment's work and the provider's charge go on after the root span ended.
    expect(late).toEqual(expect.arrayContaining([paymentProcess(c.trace), chargeOf(c.trace)]));
    expect(late.some((s) => serviceOf(c.trace, s) === 'payment-provider' && tag(s, 'span.kind') === 'server')).toBe(true);
    expect(tag(chargeOf(c.trace)!, 'traceshop.payment.status')).toBe('approved'); // charged after the answer
    // Nobody heard the reply: the reconciler asks payment later and finishes the checkout as paid.
    await waitFor(() => c.api.get(`/api/orders/${c.orderId}`), (r) => r.body.status === 'paid', { timeoutMs: 30_000, what: `order ${c.orderId} reconciled` });
  }, 180_000);

  it('goes red in its k6 incident script: checkouts answered 202', async () => {
    const run = await runScript('k6/incidents/orphaned-work.ts', { summaryDir: k6Dir, timeoutMs: 120_000 });
    expect(run.code).toBe(99);
    expect(redThresholds(k6Dir, 'orphaned-work')).toEqual(expect.arrayContaining(['checkout_ok rate>=0.99']));
  }, 150_000);

  it('with its fix (fault still on): payment starts no charge the deadline cannot cover, voids it, and the client is told at once', async () => {
    setFix(flagsFile(), 'orphaned-work', true);
    const c = await firstCheckoutWhere((c) => gatewaySaw(c.trace, 'on') && flagEvents(c.trace).includes('payment:fix.orphaned-work=on'));

    expect(c.status).toBe(502); // "nothing was charged; start a new checkout"
    const process = paymentProcess(c.trace);
    expect(spanFlagEvents(process)).toContain('fix.orphaned-work=on');
    expect(process.logs.some((l) => l.fields.some((f) => f.key === 'event' && f.value === 'charge not started: the deadline comes first'))).toBe(true);
    expect(tag(process, 'traceshop.payment.status')).toBe('voided');
    // No charge was asked for, and nothing of payment's outlived the answer.
    expect(chargeOf(c.trace)).toBeUndefined();
    expect(c.trace.spans.filter((s) => serviceOf(c.trace, s) === 'payment-provider')).toEqual([]);
    expect(outliving(c.trace)).toEqual([]);
  }, 180_000);

  it('waits for the charge and answers paid once switched off', async () => {
    switchOff(flagsFile(), 'orphaned-work');
    const c = await firstCheckoutWhere((c) => gatewaySaw(c.trace, 'off') && flagEvents(c.trace).includes('payment-provider:orphaned-work=off'), charged);
    expect(c.status).toBe(201);
    expect(isComplete(c.trace)).toBe(true);
    expect(outliving(c.trace)).toEqual([]);
    const again = await checkout(charged);
    expect(again.status).toBe(201);
    expect(outliving(again.trace)).toEqual([]);
  }, 180_000);
});
