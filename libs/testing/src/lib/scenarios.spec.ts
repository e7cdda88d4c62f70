import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
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
