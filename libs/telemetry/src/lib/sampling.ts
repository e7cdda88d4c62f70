import { Attributes, Context, isSpanContextValid, Link, SpanKind, trace } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler, type ReadableSpan, type Sampler, type SamplingResult, type Span, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { readFileSync } from 'node:fs';

/** The scenarios and their fixes, as in flags/traceshop.flagd.json (libs/contracts' SCENARIOS). */
const BLIND_SPOT = 'sampling-blind-spot';
const BLIND_SPOT_FIX = `fix.${BLIND_SPOT}`;
const SPLIT = 'split-traces';
const SPLIT_FIX = `fix.${SPLIT}`;
/** The share of traces head sampling keeps in the sampling-blind-spot scenario. */
export const BLIND_SPOT_RATIO = 0.01;

type FlagDoc = { flags?: Record<string, { state?: string; defaultVariant?: string; variants?: Record<string, unknown> }> };

/**
 * The fault-scenario flags, read without waiting. A sampler decides synchronously, before a span
 * exists, so it cannot ask OpenFeature (whose evaluations are promises, and which starts with the
 * app, after the SDK). This reads the same flag file (FLAGS_FILE) the same way, re-read within a
 * second of a change, as the services' Flags do; a missing or unreadable file is all flags off.
 */
export class FlagFile {
  private doc: FlagDoc = {};
  private readonly poll?: NodeJS.Timeout;

  constructor(private readonly file: string | undefined) {
    if (!file) return;
    this.read();
    // Read again every second, not on fs.watchFile's change events: its first stat is taken
    // asynchronously, so a file replaced just after start-up became its baseline and the change
    // was never seen (a few kB of JSON a second cost nothing).
    this.poll = setInterval(() => this.read(), 1_000).unref();
  }

  /** A boolean flag's value (flagd: the default variant's value of an ENABLED flag). */
  isOn(key: string): boolean {
    const flag = this.doc.flags?.[key];
    return flag?.state === 'ENABLED' && flag.variants?.[flag.defaultVariant ?? ''] === true;
  }

  close(): void {
    clearInterval(this.poll);
  }

  private read(): void {
    try {
      this.doc = JSON.parse(readFileSync(this.file!, 'utf8')) as FlagDoc;
    } catch {
      this.doc = {}; // mid-write or gone: off until the next read
    }
  }
}

/**
 * What OTEL_TRACES_SAMPLER[_ARG] ask for, as NodeSDK would build it (it stops reading them once
 * it is given a sampler, and does not export its own builder); unset: parent-based, always on.
 */
export function configuredSampler(env: NodeJS.ProcessEnv): Sampler {
  const ratio = () => new TraceIdRatioBasedSampler(env.OTEL_TRACES_SAMPLER_ARG ? Number(env.OTEL_TRACES_SAMPLER_ARG) : 1);
  switch (env.OTEL_TRACES_SAMPLER?.trim()) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** Whether the sampling-blind-spot fault is in force: on, and its fix not applied. */
const blindSpot = (flags: FlagFile) => flags.isOn(BLIND_SPOT) && !flags.isOn(BLIND_SPOT_FIX);
/** Whether the split-traces fault is in force: on, and its fix not applied. */
const splitTraces = (flags: FlagFile) => flags.isOn(SPLIT) && !flags.isOn(SPLIT_FIX);

/** A span whose parent is in another process (or that has none): where a service takes part in a trace. */
const entersService = (parent: Context) => {
  const span = trace.getSpanContext(parent);
  return !span || !isSpanContextValid(span) || span.isRemote;
};

/**
 * The configured sampler, and the sampling-blind-spot scenario. Scenario sampling-blind-spot: head
 * sampling at 1% in every service, as a team does to save on its tracing bill. Where a trace enters
 * a service, only the trace id decides (TraceIdRatioBased: the same id gives the same answer in
 * every service, so a trace is kept whole or not at all), even when the caller says "sampled" —
 * k6, like a browser or an edge proxy, marks every request sampled. Inside a service children
 * follow their parent. In Jaeger: about one checkout in a hundred, slow or not; k6's slow
 * checkouts are almost all missing.
 */
export class ScenarioSampler implements Sampler {
  private readonly headSampling = new TraceIdRatioBasedSampler(BLIND_SPOT_RATIO);

  constructor(
    private readonly configured: Sampler,
    private readonly flags: FlagFile,
  ) {}

  shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    if (entersService(context) && blindSpot(this.flags)) return this.headSampling.shouldSample(context, traceId);
    return this.configured.shouldSample(context, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return `ScenarioSampler{${BLIND_SPOT}: ${this.headSampling}, else ${this.configured}}`;
  }
}

/**
 * Puts the flag evaluations the sampler took on the span where a trace enters the service, as
 * `feature_flag.evaluation` events (the services' Flags do the same for their own evaluations),
 * so a trace tells how it was sampled. Only while the scenario or its fix is on: sampling as
 * usual says nothing on every request. Only recorded spans get here: the kept ones.
 */
export class SamplingFlagEvents implements SpanProcessor {
  constructor(private readonly flags: FlagFile) {}

  onStart(span: Span, parent: Context): void {
    if (!entersService(parent)) return;
    for (const pair of [[BLIND_SPOT, BLIND_SPOT_FIX], [SPLIT, SPLIT_FIX]]) {
      const on = pair.map((key) => [key, this.flags.isOn(key)] as const);
      if (on.every(([, isOn]) => !isOn)) continue;
      for (const [key, isOn] of on) {
        const variant = isOn ? 'on' : 'off';
        span.addEvent('feature_flag.evaluation', { 'feature_flag.key': key, 'feature_flag.result.variant': variant, 'feature_flag.result.reason': 'static', 'feature_flag.provider.name': 'flag-file' });
      }
    }
  }

  onEnd(): void {
    // Nothing to add once a span has ended.
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.flags.close();
    return Promise.resolve();
  }
}

/**
 * Where spans leave the service: the Collector's usual door (OTEL_EXPORTER_OTLP_ENDPOINT), or,
 * with the sampling-blind-spot fix on, its tail-sampling door (TRACESHOP_OTLP_TAIL_ENDPOINT): a
 * second OTLP receiver whose pipeline holds each trace until it is complete and keeps the ones
 * with an error, the slow ones and a share of the rest (otel/collector.yaml, `traces/tail`).
 * Tail sampling waits for every trace, so only what comes through this door pays that wait; the
 * other door stays as it was. Without a tail door configured, everything goes through the usual one.
 *
 * In the native two-layer telemetry tier (libs/testing's stack) the usual door is the routing
 * Collector; while the split-traces fault is in force, spans bypass it for the sampling Collector
 * this instance was given (TRACESHOP_OTLP_SAMPLER_ENDPOINT).
 */
export class SamplingDoorExporter implements SpanExporter {
  constructor(
    private readonly usual: SpanExporter,
    private readonly tail: SpanExporter | undefined,
    private readonly flags: FlagFile,
    private readonly sampler?: SpanExporter,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    // Fault of split-traces: "one hop less" — straight to a sampler, as a plain Service in front of
    // the samplers would balance each service's connection to one of them. Each sampler now holds
    // the spans of some services, and decides on that part of every trace alone.
    if (this.sampler && splitTraces(this.flags)) return this.sampler.export(spans, done);
    // Fix of sampling-blind-spot: the services send every span (the sampler above keeps them all),
    // and the Collector picks the traces worth keeping once it has seen them whole.
    const door = this.tail && this.flags.isOn(BLIND_SPOT_FIX) ? this.tail : this.usual;
    door.export(spans, done);
  }

  async shutdown(): Promise<void> {
    await Promise.all([this.usual.shutdown(), this.tail?.shutdown(), this.sampler?.shutdown()]);
  }

  async forceFlush(): Promise<void> {
    await Promise.all([this.usual.forceFlush?.(), this.tail?.forceFlush?.(), this.sampler?.forceFlush?.()]);
  }
}
