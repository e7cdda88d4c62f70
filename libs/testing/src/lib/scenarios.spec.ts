import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCENARIOS } from '@traceshop/contracts';
import { listScenarios, scenarioTable, setFix, setScenarios, switchAllOff } from './scenarios';

const ROOT = join(__dirname, '../../../..');
const FLAGS = join(ROOT, 'flags/traceshop.flagd.json');

describe('scenarios', () => {
  it('docs/scenarios.md is the table generated from the flag file (run `npm run scenario -- docs`)', () => {
    expect(readFileSync(join(ROOT, 'docs/scenarios.md'), 'utf8')).toBe(scenarioTable(FLAGS));
  });

  it('the flag file defines exactly the scenarios the code knows, all off, each documented', () => {
    const scenarios = listScenarios(FLAGS);
    expect(scenarios.map((s) => s.name).sort()).toEqual(Object.values(SCENARIOS).sort());
    for (const s of scenarios) {
      expect(s.on).toBe(false);
      expect([s.breaks, s.where, s.trace].every((text) => text.length > 10)).toBe(true);
    }
  });

  it('has a lab per scenario that switches it on and off, drives it with its k6 incident script (and npm run lab) and points at its code', () => {
    const labs = join(ROOT, 'docs/labs');
    const index = readFileSync(join(labs, 'README.md'), 'utf8');
    for (const s of listScenarios(FLAGS)) {
      const lab = readFileSync(join(labs, `${s.name}.md`), 'utf8');
      expect(lab).toContain(`npm run scenario -- on ${s.name}`);
      expect(lab).toContain(`npm run scenario -- off ${s.name}`);
      expect(lab).toContain(`npm run k6 -- incidents/${s.name}`);
      expect(lab).toContain(`npm run lab -- start ${s.name}`);
      expect(existsSync(join(ROOT, `k6/incidents/${s.name}.ts`))).toBe(true);
      for (const where of s.where.split(', ')) expect(lab).toContain(where);
      expect(lab).toMatch(/<details>[\s\S]+<\/details>/); // the answer, folded
      expect(index).toContain(`(${s.name}.md)`);
    }
    // Every file a lab names exists (a `*` stands for a migration's timestamp).
    for (const file of readdirSync(labs)) {
      for (const [path] of readFileSync(join(labs, file), 'utf8').matchAll(/(?:apps|libs|k6)\/[\w./*-]+\.(?:ts|sql)/g)) {
        const [dir, name] = [path.slice(0, path.lastIndexOf('/')), path.slice(path.lastIndexOf('/') + 1)];
        if (path.includes('<')) continue;
        const pattern = new RegExp(`^${name.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`);
        expect({ path, exists: existsSync(join(ROOT, dir)) && readdirSync(join(ROOT, dir)).some((f) => pattern.test(f)) }).toEqual({ path, exists: true });
      }
    }
  });

  it('gives each fix its own boolean switch fix.<scenario>, off, saying what it changes and where, explained in its lab', () => {
    const flags = JSON.parse(readFileSync(FLAGS, 'utf8')).flags as Record<string, { variants: object; defaultVariant: string; metadata: Record<string, string> }>;
    const fixes = Object.keys(flags).filter((name) => name.startsWith('fix.'));
    expect(fixes.length).toBeGreaterThanOrEqual(3);
    for (const name of fixes) {
      const { variants, defaultVariant, metadata } = flags[name];
      expect({ name, variants, defaultVariant, fixes: metadata.fixes }).toEqual({ name, variants: { on: true, off: false }, defaultVariant: 'off', fixes: name.slice(4) });
      expect(Object.values(SCENARIOS)).toContain(metadata.fixes);
      expect(metadata.does.length).toBeGreaterThan(10);
      const lab = readFileSync(join(ROOT, 'docs/labs', `${metadata.fixes}.md`), 'utf8');
      expect(lab).toContain(`npm run lab -- fix ${metadata.fixes}`);
      for (const where of metadata.where.split(', ')) {
        expect({ where, exists: existsSync(join(ROOT, where)) }).toEqual({ where, exists: true });
        expect(lab).toContain(where);
      }
    }
    // Fixes are not scenarios: each shows up as the state of its fault's fix.
    const scenarios = listScenarios(FLAGS);
    expect(scenarios.map((s) => s.name).filter((name) => name.startsWith('fix.'))).toEqual([]);
    expect(scenarios.filter((s) => s.fix).map((s) => s.fix!.flag).sort()).toEqual(fixes.sort());
    expect(scenarios.find((s) => s.name === 'n-plus-one')!.fix).toEqual({ flag: 'fix.n-plus-one', on: false, does: flags['fix.n-plus-one'].metadata.does, where: 'apps/inventory/src/inventory.repository.ts' });
  });

  it('applies and undoes a fix without touching its fault, and turns every fault and fix off at once', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'flags-')), 'flags.json');
    copyFileSync(FLAGS, file);
    const state = (name: string) => listScenarios(file).find((s) => s.name === name)!;
    setScenarios(file, ['n-plus-one', 'lock-contention'], true);
    setFix(file, 'n-plus-one', true);
    expect([state('n-plus-one').on, state('n-plus-one').fix!.on]).toEqual([true, true]);
    expect([state('lock-contention').on, state('lock-contention').fix!.on]).toEqual([true, false]);
    setFix(file, 'n-plus-one', false);
    expect([state('n-plus-one').on, state('n-plus-one').fix!.on]).toEqual([true, false]);

    setFix(file, 'cache-stampede', true);
    setScenarios(file, ['payment-declines=half'], true);
    switchAllOff(file);
    const flags = JSON.parse(readFileSync(file, 'utf8')).flags as Record<string, { defaultVariant: string }>;
    expect(Object.entries(flags).filter(([, f]) => f.defaultVariant !== 'off')).toEqual([]);

    expect(() => setFix(file, 'no-such-thing', true)).toThrow(/unknown scenario "no-such-thing"/);
    delete flags['fix.lock-contention'];
    writeFileSync(file, JSON.stringify({ flags }));
    expect(() => setFix(file, 'lock-contention', true)).toThrow(/"lock-contention" has no fix switch/);
    expect(state('lock-contention').fix).toBeUndefined();
    expect(() => setScenarios(file, ['fix.n-plus-one'], true)).toThrow(/unknown scenario "fix.n-plus-one"/); // a fix is switched with setFix
  });

  it('switches a scenario on and off in a copy of the flag file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'flags-')), 'flags.json');
    copyFileSync(FLAGS, file);
    setScenarios(file, ['slow-checkout'], true);
    expect(listScenarios(file).find((s) => s.name === 'slow-checkout')!.on).toBe(true);
    setScenarios(file, ['slow-checkout'], false);
    expect(listScenarios(file).find((s) => s.name === 'slow-checkout')!.on).toBe(false);
    expect(() => setScenarios(file, ['no-such-thing'], true)).toThrow(/unknown scenario/);
  });
});
