import { ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { InMemorySpanExporter, SamplingDecision, SimpleSpanProcessor, TraceIdRatioBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { waitFor } from '@traceshop/testing';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BLIND_SPOT_RATIO, configuredSampler, FlagFile, SamplingDoorExporter, SamplingFlagEvents, ScenarioSampler } from './sampling';

// The sampling-blind-spot scenario's pieces of the SDK, on a copy of the real flag file.

const FLAGS = join(__dirname, '../../../../flags/traceshop.flagd.json');

function flagFile(on: Record<string, boolean>): string {
  const doc = JSON.parse(readFileSync(FLAGS, 'utf8'));
  for (const [key, value] of Object.entries(on)) doc.flags[key].defaultVariant = value ? 'on' : 'off';
  const file = join(mkdtempSync(join(tmpdir(), 'sampling-spec-')), 'flags.json');
  writeFileSync(`${file}.tmp`, JSON.stringify(doc));
  renameSync(`${file}.tmp`, file); // as `npm run scenario` writes it
  return file;
}

/** A trace id the 1% head sampling keeps (`kept`) or drops, by the SDK's own rule. */
function traceIdThat(kept: boolean): string {
  const ratio = new TraceIdRatioBasedSampler(BLIND_SPOT_RATIO);
  for (;;) {
    const id = randomBytes(16).toString('hex');
    if ((ratio.shouldSample(ROOT_CONTEXT, id).decision === SamplingDecision.RECORD_AND_SAMPLED) === kept) return id;
  }
}

const remoteParent = (traceId: string, sampled: boolean) =>
  trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: randomBytes(8).toString('hex'), traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote: true });

const opened: FlagFile[] = [];
const flagsOf = (on: Record<string, boolean>) => {
  const flags = new FlagFile(flagFile(on));
  opened.push(flags);
  return flags;
};
afterAll(() => opened.forEach((f) => f.close()));

describe('FlagFile', () => {
  it('reads a boolean flag as flagd does (an ENABLED flag, its default variant), off when the file is missing', () => {
    const flags = flagsOf({ 'sampling-blind-spot': true });
    expect([flags.isOn('sampling-blind-spot'), flags.isOn('fix.sampling-blind-spot'), flags.isOn('no-such-flag')]).toEqual([true, false, false]);
    expect(new FlagFile(join(tmpdir(), 'no-such-dir', 'flags.json')).isOn('sampling-blind-spot')).toBe(false);
    expect(new FlagFile(undefined).isOn('sampling-blind-spot')).toBe(false);
  });

  it('follows the file when it changes', async () => {
    const file = flagFile({});
    const flags = new FlagFile(file);
    opened.push(flags);
    expect(flags.isOn('sampling-blind-spot')).toBe(false);
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    doc.flags['sampling-blind-spot'].defaultVariant = 'on';
    writeFileSync(`${file}.tmp`, JSON.stringify(doc));
    renameSync(`${file}.tmp`, file);
    await waitFor(async () => flags.isOn('sampling-blind-spot'), Boolean, { timeoutMs: 10_000, what: 'the switch read back' });
  });
});

describe('ScenarioSampler', () => {
  const sample = (sampler: ScenarioSampler, traceId: string, parent = ROOT_CONTEXT) => sampler.shouldSample(parent, traceId, 'span', SpanKind.SERVER, {}, []).decision;
  const KEEP = SamplingDecision.RECORD_AND_SAMPLED;
  const DROP = SamplingDecision.NOT_RECORD;

  it('is the configured sampler while the scenario is off, or fixed', () => {
    for (const on of [{}, { 'sampling-blind-spot': true, 'fix.sampling-blind-spot': true }] as Record<string, boolean>[]) {
      const sampler = new ScenarioSampler(configuredSampler({}), flagsOf(on));
      expect([sample(sampler, traceIdThat(false)), sample(sampler, traceIdThat(true))]).toEqual([KEEP, KEEP]);
      expect(sample(sampler, traceIdThat(true), remoteParent(traceIdThat(true), false))).toBe(DROP); // parent-based
    }
  });

  it('keeps 1% by trace id where a trace enters the service, whatever the caller says, and lets children follow their parent', () => {
    const sampler = new ScenarioSampler(configuredSampler({}), flagsOf({ 'sampling-blind-spot': true }));
    const [dropped, kept] = [traceIdThat(false), traceIdThat(true)];
    expect([sample(sampler, dropped), sample(sampler, kept)]).toEqual([DROP, KEEP]);
    // k6 marks every request sampled: the trace id decides all the same, in every service alike.
    expect([sample(sampler, dropped, remoteParent(dropped, true)), sample(sampler, kept, remoteParent(kept, false))]).toEqual([DROP, KEEP]);
    // Inside the service, a kept span's children are kept, whatever their trace id would say.
    const localParent = trace.setSpanContext(ROOT_CONTEXT, { traceId: dropped, spanId: randomBytes(8).toString('hex'), traceFlags: TraceFlags.SAMPLED });
    expect(sample(sampler, dropped, localParent)).toBe(KEEP);
    // Over many traces: about 1%.
    const keptOf = Array.from({ length: 5_000 }, () => randomBytes(16).toString('hex')).filter((id) => sample(sampler, id) === KEEP).length;
    expect(keptOf).toBeGreaterThan(20);
    expect(keptOf).toBeLessThan(100);
  });

  it('builds the sampler OTEL_TRACES_SAMPLER[_ARG] ask for, as NodeSDK would', () => {
    expect(configuredSampler({}).toString()).toMatch(/^ParentBased\{root=AlwaysOnSampler/);
    expect(configuredSampler({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).toString()).toMatch(/^ParentBased\{root=TraceIdRatioBased\{0.25\}/);
    expect(configuredSampler({ OTEL_TRACES_SAMPLER: 'always_off' }).toString()).toBe('AlwaysOffSampler');
    expect(configuredSampler({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.5' }).toString()).toBe('TraceIdRatioBased{0.5}');
  });
});

describe('SamplingFlagEvents and SamplingDoorExporter, in a tracer provider', () => {
  function provider(on: Record<string, boolean>, tailDoor = true) {
    const flags = flagsOf(on);
    const usual = new InMemorySpanExporter();
    const tail = new InMemorySpanExporter();
    const exporter = new SamplingDoorExporter(usual, tailDoor ? tail : undefined, flags);
    const tracer = new TracerProvider({ spanProcessors: [new SamplingFlagEvents(flags), new SimpleSpanProcessor({ exporter })] }).getTracer('spec');
    return { tracer, usual, tail };
  }

  it('puts both evaluations on the span where the trace enters the service while either is on, none on its children', () => {
    const { tracer, usual } = provider({ 'sampling-blind-spot': true, 'fix.sampling-blind-spot': false });
    const entry = tracer.startSpan('entry', {}, remoteParent(traceIdThat(true), true));
    tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, entry)).end();
    entry.end();
    const [child, ended] = usual.getFinishedSpans();
    const evaluations = (s: typeof ended) => s.events.filter((e) => e.name === 'feature_flag.evaluation').map((e) => `${e.attributes!['feature_flag.key']}=${e.attributes!['feature_flag.result.variant']}`);
    expect(evaluations(ended)).toEqual(['sampling-blind-spot=on', 'fix.sampling-blind-spot=off']);
    expect(evaluations(child)).toEqual([]);
    // Sampling as usual (both off) says nothing.
    const asUsual = provider({});
    asUsual.tracer.startSpan('entry', {}, remoteParent(traceIdThat(true), true)).end();
    expect(evaluations(asUsual.usual.getFinishedSpans()[0])).toEqual([]);
  });

  it('sends the spans through the tail door while the fix is on, and through the usual one otherwise', () => {
    const fixed = provider({ 'sampling-blind-spot': true, 'fix.sampling-blind-spot': true });
    fixed.tracer.startSpan('fixed').end();
    expect([fixed.usual.getFinishedSpans().length, fixed.tail.getFinishedSpans().length]).toEqual([0, 1]);
    const broken = provider({ 'sampling-blind-spot': true });
    broken.tracer.startSpan('not fixed', {}, remoteParent(traceIdThat(true), true)).end();
    expect([broken.usual.getFinishedSpans().length, broken.tail.getFinishedSpans().length]).toEqual([1, 0]);
  });

  it('without a tail door configured, sends everything through the usual one', () => {
    const { tracer, usual } = provider({ 'fix.sampling-blind-spot': true }, false);
    tracer.startSpan('fixed, no door').end();
    expect(usual.getFinishedSpans()).toHaveLength(1);
  });

  describe('split-traces (the two-layer tier)', () => {
    function tier(on: Record<string, boolean>, samplerDoor = true) {
      const flags = flagsOf(on);
      const [usual, tail, sampler] = [new InMemorySpanExporter(), new InMemorySpanExporter(), new InMemorySpanExporter()];
      const exporter = new SamplingDoorExporter(usual, tail, flags, samplerDoor ? sampler : undefined);
      const tracer = new TracerProvider({ spanProcessors: [new SamplingFlagEvents(flags), new SimpleSpanProcessor({ exporter })] }).getTracer('spec');
      tracer.startSpan('entry', {}, remoteParent(traceIdThat(true), true)).end();
      const counts = [usual, tail, sampler].map((e) => e.getFinishedSpans().length);
      const events = [usual, sampler].flatMap((e) => e.getFinishedSpans()).flatMap((sp) => sp.events.map((ev) => `${ev.attributes!['feature_flag.key']}=${ev.attributes!['feature_flag.result.variant']}`));
      return { counts, events };
    }

    it('bypasses the router for the sampler this instance was given while the fault is in force, with the evaluations on the entry span', () => {
      expect(tier({ 'split-traces': true })).toEqual({ counts: [0, 0, 1], events: ['split-traces=on', 'fix.split-traces=off'] });
    });

    it('goes through the router again once fixed, or when off, or when no sampler was given (compose, one Collector)', () => {
      expect(tier({ 'split-traces': true, 'fix.split-traces': true }).counts).toEqual([1, 0, 0]);
      expect(tier({})).toEqual({ counts: [1, 0, 0], events: [] });
      expect(tier({ 'split-traces': true }, false).counts).toEqual([1, 0, 0]);
    });
  });
});
