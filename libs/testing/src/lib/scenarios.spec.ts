import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCENARIOS } from '@traceshop/contracts';
import { listScenarios, scenarioTable, setScenarios } from './scenarios';

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

  it('has a lab per scenario that switches it on and off, drives it with its k6 incident script and points at its code', () => {
    const labs = join(ROOT, 'docs/labs');
    const index = readFileSync(join(labs, 'README.md'), 'utf8');
    for (const s of listScenarios(FLAGS)) {
      const lab = readFileSync(join(labs, `${s.name}.md`), 'utf8');
      expect(lab).toContain(`npm run scenario -- on ${s.name}`);
      expect(lab).toContain(`npm run scenario -- off ${s.name}`);
      expect(lab).toContain(`k6/incidents/${s.name}.ts`);
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
