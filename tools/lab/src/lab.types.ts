import type { Evidence } from './evidence';

/** A grader's answer: right, or wrong with a hint that points the way without giving the answer. */
export interface Verdict {
  ok: boolean;
  hint?: string;
}

export const right: Verdict = { ok: true };
export const wrong = (hint: string): Verdict => ({ ok: false, hint });
/** The answer to every "which span" question whose id is no span of the run. */
export const unknownSpan = wrong('That span id is not in the traces of this run: copy it from `npm run trace -- <trace-id> --ids` (16 hex digits).');

export interface Question {
  /** The name of the answer on the command line: `npm run lab -- check <lab> <id>=<answer>`. */
  id: string;
  ask: string;
  /** For multiple choice: the accepted words (the grader still decides which is right). */
  choices?: string[];
  /** A nudge for `npm run lab -- hint <lab>`; never the answer. */
  hint: string;
  grade(answer: string, evidence: Evidence): Verdict;
}

/** Where the running shop is, and how to reach its parts (see `labContext`). */
export interface LabContext {
  gatewayUrl: string;
  jaegerUrl: string;
  flagsFile: string;
  databaseUrl: string;
  amqpUrl: string;
  redisUrl: string;
  redisKeyPrefix: string;
  /** The Collector the services send to (OTLP/HTTP), and its own metrics (Prometheus text). */
  collectorUrl: string;
  collectorMetricsUrl: string;
}

/** The fix a person applies on purpose, separate from the fault: `npm run lab -- fix <lab>`. */
export interface Fix {
  /** What it changes and where the code is, as the person is told. */
  does: string;
  apply(ctx: LabContext): Promise<void>;
  undo(ctx: LabContext): Promise<void>;
}

export interface Lab {
  name: string;
  /** The fault scenario it stages (flags/traceshop.flagd.json), and its variant if not `on`. */
  scenario: string;
  variant?: string;
  /** One line for `list`. */
  practise: string;
  questions: Question[];
  fix: Fix;
  /**
   * With the fix applied and the traffic run again: is the fault's signature gone from the
   * traces? `k6` is whether k6's thresholds held; each lab says whether that is required.
   */
  verify(evidence: Evidence, k6Green: boolean): Verdict;
  /** Whether `verify` runs the traffic with the fault still on (false: the fix is switching it off). */
  faultStaysOn: boolean;
  /**
   * Whether sampling decides which of the run's traces reach Jaeger (sampling-blind-spot): the run
   * may leave none, and is settled only after the Collector's tail-sampling decision.
   */
  sampled?: boolean;
  /** Puts the shop in the state the incident starts from, before `start` and `verify` make traffic. */
  prepare?(ctx: LabContext): Promise<void>;
}

/** Grades a multiple-choice answer. */
export function choice(answer: string, expected: string, hint: string): Verdict {
  return answer.trim().toLowerCase() === expected ? right : wrong(hint);
}
