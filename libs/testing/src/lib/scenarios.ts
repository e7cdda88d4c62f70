import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fixFlag, type ScenarioName } from '@traceshop/contracts';

/** One flag of flagd's JSON format, as our scenario file uses it. */
interface ScenarioFlag {
  state: 'ENABLED' | 'DISABLED';
  variants: Record<string, unknown>;
  defaultVariant: string;
  metadata?: { breaks?: string; where?: string; trace?: string; fixes?: string; does?: string };
}

type FlagFile = { flags: Record<string, ScenarioFlag> };

/** A fault's fix: its own switch `fix.<scenario>`, off until someone applies it. */
export interface FixState {
  /** The flag's key, `fix.<scenario>`. */
  flag: string;
  on: boolean;
  /** What the fix changes, in one line. */
  does: string;
  where: string;
}

/** A fault scenario as `scenario list` shows it, with its fix if it has one. */
export interface ScenarioState {
  name: string;
  on: boolean;
  variant: string;
  variants: string[];
  breaks: string;
  where: string;
  trace: string;
  fix?: FixState;
}

const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as FlagFile;
const isOn = (flag: ScenarioFlag) => flag.state === 'ENABLED' && flag.defaultVariant !== 'off';
const FIX_PREFIX = 'fix.';

/** Replaces the file in one rename, so a service polling it never reads half of it. */
function write(file: string, doc: FlagFile): void {
  writeFileSync(`${file}.tmp`, `${JSON.stringify(doc, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** The fault scenarios of a flag file (fix switches are not scenarios), with whether each is on and its fix's state. */
export function listScenarios(file: string): ScenarioState[] {
  const { flags } = read(file);
  return Object.entries(flags)
    .filter(([name]) => !name.startsWith(FIX_PREFIX))
    .map(([name, flag]) => {
      const fix = flags[fixFlag(name as ScenarioName)];
      return {
        name,
        on: isOn(flag),
        variant: flag.defaultVariant,
        variants: Object.keys(flag.variants),
        breaks: flag.metadata?.breaks ?? '',
        where: flag.metadata?.where ?? '',
        trace: flag.metadata?.trace ?? '',
        ...(fix && { fix: { flag: fixFlag(name as ScenarioName), on: isOn(fix), does: fix.metadata?.does ?? '', where: fix.metadata?.where ?? '' } }),
      };
    });
}

/** A fault's flag, or an error naming the known ones. */
function scenarioFlag(doc: FlagFile, name: string): ScenarioFlag {
  const flag = name.startsWith(FIX_PREFIX) ? undefined : doc.flags[name];
  if (!flag) throw new Error(`unknown scenario "${name}" (known: ${Object.keys(doc.flags).filter((n) => !n.startsWith(FIX_PREFIX)).join(', ')})`);
  return flag;
}

/**
 * Switches scenarios on or off by rewriting the flag file (every service polls it). A name may
 * pick a variant, `payment-declines=half`. Fixes are switched apart, with `setFix`.
 */
export function setScenarios(file: string, names: string[], on: boolean): void {
  const doc = read(file);
  for (const spec of names) {
    const [name, variant = on ? 'on' : 'off'] = spec.split('=');
    const flag = scenarioFlag(doc, name);
    if (!(variant in flag.variants)) throw new Error(`scenario "${name}" has no variant "${variant}" (${Object.keys(flag.variants).join(', ')})`);
    flag.defaultVariant = on ? variant : 'off';
  }
  write(file, doc);
}

/** Applies (`on`) or undoes a scenario's fix, `fix.<scenario>`, leaving the fault as it is. */
export function setFix(file: string, scenario: string, on: boolean): void {
  const doc = read(file);
  scenarioFlag(doc, scenario);
  const fix = doc.flags[fixFlag(scenario as ScenarioName)];
  if (!fix) throw new Error(`scenario "${scenario}" has no fix switch`);
  fix.defaultVariant = on ? 'on' : 'off';
  write(file, doc);
}

/** A scenario over: its fault and its fix off (how each scenario's system test ends). */
export function switchOff(file: string, scenario: string): void {
  setScenarios(file, [scenario], false);
  setFix(file, scenario, false);
}

/** A clean slate: every fault and every fix off. */
export function switchAllOff(file: string): void {
  const doc = read(file);
  for (const flag of Object.values(doc.flags)) flag.defaultVariant = 'off';
  write(file, doc);
}

/** The scenario catalogue as a Markdown table (docs/scenarios.md is this, generated). */
export function scenarioTable(file: string): string {
  const code = (where: string) => where.split(', ').map((w) => `\`${w}\``).join(', ');
  const rows = listScenarios(file).map((s) => {
    const fix = s.fix ? `\`${s.fix.flag}\`: ${s.fix.does} (${code(s.fix.where)})` : '—';
    return `| [\`${s.name}\`](labs/${s.name}.md) | ${s.breaks} | ${code(s.where)} | ${s.trace} | ${fix} |`;
  });
  return [
    '# Fault scenarios',
    '',
    '<!-- Generated from flags/traceshop.flagd.json by `npm run scenario -- docs`; a test fails when it is out of date. -->',
    '',
    'Switch one on with `npm run scenario -- on <name>`, off with `npm run scenario -- off <name>` (or `off --all`).',
    'Each name links to its lab: the incident to investigate, step by step, with the answer at the end ([labs](labs/README.md)).',
    '',
    'A fault with a fix has a second switch, `fix.<name>`, that changes the code where the fault lives the way an',
    'engineer would repair it: with the fault still on, the fix makes its trace signature go away',
    '(`npm run lab -- fix <name>`). `npm run scenario -- list` shows whether each fix is on; `off --all`',
    'switches off every fault and every fix.',
    '',
    '| scenario | what breaks | where in the code | what the trace shows | the fix |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
