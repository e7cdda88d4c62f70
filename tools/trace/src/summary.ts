import { covered, uncovered, type SpanView, type TraceModel } from './model';

/** One service's part of a trace. Times in µs; shares of the trace's duration, 0..1. */
export interface ServiceSummary {
  service: string;
  spans: number;
  /**
   * Wall-clock time during which at least one of its spans was open. Nested spans of the same
   * service are not added up, so this is "how long the request was in there".
   */
  totalUs: number;
  totalShare: number;
  /**
   * Wall-clock time with one of its spans open and none of that span's children: its own work,
   * not waiting for a child (another service, a query). Counted once where its spans overlap.
   */
  selfUs: number;
  selfShare: number;
  /** Its time on the critical path. */
  criticalUs: number;
  criticalShare: number;
  errors: number;
}

/**
 * The per-service breakdown of an incident report, most self time first. Total shares overlap
 * (the gateway is open for the whole request while payment works inside it); self shares do
 * not, and add up to about 100% when nothing runs in parallel.
 */
export function summarize(model: TraceModel): ServiceSummary[] {
  const share = (us: number) => (model.durationUs > 0 ? us / model.durationUs : 0);
  const byId = new Map(model.spans.map((s) => [s.spanId, s]));
  const interval = (s: SpanView) => ({ start: s.offsetUs, end: s.offsetUs + s.durationUs });
  return model.services
    .map((service) => {
      const spans = model.spans.filter((s) => s.service === service);
      const totalUs = covered(0, model.durationUs, spans.map(interval));
      const own = spans.flatMap((s) => uncovered(s.offsetUs, s.offsetUs + s.durationUs, s.childIds.map((id) => interval(byId.get(id)!))));
      const selfUs = covered(0, model.durationUs, own);
      const criticalUs = spans.reduce((sum, s) => sum + s.criticalUs, 0);
      return {
        service,
        spans: spans.length,
        totalUs,
        totalShare: share(totalUs),
        selfUs,
        selfShare: share(selfUs),
        criticalUs,
        criticalShare: model.criticalPathUs > 0 ? criticalUs / model.criticalPathUs : 0,
        errors: spans.filter((s) => s.error).length,
      };
    })
    .sort((a, b) => b.selfUs - a.selfUs || b.totalUs - a.totalUs);
}
