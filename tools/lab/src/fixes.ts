import { listScenarios, repoRoot, setFix, setScenarios } from '@traceshop/testing';
import { join } from 'node:path';
import type { Fix } from './lab.types';

/**
 * A HotROD-style fix switch: the fix is written in the service beside the fault, behind the
 * flag `fix.<scenario>` (flags/traceshop.flagd.json), and read there like the fault's flag. What
 * it does and where is the flag's own metadata, so the lab says what the flag file says.
 */
export function fixSwitch(scenario: string): Fix {
  return {
    get does() {
      const fix = listScenarios(join(repoRoot(__dirname), 'flags/traceshop.flagd.json')).find((s) => s.name === scenario)?.fix;
      if (!fix) throw new Error(`flags/traceshop.flagd.json has no fix.${scenario}`);
      return `${fix.does} (${fix.where})`;
    },
    apply: async (ctx) => setFix(ctx.flagsFile, scenario, true),
    undo: async (ctx) => setFix(ctx.flagsFile, scenario, false),
  };
}

/** For labs where the fault is the lesson: the fix is the code without it, i.e. the fault switched off. */
export function faultOff(scenario: string, does: string): Fix {
  return {
    does,
    apply: async (ctx) => setScenarios(ctx.flagsFile, [scenario], false),
    undo: async () => undefined,
  };
}
