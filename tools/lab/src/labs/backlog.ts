import type { JaegerSpan, JaegerTrace } from '@traceshop/testing';
import { kindOf, parentOf, serviceOf, type Evidence } from '../evidence';
import { fixSwitch } from '../fixes';
import { choice, right, wrong, type Lab } from '../lab.types';

const endOf = (s: JaegerSpan) => s.startTime + s.duration;
/** payment's `process payment.requests` span of a trace, if payment took the request. */
const paymentProcess = (t: JaegerTrace) => t.spans.find((s) => serviceOf(t, s) === 'payment' && kindOf(s) === 'consumer');

/** Milliseconds a checkout's payment request waited in its queue: from the end of its publish span to the start of payment's process span. */
function queueWaitMs(t: JaegerTrace): number | undefined {
  const process = paymentProcess(t);
  const publish = process && t.spans.find((s) => s.spanID === parentOf(process));
  return publish ? (process.startTime - endOf(publish)) / 1000 : undefined;
}

/** The checkout of the run whose payment request waited longest in the queue, with that wait. */
function longestWait(evidence: Evidence): { trace: JaegerTrace; waitMs: number } | undefined {
  const waits = evidence.checkouts().flatMap((trace) => {
    const waitMs = queueWaitMs(trace);
    return waitMs === undefined ? [] : [{ trace, waitMs }];
  });
  return waits.sort((a, b) => b.waitMs - a.waitMs)[0];
}

/** At most how many `process payment.requests` spans of the run ran at the same moment. */
function mostAtOnce(evidence: Evidence): number {
  const spans = evidence.traces.flatMap((t) => t.spans.filter((s) => serviceOf(t, s) === 'payment' && kindOf(s) === 'consumer'));
  return Math.max(0, ...spans.map((s) => spans.filter((o) => o.startTime <= s.startTime && endOf(o) > s.startTime).length));
}

export const backlog: Lab = {
  name: 'backlog',
  scenario: 'backlog',
  practise: 'time in a queue: the gap between publish and process, concurrency and throughput',
  faultStaysOn: true,
  questions: [
    {
      id: 'where',
      ask: 'The slowest checkout of a burst took seconds, though none of its spans did. Where did its time go?',
      choices: ['payment-provider', 'database', 'queue', 'gateway'],
      hint: 'Read the start column of the slowest checkout, not the durations: where is there time that no span covers?',
      grade(answer, evidence) {
        const slowest = longestWait(evidence);
        const longestSpanMs = slowest ? Math.max(...slowest.trace.spans.filter((s) => serviceOf(slowest.trace, s) !== 'gateway').map((s) => s.duration / 1000)) : 0;
        const expected = slowest && slowest.waitMs > longestSpanMs ? 'queue' : 'payment-provider';
        return choice(answer, expected, 'Each span is short: look at what lies between the gateway’s publish and payment’s process.');
      },
    },
    {
      id: 'waited',
      ask: 'How long, in milliseconds, did the slowest checkout’s payment request wait before payment took it?',
      hint: 'The end of the gateway’s `publish payment.requests`, the start of payment’s `process payment.requests` below it: subtract.',
      grade(answer, evidence) {
        const slowest = longestWait(evidence);
        const given = Number(answer.replace(/\s*ms$/i, ''));
        if (!Number.isFinite(given)) return wrong('A number of milliseconds, e.g. 1200.');
        if (!slowest) return wrong('No checkout of this run reached payment.');
        const close = Math.abs(given - slowest.waitMs) <= Math.max(150, 0.15 * slowest.waitMs);
        return close ? right : wrong('Take the checkout whose root span is the longest, and measure from the end of its publish span to the start of the process span.');
      },
    },
    {
      id: 'at-once',
      ask: 'At most, how many payment requests did payment work on at the same moment?',
      hint: 'Search service payment over the run and lay the `process payment.requests` spans side by side on the timeline: do any overlap?',
      grade(answer, evidence) {
        return Number(answer) === mostAtOnce(evidence) ? right : wrong('Compare the start of each `process payment.requests` with the end of the one before it.');
      },
    },
  ],
  fix: fixSwitch('backlog'),
  verify(evidence, k6Green) {
    const slowest = longestWait(evidence);
    if (!slowest) return wrong('No checkout in the verify run reached payment.');
    if (!k6Green) return wrong('k6’s thresholds are still red.');
    const waited = `the longest wait in payment.requests was ${Math.round(slowest.waitMs)} ms, ${mostAtOnce(evidence)} payments at once`;
    return slowest.waitMs < 1_000 ? { ok: true, hint: `Under the same burst ${waited}.` } : wrong(waited);
  },
};
