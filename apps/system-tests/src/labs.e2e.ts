import { findTraces, JaegerSpan, JaegerTrace, parentOf, roots, serviceOf, tag } from '@traceshop/testing';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLab } from './lab-cli';
import { dbSystem, flagsFile, isError, queryText } from './scenario-tools';
import { jaegerUrl } from './shop';

/**
 * Every lab end to end, through `npm run lab` as a person runs it: start (the fault on, the
 * incident traffic), check with the right answers (found here in the run's traces, each the
 * plain way a person would) and with a wrong one (refused, with a hint), fix, verify (the
 * traffic again: the signature gone), reset (fault and fix off, progress gone).
 */

const progressDir = mkdtempSync(join(tmpdir(), 'traceshop-labs-'));
const progressFile = join(progressDir, 'progress.json');
afterAll(() => rmSync(progressDir, { recursive: true, force: true }));

/** `npm run lab -- <args>`, against the stack under test (global-setup's, in this process's environment). */
const lab = (...args: string[]) => runLab({ TRACESHOP_LAB_PROGRESS: progressFile }, ...args);

/** The traces of the lab's recorded run (window from the progress file), every service. */
async function runTraces(name: string): Promise<JaegerTrace[]> {
  const run = JSON.parse(readFileSync(progressFile, 'utf8'))[name].run as { startedMs: number; endedMs: number };
  const byId = new Map<string, JaegerTrace>();
  for (const service of ['gateway', 'cart', 'inventory', 'payment', 'payment-provider']) {
    for (const t of await findTraces(jaegerUrl(), { service, startMs: run.startedMs - 1_000, endMs: run.endedMs + 30_000, limit: 1_000 })) byId.set(t.traceID, t);
  }
  return [...byId.values()];
}

const rootOf = (t: JaegerTrace) => roots(t).sort((a, b) => a.startTime - b.startTime)[0];
const checkouts = (ts: JaegerTrace[]) => ts.filter((t) => rootOf(t)?.operationName === 'POST /api/checkout' && serviceOf(t, rootOf(t)) === 'gateway');
const spansOf = (t: JaegerTrace, service: string, also: (s: JaegerSpan) => boolean = () => true) => t.spans.filter((s) => serviceOf(t, s) === service && also(s));
const isPostgres = (s: JaegerSpan) => dbSystem(s) === 'postgresql' && queryText(s) !== '';
const under = (t: JaegerTrace, s: JaegerSpan): JaegerSpan[] => [s, ...t.spans.filter((c) => parentOf(c) === s.spanID).flatMap((c) => under(t, c))];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Per lab: the right answers, read from the run's traces; one wrong answer and a word of its hint. */
const LABS: Record<string, { right: (ts: JaegerTrace[]) => Record<string, string>; wrong: [string, string, RegExp] }> = {
  'slow-checkout': {
    right: (ts) => {
      const slow = checkouts(ts).find((t) => t.spans.some((s) => queryText(s).includes('fraud_history')))!;
      const shares = checkouts(ts).flatMap((t) => spansOf(t, 'payment-provider', (s) => tag(s, 'span.kind') === 'server').map((s) => (100 * s.duration) / rootOf(t).duration));
      return {
        service: 'payment',
        span: slow.spans.find((s) => queryText(s).includes('fraud_history'))!.spanID,
        cause: 'missing-index',
        'provider-share': String(Math.round(median(shares))),
      };
    },
    wrong: ['service', 'gateway', /nearly as long as the checkout/],
  },
  'broken-propagation': {
    right: (ts) => {
      const checkout = checkouts(ts).find((t) => spansOf(t, 'payment').length > 0)!;
      const stop = spansOf(checkout, 'payment', (s) => tag(s, 'span.kind') === 'consumer')[0];
      const orphan = ts.find((t) => serviceOf(t, rootOf(t)) === 'payment' && spansOf(t, 'payment-provider').length > 0)!;
      return { span: stop.spanID, trace: orphan.traceID, cause: 'context-not-extracted' };
    },
    wrong: ['cause', 'sampling', /continue the producer/],
  },
  'payment-declines': {
    right: (ts) => {
      const declined = checkouts(ts).find((t) => tag(rootOf(t), 'http.response.status_code') === 402)!;
      return { status: '402', span: spansOf(declined, 'payment-provider', isError)[0].spanID, event: 'order.declined' };
    },
    wrong: ['status', '500', /root spans/],
  },
  'retry-storm': {
    right: (ts) => {
      const attempts = ts.flatMap((t) => spansOf(t, 'payment', (s) => s.operationName === 'payment.charge').map((c) => t.spans.filter((s) => parentOf(s) === c.spanID && tag(s, 'span.kind') === 'client').length));
      return { attempts: String(Math.max(...attempts)), wait: 'none', 'charged-twice': 'no' };
    },
    wrong: ['charged-twice', 'yes', /Idempotency-Key/],
  },
  'n-plus-one': {
    right: (ts) => {
      const miss = ts.flatMap((t) => spansOf(t, 'inventory', (s) => tag(s, 'traceshop.cache.hit') === false).map((s) => under(t, s).filter(isPostgres).length));
      return { queries: String(Math.max(...miss)), cause: 'n-plus-one' };
    },
    wrong: ['cause', 'missing-index', /how many there are/],
  },
  'cache-stampede': {
    right: (ts) => {
      const perSecond = new Map<number, number>();
      for (const t of ts) {
        for (const read of spansOf(t, 'inventory', (s) => tag(s, 'traceshop.cache.hit') !== undefined)) {
          if (under(t, read).some(isPostgres)) perSecond.set(Math.floor(read.startTime / 1e6), (perSecond.get(Math.floor(read.startTime / 1e6)) ?? 0) + 1);
        }
      }
      return { hit: 'false', reads: String(Math.max(...perSecond.values())), cause: 'cache-never-written' };
    },
    wrong: ['cause', 'redis-down', /which commands are missing/],
  },
  'lock-contention': {
    right: (ts) => {
      const waits = checkouts(ts).flatMap((t) => spansOf(t, 'inventory', (s) => isPostgres(s) && queryText(s).includes('counters')));
      return { span: waits.sort((a, b) => b.duration - a.duration)[0].spanID, cause: 'lock-wait' };
    },
    wrong: ['cause', 'cpu', /before it can run/],
  },
  'poison-message': {
    right: (ts) => {
      const poisoned = ts.map((t) => spansOf(t, 'cart', (s) => isError(s) && tag(s, 'traceshop.messaging.retry_count') !== undefined).length).filter((n) => n > 0);
      return { attempts: String(Math.max(...poisoned)), where: 'dead-letter-queue', inventory: 'yes' };
    },
    wrong: ['where', 'dropped', /somewhere a person can look/],
  },
  backlog: {
    right: (ts) => {
      const processes = ts.flatMap((t) => spansOf(t, 'payment', (s) => tag(s, 'span.kind') === 'consumer'));
      const waits = checkouts(ts).flatMap((t) => spansOf(t, 'payment', (s) => tag(s, 'span.kind') === 'consumer').map((process) => {
        const publish = t.spans.find((s) => s.spanID === parentOf(process))!;
        return (process.startTime - (publish.startTime + publish.duration)) / 1000;
      }));
      const atOnce = processes.map((s) => processes.filter((o) => o.startTime <= s.startTime && o.startTime + o.duration > s.startTime).length);
      return { where: 'queue', waited: String(Math.round(Math.max(...waits))), 'at-once': String(Math.max(...atOnce)) };
    },
    wrong: ['where', 'payment-provider', /publish/],
  },
  'orphaned-work': {
    right: (ts) => {
      const answered = checkouts(ts).filter((t) => spansOf(t, 'payment-provider').length > 0);
      const after = answered.map((t) => {
        const charge = spansOf(t, 'payment-provider', (s) => tag(s, 'span.kind') === 'server')[0];
        return (charge.startTime + charge.duration - (rootOf(t).startTime + rootOf(t).duration)) / 1000;
      });
      return { status: String(tag(rootOf(answered[0]), 'http.response.status_code')), after: String(Math.round(median(after))), outcome: 'paid' };
    },
    wrong: ['outcome', 'failed', /reconciler/],
  },
  'sampling-blind-spot': {
    right: (ts) => {
      // What k6 saw of the run (every checkout it printed, with its time), against what Jaeger kept.
      const answers = JSON.parse(readFileSync(progressFile, 'utf8'))['sampling-blind-spot'].run.answers as { traceId: string; ms: number }[];
      const slow = answers.filter((a) => a.ms > 1_000);
      const kept = new Set(ts.map((t) => t.traceID));
      return { 'k6-slow': String(slow.length), 'in-jaeger': String(slow.filter((a) => kept.has(a.traceId)).length), why: 'head-sampling' };
    },
    wrong: ['why', 'collector-down', /decided before/],
  },
  'provider-unreachable': {
    right: (ts) => {
      const charges = ts.flatMap((t) => spansOf(t, 'payment', (s) => s.operationName === 'payment.charge').map((c) => ({ t, calls: t.spans.filter((s) => parentOf(s) === c.spanID && tag(s, 'span.kind') === 'client') })));
      const waited = median(charges.flatMap((c) => c.calls.map((s) => s.duration / 1e6)));
      const served = charges.flatMap(({ t, calls }) => calls.flatMap((call) => t.spans.filter((s) => parentOf(s) === call.spanID)));
      const told: Record<number, string> = { 201: 'paid', 202: 'pending', 502: 'failed' };
      const statuses = checkouts(ts).map((t) => Number(tag(rootOf(t), 'http.response.status_code')));
      return {
        wait: waited.toFixed(1),
        'provider-answered': served.every((s) => tag(s, 'http.response.status_code') === 499) ? 'nothing' : 'error', // 499: the caller hung up first
        'shopper-told': told[median(statuses)],
      };
    },
    wrong: ['shopper-told', 'paid', /root span/],
  },
};

const flagState = (flag: string) => JSON.parse(readFileSync(flagsFile(), 'utf8')).flags[flag]?.defaultVariant as string | undefined;

describe.each(Object.keys(LABS))('lab %s', (name) => {
  it('start → check (right; wrong with a hint) → fix → verify → reset', async () => {
    const { right, wrong } = LABS[name];
    const started = await lab('start', name);
    expect(started.output).toContain(`npm run lab -- check ${name}`);
    expect(flagState(name)).not.toBe('off');

    const answers = right(await runTraces(name));
    const checked = await lab('check', name, ...Object.entries(answers).map(([k, v]) => `${k}=${v}`));
    expect({ code: checked.code, output: checked.output }).toEqual({ code: 0, output: expect.stringContaining('All right.') });
    expect(checked.output).not.toContain('✘');

    const [question, answer, hint] = wrong;
    const refused = await lab('check', name, `${question}=${answer}`);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(new RegExp(`✘ ${question}: ${answer} — `));
    expect(refused.output).toMatch(hint);

    expect((await lab('fix', name)).code).toBe(0);
    const verified = await lab('verify', name);
    expect({ code: verified.code, output: verified.output.split('\n').slice(-5).join('\n') }).toEqual({ code: 0, output: expect.stringContaining('✔ verified') });
    expect((await lab('list')).output).toMatch(new RegExp(`${name}\\s+done`));

    expect((await lab('reset', name)).code).toBe(0);
    expect(flagState(name)).toBe('off');
    if (flagState(`fix.${name}`) !== undefined) expect(flagState(`fix.${name}`)).toBe('off');
    expect(JSON.parse(readFileSync(progressFile, 'utf8'))[name]).toBeUndefined();
  }, 600_000);
});
