import { findTraces, JaegerSpan, JaegerTrace, parentOf, serviceOf, setFix, setScenarios, switchOff, tag, waitFor } from '@traceshop/testing';
import { jaegerUrl } from './shop';
import { checkout, Checkout, eventsOf, firstCheckoutWhere, flagEvents, flagsFile, hasException, isError, spanFlagEvents } from './scenario-tools';

// Scenario provider-unreachable: the card processor becomes a black hole while the stack runs;
// then payment's circuit breaker (the fix) with the outage still on; then the outage ends.

/** Payment's `payment.charge` span and the HTTP client spans under it (its calls to the provider). */
function charge(t: JaegerTrace): { span: JaegerSpan; calls: JaegerSpan[] } {
  const span = t.spans.find((s) => s.operationName === 'payment.charge' && serviceOf(t, s) === 'payment')!;
  return { span, calls: t.spans.filter((s) => parentOf(s) === span.spanID && tag(s, 'span.kind') === 'client') };
}
const hasCharge = (t: JaegerTrace) => t.spans.some((s) => s.operationName === 'payment.charge');
/** The charge and the processor's side of it: its spans arrive in Jaeger on their own schedule. */
const providerServed = (t: JaegerTrace) => hasCharge(t) && t.spans.some((s) => serviceOf(t, s) === 'payment-provider');
const exceptionMessages = (s: JaegerSpan) => eventsOf(s, 'exception').map((e) => String(e['exception.message']));
const circuit = (t: JaegerTrace) => tag(charge(t).span, 'traceshop.circuit.state');

describe('scenario provider-unreachable', () => {
  afterAll(() => switchOff(flagsFile(), 'provider-unreachable'));

  it('makes every checkout wait for payment\'s provider timeout, then answer 202: the outcome is unknown', async () => {
    setScenarios(flagsFile(), ['provider-unreachable'], true);
    const { status, trace } = await firstCheckoutWhere((c) => flagEvents(c.trace).includes('payment-provider:provider-unreachable=on'), hasCharge);
    expect(status).toBe(202);
    const { span, calls } = charge(trace);
    // One call, never answered: payment gave up at PROVIDER_TIMEOUT_MS and does not know whether it charged.
    expect(calls).toHaveLength(1);
    expect(isError(span)).toBe(true);
    expect(exceptionMessages(span).join()).toMatch(/did not answer in time/);
    // The processor took the request (its server span, below payment's call) and never answered
    // it: 499, the caller hung up first.
    const served = trace.spans.filter((s) => serviceOf(trace, s) === 'payment-provider' && parentOf(s) === calls[0].spanID);
    expect(served.map((s) => tag(s, 'http.response.status_code'))).toEqual([499]);
  }, 120_000);

  it('with its fix (outage still on): the breaker opens after three failures, then checkouts fail at once with 502, nothing charged', async () => {
    setFix(flagsFile(), 'provider-unreachable', true);
    const seen: Checkout[] = [];
    // Three checkouts in a row time out (each waits PROVIDER_TIMEOUT_MS); the third opens the circuit.
    const open = await waitFor(
      async () => {
        const c = await checkout(hasCharge);
        seen.push(c);
        return c;
      },
      (c) => circuit(c.trace) === 'open',
      { timeoutMs: 90_000, intervalMs: 0, what: 'a checkout refused by the open circuit' },
    );
    // The span whose failure opened it says so.
    const tripped = seen.map((c) => charge(c.trace).span).filter((s) => eventsOf(s, 'circuit_breaker.open').length > 0);
    expect(tripped).toHaveLength(1);
    expect(spanFlagEvents(tripped[0])).toContain('fix.provider-unreachable=on');

    // Refused without a call: no client span under payment.charge, nothing at the provider, an
    // error that says why; and the client is told the truth: nothing was charged.
    const { span, calls } = charge(open.trace);
    expect(calls).toEqual([]);
    expect(open.trace.spans.filter((s) => serviceOf(open.trace, s) === 'payment-provider')).toEqual([]);
    expect(isError(span)).toBe(true);
    expect(exceptionMessages(span).join()).toMatch(/circuit open/);
    expect(open.status).toBe(502);
    expect(open.message).toMatch(/nothing was charged/);
  }, 180_000);

  it('closes the circuit within seconds of the processor answering again: checkouts are paid', async () => {
    setScenarios(flagsFile(), ['provider-unreachable'], false);
    // The breaker probes every 2 s; one probe may still be waiting out a timeout.
    const paid = await waitFor(() => checkout(hasCharge), (c) => c.status === 201, { timeoutMs: 30_000, intervalMs: 0, what: 'a paid checkout after the outage' });
    expect(circuit(paid.trace)).toBe('closed');
    expect(charge(paid.trace).calls).toHaveLength(1);
    // The probe that found the processor back is a trace of its own.
    const probes = await findTraces(jaegerUrl(), { service: 'payment', operation: 'circuit_breaker.probe', lookback: '5m', limit: 50 });
    expect(probes.flatMap((t) => t.spans).some((s) => eventsOf(s, 'circuit_breaker.closed').length > 0)).toBe(true);
  }, 120_000);

  it('leaves no trace of itself once fault and fix are off', async () => {
    setFix(flagsFile(), 'provider-unreachable', false);
    const { status, trace } = await firstCheckoutWhere((c) => spanFlagEvents(charge(c.trace).span).includes('fix.provider-unreachable=off'), providerServed);
    expect(status).toBe(201);
    expect(circuit(trace)).toBeUndefined();
    expect(flagEvents(trace)).toContain('payment-provider:provider-unreachable=off');
    expect(trace.spans.filter(isError)).toEqual([]);
    expect(trace.spans.some(hasException)).toBe(false);
  }, 120_000);
});
