import exec from 'k6/execution';
import { Gauge } from 'k6/metrics';
import { envDuration, envInt, seconds } from './config.ts';

/**
 * Arrival-rate stages for the ramping scripts (stress, spike), written in journeys per second.
 * k6 wants integer rates: stages are scaled by 100 against a 100 s time unit, so 0.5/s works.
 * `target_rate` records, at every iteration, the rate k6 is aiming for at that moment: the summary
 * of an aborted stress run says at which rate the thresholds broke.
 */
export interface Stage {
  /** Journeys per second at the end of the stage. */
  target: number;
  duration: string;
}

export const targetRate = new Gauge('target_rate');

export function rampingScenario(startRate: number, stages: Stage[], preAllocatedVUs: number, maxVUs: number) {
  return {
    executor: 'ramping-arrival-rate',
    startRate: Math.round(startRate * 100),
    timeUnit: '100s',
    stages: stages.map((s) => ({ target: Math.round(s.target * 100), duration: s.duration })),
    preAllocatedVUs,
    maxVUs,
  };
}

/** Records the rate the current scenario aims for now (linear within a stage, as k6 ramps). */
export function recordTargetRate(startRate: number, stages: Stage[]): void {
  let t = (Date.now() - exec.scenario.startTime) / 1000;
  let from = startRate;
  for (const stage of stages) {
    const length = seconds(stage.duration);
    if (t <= length) {
      targetRate.add(from + (stage.target - from) * (length > 0 ? t / length : 1));
      return;
    }
    t -= length;
    from = stage.target;
  }
  targetRate.add(from);
}

/**
 * A steady scenario of `rate` journeys a second (fractional rates allowed, as above), with
 * DURATION, PRE_VUS and MAX_VUS from the environment; enough VUs for journeys of ~6 s each.
 */
export function steadyScenario(rate: number, defaultDuration: string) {
  return {
    executor: 'constant-arrival-rate',
    rate: Math.round(rate * 100),
    timeUnit: '100s',
    duration: envDuration('DURATION', defaultDuration),
    preAllocatedVUs: envInt('PRE_VUS', Math.ceil(rate * 6)),
    maxVUs: envInt('MAX_VUS', Math.max(10, Math.ceil(rate * 12))),
  };
}
