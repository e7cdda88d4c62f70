import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/** One flag of flagd's JSON format, as our scenario file uses it. */
interface ScenarioFlag {
  state: 'ENABLED' | 'DISABLED';
  variants: Record<string, unknown>;
  defaultVariant: string;
  metadata?: { breaks?: string; where?: string; trace?: string };
}

/** A scenario as `scenario list` shows it. */
export interface ScenarioState {
  name: string;
  on: boolean;
  variant: string;
  variants: string[];
  breaks: string;
  where: string;
  trace: string;
}

const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as { flags: Record<string, ScenarioFlag> };

/** The scenarios of a flag file, with whether each is on. */
export function listScenarios(file: string): ScenarioState[] {
  return Object.entries(read(file).flags).map(([name, flag]) => ({
    name,
    on: flag.state === 'ENABLED' && flag.defaultVariant !== 'off',
    variant: flag.defaultVariant,
    variants: Object.keys(flag.variants),
    breaks: flag.metadata?.breaks ?? '',
    where: flag.metadata?.where ?? '',
    trace: flag.metadata?.trace ?? '',
  }));
}

/**
 * Switches scenarios on or off by rewriting the flag file (every service polls it). A name may
 * pick a variant, `payment-declines=half`. The file is replaced in one rename, so a service never
 * reads half of it.
 */
export function setScenarios(file: string, names: string[], on: boolean): void {
  const doc = read(file);
  for (const spec of names) {
    const [name, variant = on ? 'on' : 'off'] = spec.split('=');
    const flag = doc.flags[name];
    if (!flag) throw new Error(`unknown scenario "${name}" (known: ${Object.keys(doc.flags).join(', ')})`);
    if (!(variant in flag.variants)) throw new Error(`scenario "${name}" has no variant "${variant}" (${Object.keys(flag.variants).join(', ')})`);
    flag.defaultVariant = on ? variant : 'off';
  }
  writeFileSync(`${file}.tmp`, `${JSON.stringify(doc, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** The scenario catalogue as a Markdown table (docs/scenarios.md is this, generated). */
export function scenarioTable(file: string): string {
  const rows = listScenarios(file).map((s) => `| [\`${s.name}\`](labs/${s.name}.md) | ${s.breaks} | ${s.where.split(', ').map((w) => `\`${w}\``).join(', ')} | ${s.trace} |`);
  return [
    '# Fault scenarios',
    '',
    '<!-- Generated from flags/traceshop.flagd.json by `npm run scenario -- docs`; a test fails when it is out of date. -->',
    '',
    'Switch one on with `npm run scenario -- on <name>`, off with `npm run scenario -- off <name>` (or `off --all`).',
    'Each name links to its lab: the incident to investigate, step by step, with the answer at the end ([labs](labs/README.md)).',
    '',
    '| scenario | what breaks | where in the code | what the trace shows |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
