/**
 * `npm run replay -- <queue>`: moves the dead letters of a work queue (`<queue>.dlq`) back to
 * the queue, once its consumer has been fixed (libs/messaging's replayDeadLetters: tries counted
 * afresh, the trace context kept). Prints how many it moved.
 *
 *   npm run replay -- cart.order-events
 *   npm run replay -- cart.order-events --amqp-url amqp://guest:guest@127.0.0.1:5672/traceshop-ab12cd34
 *
 * The broker: --amqp-url, else AMQP_URL, else the native stack's vhost (as `npm run audit`).
 * Exit 0: done (also when there was nothing to move); 1: it could not; 2: a wrong command line.
 */
import { parseArgs } from 'node:util';
import { replayDeadLetters, WORK_QUEUES } from '@traceshop/messaging';

const USAGE = `usage: npm run replay -- <queue> [--amqp-url URL]   (queues: ${WORK_QUEUES.join(', ')})`;

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: process.argv.slice(2), allowPositionals: true, options: { 'amqp-url': { type: 'string' }, help: { type: 'boolean' } } });
  } catch (e) {
    console.error(`replay: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) return console.log(USAGE), 0;
  if (positionals.length !== 1) return console.error(USAGE), 2;
  const url = values['amqp-url'] || process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672/traceshop';
  try {
    const moved = await replayDeadLetters(url, positionals[0]);
    console.log(`${moved} message${moved === 1 ? '' : 's'} moved from ${positionals[0]}.dlq back to ${positionals[0]}`);
    return 0;
  } catch (e) {
    console.error(`replay: ${(e as Error).message}`);
    return 1;
  }
}

main().then((code) => (process.exitCode = code));
