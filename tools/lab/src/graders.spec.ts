import type { JaegerTrace } from '@traceshop/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Evidence, isQuery, queryText, rootOf, serviceOf } from './evidence';
import { labNamed } from './labs';
import type { Lab } from './lab.types';

// The graders on traces recorded from real runs (tools/trace/src/fixtures, described in its README).
const recorded = (name: string): JaegerTrace =>
  JSON.parse(readFileSync(join(__dirname, '../../trace/src/fixtures', `${name}.json`), 'utf8')).data[0];

const grade = (lab: Lab, id: string, answer: string, evidence: Evidence) => lab.questions.find((q) => q.id === id)!.grade(answer, evidence);

describe('slow-checkout, on a recorded slow checkout', () => {
  const lab = labNamed('slow-checkout');
  const slow = recorded('slow-checkout');
  const evidence = new Evidence([slow]);
  const fraudQuery = slow.spans.filter((s) => queryText(s)?.includes('fraud_history')).sort((a, b) => b.duration - a.duration)[0];
  const providerServer = slow.spans.find((s) => serviceOf(slow, s) === 'payment-provider')!;

  it('knows the service that owns the time from the trace, and refuses another', () => {
    expect(grade(lab, 'service', 'payment', evidence).ok).toBe(true);
    expect(grade(lab, 'service', ' Payment ', evidence).ok).toBe(true);
    expect(grade(lab, 'service', 'gateway', evidence)).toEqual({ ok: false, hint: expect.stringMatching(/nearly as long as the checkout/) });
  });

  it('takes the span id of the slowest payment query, and says why another span is wrong without naming the right one', () => {
    expect(grade(lab, 'span', fraudQuery.spanID, evidence).ok).toBe(true);
    expect(grade(lab, 'span', fraudQuery.spanID.toUpperCase(), evidence).ok).toBe(true);
    const provider = grade(lab, 'span', providerServer.spanID, evidence);
    expect(provider).toEqual({ ok: false, hint: expect.stringMatching(/not a database query/) });
    const fasterQuery = slow.spans.find((s) => isQuery(s) && serviceOf(slow, s) === 'payment' && s.spanID !== fraudQuery.spanID)!;
    expect(grade(lab, 'span', fasterQuery.spanID, evidence)).toEqual({ ok: false, hint: 'There is a slower query of the same service in that trace.' });
    const gatewayQuery = slow.spans.find((s) => isQuery(s) && serviceOf(slow, s) === 'gateway')!;
    expect(grade(lab, 'span', gatewayQuery.spanID, evidence).hint).toMatch(/gateway’s/);
    expect(grade(lab, 'span', '0123456789abcdef', evidence).hint).toMatch(/not in the traces of this run/);
    for (const q of lab.questions) expect(q.hint).not.toContain('fraud_history');
  });

  it('grades the cause as a choice and the provider share against a checkout’s measured share (±5 points)', () => {
    expect(grade(lab, 'cause', 'missing-index', evidence).ok).toBe(true);
    expect(grade(lab, 'cause', 'lock-wait', evidence).ok).toBe(false);
    const share = Math.round((100 * providerServer.duration) / rootOf(slow)!.duration);
    expect(grade(lab, 'provider-share', `${share}%`, evidence).ok).toBe(true);
    expect(grade(lab, 'provider-share', String(share + 4), evidence).ok).toBe(true);
    expect(grade(lab, 'provider-share', String(share - 25), evidence).ok).toBe(false);
    expect(grade(lab, 'provider-share', 'most', evidence).hint).toMatch(/number/);
  });

  it('does not verify while the unindexed query is a visible share of the checkout', () => {
    expect(lab.verify(evidence, false).ok).toBe(false);
    expect(lab.verify(new Evidence([recorded('normal-checkout')]), true).hint).toMatch(/No checkout of the verify run ran the fraud-history query/);
  });
});

describe('broken-propagation, on the two recorded halves of one checkout', () => {
  const lab = labNamed('broken-propagation');
  const checkout = recorded('broken-propagation-checkout');
  const payment = recorded('broken-propagation-payment');
  const evidence = new Evidence([checkout, payment]);
  const emptyConsumer = checkout.spans.find((s) => serviceOf(checkout, s) === 'payment' && s.operationName.includes('process'))!;

  it('takes the empty consumer span as where the trace stops, and the payment-rooted trace as where the work went', () => {
    expect(grade(lab, 'span', emptyConsumer.spanID, evidence).ok).toBe(true);
    expect(grade(lab, 'span', rootOf(checkout)!.spanID, evidence).ok).toBe(false);
    expect(grade(lab, 'trace', payment.traceID, evidence).ok).toBe(true);
    expect(grade(lab, 'trace', checkout.traceID, evidence).hint).toMatch(/starts in payment/);
    expect(grade(lab, 'cause', 'context-not-extracted', evidence).ok).toBe(true);
  });

  it('verifies a whole checkout and refuses the split one', () => {
    expect(lab.verify(evidence, true).ok).toBe(false);
    expect(lab.verify(new Evidence([recorded('normal-checkout')]), true).ok).toBe(true);
  });
});

describe('n-plus-one and poison-message, on recorded traces', () => {
  it('n-plus-one: counts the queries of the recorded miss, and does not verify it', () => {
    const lab = labNamed('n-plus-one');
    const products = recorded('n-plus-one-products');
    const evidence = new Evidence([products]);
    const queries = products.spans.filter((s) => isQuery(s) && serviceOf(products, s) === 'inventory').length;
    expect(queries).toBeGreaterThan(5);
    expect(grade(lab, 'queries', String(queries), evidence).ok).toBe(true);
    expect(grade(lab, 'queries', '1', evidence).ok).toBe(false);
    expect(lab.verify(evidence, true).ok).toBe(false);
  });

  it('poison-message: three failed deliveries, inventory processed the event, not verified while cart fails', () => {
    const lab = labNamed('poison-message');
    const evidence = new Evidence([recorded('poison-message-checkout')]);
    expect(grade(lab, 'attempts', '3', evidence).ok).toBe(true);
    expect(grade(lab, 'attempts', '5', evidence).ok).toBe(false);
    expect(grade(lab, 'inventory', 'yes', evidence).ok).toBe(true);
    expect(grade(lab, 'where', 'dead-letter-queue', evidence).ok).toBe(true);
    expect(lab.verify(evidence, true).ok).toBe(false);
    expect(lab.verify(new Evidence([recorded('normal-checkout')]), true).ok).toBe(true);
  });
});

describe('every lab', () => {
  it('has questions with ids, hints, and a fix that says what it changes', async () => {
    const { LABS } = await import('./labs');
    expect(LABS.map((l) => l.name)).toEqual([
      'slow-checkout',
      'broken-propagation',
      'payment-declines',
      'retry-storm',
      'n-plus-one',
      'cache-stampede',
      'lock-contention',
      'poison-message',
    ]);
    for (const lab of LABS) {
      expect(lab.questions.length).toBeGreaterThanOrEqual(2);
      for (const q of lab.questions) expect(q.hint.length).toBeGreaterThan(20);
      expect(lab.fix.does.length).toBeGreaterThan(20);
    }
  });
});
