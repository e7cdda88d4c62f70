/**
 * The tracing-overhead report: medians over the repetitions, ratios against the first
 * configuration (SDK disabled), a Markdown page and an SVG chart. Pure functions of the runs.
 */

export interface Config {
  id: string;
  label: string;
  env: Record<string, string>;
}

/** One configuration, one repetition. */
export interface RunResult {
  config: string;
  rep: number;
  fixed: { checkouts: number; perS: number; p50Ms: number; p95Ms: number; p99Ms: number; errorRate: number };
  maxCheckoutsPerS: number;
  maxErrorRate: number;
  cpuMsByService: Record<string, number>;
  /** CPU of the six services during the fixed-rate phase, per checkout. */
  cpuMsPerCheckout: number;
  /** The same for the Collector and Jaeger together. */
  pipelineCpuMsPerCheckout: number;
  peakRssMiB: Record<string, number>;
  checkoutTracesInJaeger: number;
}

export interface Stat {
  median: number;
  min: number;
  max: number;
}

export interface ConfigSummary {
  config: Config;
  runs: number;
  maxCheckoutsPerS: Stat;
  p50Ms: Stat;
  p95Ms: Stat;
  p99Ms: Stat;
  cpuMsPerCheckout: Stat;
  pipelineCpuMsPerCheckout: Stat;
  peakRssMiB: Record<string, number>;
  worstErrorRate: number;
  checkoutTracesInJaeger: number;
  /** Against the first configuration: value / baseline (checkouts/s: higher is better; the rest: lower is). */
  ratio: { maxCheckoutsPerS: number; p50Ms: number; p95Ms: number; p99Ms: number; cpuMsPerCheckout: number };
}

export function summarize(configs: Config[], results: RunResult[]): ConfigSummary[] {
  const rows = configs.map((config) => {
    const runs = results.filter((r) => r.config === config.id);
    const services = Object.keys(runs[0]?.peakRssMiB ?? {});
    return {
      config,
      runs: runs.length,
      maxCheckoutsPerS: stat(runs.map((r) => r.maxCheckoutsPerS)),
      p50Ms: stat(runs.map((r) => r.fixed.p50Ms)),
      p95Ms: stat(runs.map((r) => r.fixed.p95Ms)),
      p99Ms: stat(runs.map((r) => r.fixed.p99Ms)),
      cpuMsPerCheckout: stat(runs.map((r) => r.cpuMsPerCheckout)),
      pipelineCpuMsPerCheckout: stat(runs.map((r) => r.pipelineCpuMsPerCheckout)),
      peakRssMiB: Object.fromEntries(services.map((s) => [s, stat(runs.map((r) => r.peakRssMiB[s])).median])),
      worstErrorRate: Math.max(...runs.flatMap((r) => [r.fixed.errorRate, r.maxErrorRate])),
      checkoutTracesInJaeger: stat(runs.map((r) => r.checkoutTracesInJaeger)).median,
    };
  });
  const base = rows[0];
  return rows.map((r) => ({
    ...r,
    ratio: {
      maxCheckoutsPerS: r.maxCheckoutsPerS.median / base.maxCheckoutsPerS.median,
      p50Ms: r.p50Ms.median / base.p50Ms.median,
      p95Ms: r.p95Ms.median / base.p95Ms.median,
      p99Ms: r.p99Ms.median / base.p99Ms.median,
      cpuMsPerCheckout: r.cpuMsPerCheckout.median / base.cpuMsPerCheckout.median,
    },
  }));
}

export interface Meta {
  date: string;
  machine: string;
  command: string;
  reps: number;
  rate: number;
  duration: string;
  warmup: string;
  maxVus: number;
}

export function renderMarkdown(meta: Meta, rows: ConfigSummary[]): string {
  const base = rows[0].config.label;
  const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
  const range = (s: Stat, digits = 1) => `${f(s.median, digits)} (${f(s.min, digits)}–${f(s.max, digits)})`;
  const x = (n: number) => (Number.isFinite(n) ? `×${n.toFixed(2)}` : '-');
  const services = Object.keys(rows[0].peakRssMiB);
  return `# What does tracing cost?

The same checkout-only load (\`k6/bench.ts\`: products, 1–3 cart items, cart, checkout, order
page) against the native stack in ${rows.length} configurations, interleaved
(${rows.map((r) => r.config.id).join(' → ')}, repeated ${meta.reps}×), each run on a fresh stack.
Requests carry no \`traceparent\`: the gateway's sampler decides.

- **Date**: ${meta.date}
- **Machine**: ${meta.machine} — the load generator (k6), Postgres, Redis, RabbitMQ, the Collector
  and Jaeger share it with the six services.
- **Load**: warm-up ${meta.warmup}, then ${meta.duration} at a fixed ${meta.rate} checkout journeys/s
  (latency, CPU), then ${meta.duration} with ${meta.maxVus} shoppers back to back (max rate).
- **Reproduce**: \`${meta.command}\`

${meta.reps < 3 ? `> **A short run** (${meta.reps} repetition${meta.reps > 1 ? 's' : ''} of ${meta.duration}): indicative only. The issue asks for at least 3;
> differences smaller than the min–max spread are noise.

` : ''}Medians over the repetitions (min–max in brackets); ratios against *${base}*.

| configuration | checkouts/s at max rate | p50 ms | p95 ms | p99 ms | CPU ms / checkout (6 services) | Collector + Jaeger CPU ms / checkout | checkout traces in Jaeger | worst error rate |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows
  .map(
    (r) =>
      `| ${r.config.label} | ${range(r.maxCheckoutsPerS, 2)} | ${f(r.p50Ms.median)} | ${range(r.p95Ms)} | ${f(r.p99Ms.median)} | ${range(r.cpuMsPerCheckout)} | ${f(r.pipelineCpuMsPerCheckout.median)} | ${r.checkoutTracesInJaeger}${r.checkoutTracesInJaeger >= TRACE_CAP ? '+' : ''} | ${(r.worstErrorRate * 100).toFixed(2)}% |`,
  )
  .join('\n')}

| configuration | checkouts/s | p50 | p95 | p99 | CPU / checkout |
| --- | --- | --- | --- | --- | --- |
${rows.map((r) => `| ${r.config.label} | ${x(r.ratio.maxCheckoutsPerS)} | ${x(r.ratio.p50Ms)} | ${x(r.ratio.p95Ms)} | ${x(r.ratio.p99Ms)} | ${x(r.ratio.cpuMsPerCheckout)} |`).join('\n')}

Peak RSS per service (VmHWM, MiB, median):

| configuration | ${services.join(' | ')} |
| --- | ${services.map(() => '---').join(' | ')} |
${rows.map((r) => `| ${r.config.label} | ${services.map((s) => f(r.peakRssMiB[s], 0)).join(' | ')} |`).join('\n')}

![ratios against ${base}](tracing-overhead.svg)

How it is measured: CPU is user + system time of each service process from \`/proc/<pid>/stat\`
over the fixed-rate phase, divided by the checkouts of that phase (the other requests of the
journey included). "Collector down" points the services' exporter at a closed port, which is
what a stopped Collector looks like to them. The last-but-one column checks that each
configuration did what it says (capped at ${TRACE_CAP}). The raw runs are in \`tracing-overhead.json\`.
`;
}

/** The Jaeger search the bench uses to count stored traces returns at most this many. */
export const TRACE_CAP = 300;

/** Grouped bars: for each configuration, its ratio against the baseline for four measures. */
export function renderSvg(rows: ConfigSummary[]): string {
  const measures: { key: keyof ConfigSummary['ratio']; label: string; color: string }[] = [
    { key: 'maxCheckoutsPerS', label: 'checkouts/s at max rate', color: '#4e79a7' },
    { key: 'p95Ms', label: 'p95 latency at fixed rate', color: '#f28e2b' },
    { key: 'p99Ms', label: 'p99 latency at fixed rate', color: '#e15759' },
    { key: 'cpuMsPerCheckout', label: 'CPU ms per checkout', color: '#59a14f' },
  ];
  const width = 860;
  const height = 420;
  const left = 60;
  const top = 50;
  const plotW = width - left - 20;
  const plotH = 260;
  const values = rows.flatMap((r) => measures.map((m) => r.ratio[m.key])).filter(Number.isFinite);
  const yMax = Math.max(1.2, Math.ceil(Math.max(...values) * 5) / 5);
  const px = (n: number) => Math.round(n * 10) / 10;
  const y = (v: number) => px(top + plotH - (v / yMax) * plotH);
  const groupW = plotW / rows.length;
  const barW = (groupW * 0.8) / measures.length;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  parts.push(`<text x="${left}" y="24" font-size="15" font-weight="bold">Tracing overhead: ratio against ${esc(rows[0].config.id)} (dashed line: 1.0, no cost)</text>`);
  for (let v = 0; v <= yMax + 1e-9; v += yMax > 2 ? 0.5 : 0.2) {
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(1)}" y2="${y(1)}" stroke="#333" stroke-dasharray="4 3"/>`);
  rows.forEach((r, i) => {
    const gx = left + i * groupW + groupW * 0.1;
    measures.forEach((m, j) => {
      const v = r.ratio[m.key];
      if (!Number.isFinite(v)) return;
      parts.push(`<rect x="${px(gx + j * barW)}" y="${y(v)}" width="${px(barW - 2)}" height="${px(y(0) - y(v))}" fill="${m.color}"><title>${esc(r.config.label)}: ${esc(m.label)} ×${v.toFixed(2)}</title></rect>`);
      parts.push(`<text x="${px(gx + j * barW + (barW - 2) / 2)}" y="${y(v) - 3}" text-anchor="middle" font-size="9">${v.toFixed(2)}</text>`);
    });
    parts.push(`<text x="${px(left + i * groupW + groupW / 2)}" y="${top + plotH + 18}" text-anchor="middle"><title>${esc(r.config.label)}</title>${esc(r.config.id)}</text>`);
  });
  measures.forEach((m, j) => {
    const lx = left + j * 200;
    parts.push(`<rect x="${lx}" y="${height - 30}" width="12" height="12" fill="${m.color}"/><text x="${lx + 16}" y="${height - 20}">${esc(m.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function stat(xs: number[]): Stat {
  const sorted = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return { median: NaN, min: NaN, max: NaN };
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}
