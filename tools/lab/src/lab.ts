/**
 * `npm run lab`: the labs of docs/labs as a loop that checks you.
 *
 *   npm run lab -- list
 *   npm run lab -- start <lab>            the fault on, its incident traffic (k6), the traces to open
 *   npm run lab -- hint <lab>             a nudge per question, never the answer
 *   npm run lab -- check <lab> [q=answer]...   graded against the traces of your run (prompts on a terminal)
 *   npm run lab -- fix <lab>              apply the lab's fix (the fault stays on)
 *   npm run lab -- verify <lab>           the same traffic again: passes when the fault's signature is gone
 *   npm run lab -- reset <lab>            the fix undone, the fault off, the lab's progress cleared
 */
import { setScenarios } from '@traceshop/testing';
import { createInterface } from 'node:readline/promises';
import { Evidence } from './evidence';
import { labNamed, LABS, UsageError } from './labs';
import type { Lab, LabContext, Question, Verdict } from './lab.types';
import { labContext, readProgress, runIncident, saveProgress, type Progress } from './session';

export const HELP = `usage: npm run lab -- <command> [<lab>] [...]

  list                       the labs and how far you are in each
  start <lab>                switches the lab's fault on, runs its incident traffic (k6) and prints the
                             traces worth opening (read them with npm run trace -- <trace-id>)
  hint <lab>                 a nudge for each question
  check <lab> [id=answer]... the questions, graded against the traces of your run; answers as
                             arguments (e.g. service=payment) or, on a terminal, at prompts
  fix <lab>                  applies the lab's fix, leaving the fault on (say what it changes, and where)
  verify <lab>               runs the incident traffic again and checks the fault's signature is gone
  reset <lab>                undoes the fix, switches the fault off, forgets the lab's progress

labs: ${LABS.map((l) => l.name).join(', ')}

Where the shop is: TRACESHOP_GATEWAY_URL (http://127.0.0.1:8080), TRACESHOP_JAEGER_URL
(http://127.0.0.1:16686), TRACESHOP_FLAGS_FILE (flags/traceshop.flagd.json), TRACESHOP_DATABASE_URL
(the database of npm start), TRACESHOP_LAB_AMQP_URL (its RabbitMQ vhost), TRACESHOP_REDIS_URL and
TRACESHOP_REDIS_KEY_PREFIX (its Redis), TRACESHOP_COLLECTOR_URL (http://127.0.0.1:4318) and
TRACESHOP_COLLECTOR_METRICS_URL (http://127.0.0.1:8888/metrics: its Collector's OTLP/HTTP door and own
metrics); progress in TRACESHOP_LAB_PROGRESS (tmp/labs/progress.json).
Exit 0: done, every answer right, verify passed; 1: a wrong answer or a failed verify; 2: wrong
command line, or the shop unreachable.
`;

/** The scenario as the lab stages it, e.g. `payment-declines=half`. */
const faultOf = (lab: Lab) => (lab.variant ? `${lab.scenario}=${lab.variant}` : lab.scenario);

async function ask(q: Question): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const choices = q.choices ? ` [${q.choices.join(' | ')}]` : '';
    return (await rl.question(`${q.ask}${choices}\n> `)).trim();
  } finally {
    rl.close();
  }
}

function printVerdict(q: Question, answer: string, v: Verdict) {
  console.log(v.ok ? `  ✔ ${q.id}: ${answer}` : `  ✘ ${q.id}: ${answer || '(no answer)'} — ${v.hint}`);
}

async function start(lab: Lab, ctx: LabContext, progress: Progress) {
  // A clean slate for this lab: its fix undone, its fault on.
  await lab.fix.undo(ctx);
  setScenarios(ctx.flagsFile, [faultOf(lab)], true);
  console.log(`${faultOf(lab)} is on. Making the incident's traffic (k6/incidents/${lab.scenario}.ts)...\n`);
  const run = await runIncident(lab, ctx, 'start');
  progress[lab.name] = { run, answered: {} };
  saveProgress(progress);
  const ids = run.traceIds.slice(0, 5);
  console.log(`\nThe run is recorded (${new Date(run.startedMs).toISOString()} – ${new Date(run.endedMs).toISOString()}).`);
  if (ids.length > 0) console.log(`Traces worth opening:\n${ids.map((id) => `  npm run trace -- ${id}`).join('\n')}`);
  else console.log(`Find its traces with a search, e.g. npm run trace -- --service gateway --operation "POST /api/checkout" --since 5m`);
  console.log(`Then answer: npm run lab -- check ${lab.name}   (hints: npm run lab -- hint ${lab.name}; the questions are in docs/labs/${lab.name}.md)`);
  return 0;
}

async function check(lab: Lab, ctx: LabContext, progress: Progress, args: string[]) {
  const run = progress[lab.name]?.run;
  if (!run) throw new UsageError(`no run of ${lab.name} yet: npm run lab -- start ${lab.name}`);
  const given = new Map(args.map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] as const).filter(([k]) => k !== ''));
  const unknown = [...given.keys()].filter((k) => !lab.questions.some((q) => q.id === k));
  if (unknown.length > 0) throw new UsageError(`${lab.name} has no question ${unknown.join(', ')} (its questions: ${lab.questions.map((q) => q.id).join(', ')})`);
  const evidence = await Evidence.load(ctx.jaegerUrl, run);
  const interactive = given.size === 0 && process.stdin.isTTY;
  const answered = progress[lab.name].answered;
  let allRight = true;
  for (const q of lab.questions) {
    const answer = given.get(q.id) ?? (interactive ? await ask(q) : undefined);
    if (answer === undefined) {
      if (!answered[q.id]) allRight = false;
      console.log(`  · ${q.id}: ${answered[q.id] ? 'answered before' : 'not answered'} — ${q.ask}${q.choices ? ` [${q.choices.join(' | ')}]` : ''}`);
      continue;
    }
    const verdict = q.grade(answer, evidence);
    printVerdict(q, answer, verdict);
    answered[q.id] = verdict.ok;
    allRight &&= verdict.ok;
  }
  saveProgress(progress);
  console.log(allRight ? `\nAll right. Now the fix: npm run lab -- fix ${lab.name}` : '\nNot yet: npm run lab -- hint ' + lab.name);
  return allRight ? 0 : 1;
}

async function verify(lab: Lab, ctx: LabContext, progress: Progress) {
  if (lab.faultStaysOn) setScenarios(ctx.flagsFile, [faultOf(lab)], true);
  console.log(`Running the incident's traffic again${lab.faultStaysOn ? `, ${lab.scenario} still on` : ''}...\n`);
  const run = await runIncident(lab, ctx, 'verify');
  const verdict = lab.verify(await Evidence.load(ctx.jaegerUrl, run), run.k6Code === 0);
  progress[lab.name] = { ...progress[lab.name], answered: progress[lab.name]?.answered ?? {}, verified: verdict.ok };
  saveProgress(progress);
  if (run.red && run.red.length > 0) console.log(`\nk6 thresholds red: ${run.red.join('; ')}`);
  console.log(verdict.ok ? `\n✔ verified: the signature of ${lab.scenario} is gone.${verdict.hint ? ` ${verdict.hint}` : ''}` : `\n✘ not yet: ${verdict.hint}`);
  return verdict.ok ? 0 : 1;
}

function list(progress: Progress) {
  for (const lab of LABS) {
    const p = progress[lab.name];
    const right = Object.values(p?.answered ?? {}).filter(Boolean).length;
    const state = !p ? '' : p.verified ? 'done' : p.fixed ? 'fixed' : p.run ? `started, ${right}/${lab.questions.length} answered` : '';
    console.log(`${lab.name.padEnd(20)} ${state.padEnd(24)} ${lab.practise}`);
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, name, ...rest] = argv;
  if (command === undefined || command === '--help' || command === 'help') {
    console.log(HELP);
    return command === undefined ? 2 : 0;
  }
  const ctx = labContext();
  const progress = readProgress();
  if (command === 'list') return list(progress);
  const lab = labNamed(name);
  switch (command) {
    case 'start':
      return start(lab, ctx, progress);
    case 'hint':
      for (const q of lab.questions) console.log(`${q.id}: ${q.ask}\n  hint: ${q.hint}${q.choices ? `\n  answer one of: ${q.choices.join(', ')}` : ''}`);
      return 0;
    case 'check':
      return check(lab, ctx, progress, rest);
    case 'fix':
      await lab.fix.apply(ctx);
      progress[lab.name] = { ...progress[lab.name], answered: progress[lab.name]?.answered ?? {}, fixed: true };
      saveProgress(progress);
      console.log(`${lab.name}: the fix ${lab.fix.does}.\nThen: npm run lab -- verify ${lab.name}`);
      return 0;
    case 'verify':
      return verify(lab, ctx, progress);
    case 'reset':
      await lab.fix.undo(ctx);
      setScenarios(ctx.flagsFile, [lab.scenario], false);
      delete progress[lab.name];
      saveProgress(progress);
      console.log(`${lab.name}: fix undone, ${lab.scenario} off, progress cleared.`);
      return 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
      console.error(e instanceof UsageError ? `${e.message}\n\n${HELP}` : `lab: ${e.message}`);
      process.exit(e instanceof UsageError || /ECONNREFUSED|fetch failed/.test(e.message) ? 2 : 1);
    },
  );
}
