import { setFix, setScenarios } from '@traceshop/testing';
import type { Fix } from './lab.types';

/**
 * A HotROD-style fix switch: the fix is written in the service beside the fault, behind the
 * flag `fix.<scenario>` (flags/traceshop.flagd.json), and read there like the fault's flag.
 */
export function fixSwitch(scenario: string, does: string): Fix {
  return {
    does,
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
