import { otlpSpan, sendSpans, waitFor, type JaegerSpan, type JaegerTrace } from '@traceshop/testing';
import { kindOf, parentOf, serviceOf } from '../evidence';
import { fixSwitch } from '../fixes';
import { choice, right, unknownSpan, wrong, type Lab, type LabContext } from '../lab.types';

/** k6's own line between a slow checkout and the rest (SLOW_CHECKOUT_MS, k6/lib/journey.ts). */
const SLOW_MS = 1_000;
/** The routing Collector's exporter, as its metrics name it (otel/collector.routing.yaml). */
const ROUTER_METRIC = /exporter="load_balancing"/;

/**
 * The spans whose parent should be in the trace and is not: the holes. The gateway's entry span
 * is no hole: its parent is k6's client span, which k6 never exports.
 */
export function holes(trace: JaegerTrace): JaegerSpan[] {
  const entry = (s: JaegerSpan) => serviceOf(trace, s) === 'gateway' && kindOf(s) === 'server';
  return unattached(trace).filter((s) => parentOf(s) !== undefined && !entry(s));
}

/** Whole: exactly one root (a span whose parent is not in the trace), and no holes. */
export function isWhole(trace: JaegerTrace): boolean {
  return unattached(trace).length === 1 && holes(trace).length === 0;
}

/** The spans whose parent is not in the trace: its root, and any span cut off from it. */
function unattached(trace: JaegerTrace): JaegerSpan[] {
  const ids = new Set(trace.spans.map((s) => s.spanID));
  return trace.spans.filter((s) => !ids.has(parentOf(s) ?? ''));
}

/**
 * The lab needs the two-layer tier: its fault lives in the routing Collector, which a single
 * Collector (compose, plain `npm start`) does not have. A span sent in makes the router's exporter
 * report; without a `load_balancing` exporter in the Collector's metrics, the lab refuses.
 */
async function requireTwoLayers(ctx: LabContext): Promise<void> {
  try {
    await sendSpans(ctx.collectorUrl, 'traceshop-lab', [otlpSpan({ name: 'split-traces.probe' })]);
    await waitFor(
      async () => (await fetch(ctx.collectorMetricsUrl)).text(),
      (metrics) => ROUTER_METRIC.test(metrics),
      { timeoutMs: 10_000, intervalMs: 500, what: `a load_balancing exporter in ${ctx.collectorMetricsUrl}` },
    );
  } catch (e) {
    throw new Error(
      `split-traces needs the two-layer telemetry tier, a routing Collector in front of two samplers (${(e as Error).message}): ` +
        'start the shop with TRACESHOP_SAMPLERS=2 npm start (then npm run lab -- start split-traces again)',
    );
  }
}

export const splitTraces: Lab = {
  name: 'split-traces',
  scenario: 'split-traces',
  practise: 'tail sampling scaled out: why every span of a trace must reach the same sampler',
  faultStaysOn: true,
  // The traces reach Jaeger only after each sampler's tail decision.
  sampled: true,
  prepare: requireTwoLayers,
  questions: [
    {
      id: 'orphan',
      ask: 'The span id of a span whose parent span is missing from its trace.',
      hint: 'Open the slow and the failed checkouts k6 printed, with `--ids`: does every span hang under another one of the same trace?',
      grade(answer, evidence) {
        const found = evidence.findSpan(answer);
        if (!found) return unknownSpan;
        if (holes(found.trace).includes(found.span)) return right;
        return unattached(found.trace).includes(found.span)
          ? wrong('That span is where its trace begins (the gateway’s parent is k6’s own span, never sent): look further down for one cut off from the rest.')
          : wrong('That span’s parent is in the trace: look for a span the waterfall cannot attach anywhere.');
      },
    },
    {
      id: 'missing',
      ask: 'What do the missing spans of a broken trace have in common?',
      choices: ['same-service', 'same-operation', 'same-moment', 'nothing'],
      hint: 'Put two or three broken traces side by side (`npm run trace -- <id> --diff <other-id>`, or one whole fast one): which spans are gone each time, and from which services?',
      grade: (answer) => choice(answer, 'same-service', 'Compare the broken traces with each other, not with one: list the services each one has, and the ones it lacks.'),
    },
    {
      id: 'routing-key',
      ask: 'By which key must the routing Collector send spans to the samplers to keep every trace whole?',
      choices: ['trace-id', 'span-name', 'service', 'round-robin'],
      hint: 'Each sampler keeps or drops what it holds, deciding on what it sees: what must all the spans a sampler decides on share?',
      grade: (answer) => choice(answer, 'trace-id', 'A sampler can only decide for a whole trace if it holds all of it: which key is the same on every span of a trace, and on no span of another?'),
    },
  ],
  fix: fixSwitch('split-traces'),
  verify(evidence) {
    const answers = evidence.run?.answers ?? [];
    if (answers.length === 0) return wrong('k6 printed no checkout in the verify run: is the shop up?');
    const broken = evidence.traces.filter((t) => !isWhole(t));
    if (broken.length > 0) {
      const example = broken[0];
      return wrong(`${broken.length} of ${evidence.traces.length} traces in Jaeger have holes (e.g. ${example.traceID}: ${holes(example).length} spans whose parent is missing).`);
    }
    const wanted = answers.filter((a) => a.ms > SLOW_MS || a.status >= 400);
    const missing = wanted.filter((a) => evidence.findTrace(a.traceId) === undefined);
    if (missing.length > 0) return wrong(`${missing.length} of ${wanted.length} slow or failed checkouts k6 saw are not in Jaeger (e.g. ${missing[0].traceId}).`);
    return { ok: true, hint: `${evidence.traces.length} traces in Jaeger, every one whole; all ${wanted.length} slow or failed checkouts among them.` };
  },
};
