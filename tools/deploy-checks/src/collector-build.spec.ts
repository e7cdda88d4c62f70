import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { collectorTool } from './processes';
import { root, versions } from './workspace';

/**
 * The native Collector (otel/builder-config.yaml, built by tools/build-tools.sh) against the
 * configuration files it runs: every component any otel/collector*.yaml names is in the binary
 * (the contrib image of compose and the chart has them all; the native build only what is
 * listed), and each combination of files that compose, the chart or the native stack passes is
 * one the binary accepts (`otelcol validate`).
 */
const builder = parse(readFileSync(join(root, 'otel/builder-config.yaml'), 'utf8')) as Record<string, { gomod: string }[]>;
const KINDS = ['receivers', 'processors', 'exporters', 'connectors', 'extensions'] as const;
const otelcol = collectorTool;

/** The component types the built binary has, per kind (`otelcol components`). */
const built = () => parse(execFileSync(otelcol(), ['components'], { encoding: 'utf8' })) as Record<string, { name: string }[]>;

describe('the native Collector build', () => {
  it('pins every component at the Collector version of otel/versions.env', () => {
    const modules = KINDS.flatMap((kind) => builder[kind] ?? []).map((c) => c.gomod);
    expect(modules.filter((m) => !m.endsWith(` v${versions().OTELCOL_VERSION}`))).toEqual([]);
    expect(modules.some((m) => m.includes('/loadbalancingexporter '))).toBe(true);
  });

  it('has every component the otel/collector*.yaml files name', () => {
    const components = built();
    const missing: string[] = [];
    for (const file of readdirSync(join(root, 'otel')).filter((f) => /^collector.*\.yaml$/.test(f))) {
      const config = parse(readFileSync(join(root, 'otel', file), 'utf8')) ?? {};
      for (const kind of KINDS) {
        for (const id of Object.keys(config[kind] ?? {})) {
          const type = id.split('/')[0];
          if (!components[kind]?.some((c) => c.name === type)) missing.push(`${file}: ${kind} ${type}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it.each([
    ['one Collector, keep-all', ['collector.yaml', 'collector.sampling-keep-all.yaml']],
    ['one Collector, tail sampling', ['collector.yaml', 'collector.sampling-tail.yaml']],
    ['a router over a static list of samplers (native)', ['collector.routing.yaml', 'collector.routing-static.yaml']],
    ['a router over DNS (Kubernetes)', ['collector.routing.yaml', 'collector.routing-dns.yaml']],
  ])('accepts %s', (_, files) => {
    const args = ['validate', ...files.flatMap((f) => ['--config', `file:${join(root, 'otel', f)}`])];
    const env = { ...process.env, OTELCOL_SAMPLERS: '[127.0.0.1:4417, 127.0.0.1:4427]' };
    expect(() => execFileSync(otelcol(), args, { env, encoding: 'utf8', stdio: 'pipe' })).not.toThrow();
  });

  it('refuses a configuration that names a component it does not have', () => {
    // (So that the test above can fail: validate knows the binary's components.)
    const bogus = 'yaml:exporters::no_such_exporter: {}';
    expect(() => execFileSync(otelcol(), ['validate', '--config', `file:${join(root, 'otel/collector.yaml')}`, '--config', bogus], { stdio: 'pipe' })).toThrow(
      /no_such_exporter/,
    );
  });
});
