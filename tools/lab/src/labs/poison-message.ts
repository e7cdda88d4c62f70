import { CART_ORDER_EVENTS_QUEUE } from '@traceshop/contracts';
import { replayDeadLetters } from '@traceshop/messaging';
import { isError, mode, serviceOf, tag, type Evidence } from '../evidence';
import { fixSwitch } from '../fixes';
import { choice, right, wrong, type Lab } from '../lab.types';
import { SETTLE_MS } from '../session';

/** Per trace: cart's failed processing spans (one per delivery of the same event). */
function failedDeliveries(evidence: Evidence): number[] {
  return evidence.traces
    .map((t) => t.spans.filter((s) => serviceOf(t, s) === 'cart' && isError(s) && tag(s, 'traceshop.messaging.retry_count') !== undefined).length)
    .filter((n) => n > 0);
}

const cartFix = fixSwitch('poison-message');

export const poisonMessage: Lab = {
  name: 'poison-message',
  scenario: 'poison-message',
  practise: 'a consumer that keeps failing: retries, exceptions on spans, the dead-letter queue',
  faultStaysOn: true,
  questions: [
    {
      id: 'attempts',
      ask: 'How many times does cart try to process one order.confirmed?',
      hint: 'Search service cart with error=true, open one trace and count cart’s red spans; read traceshop.messaging.retry_count on each.',
      grade(answer, evidence) {
        return Number(answer) === mode(failedDeliveries(evidence)) ? right : wrong('Count the red processing spans of cart in one trace.');
      },
    },
    {
      id: 'where',
      ask: 'After the last attempt, where is the message?',
      choices: ['dead-letter-queue', 'dropped', 'requeued-forever', 'inventory'],
      hint: 'What does the last attempt’s span say, and which queues does RabbitMQ have besides cart’s?',
      grade: (answer) => choice(answer, 'dead-letter-queue', 'It is neither lost nor retried forever: RabbitMQ keeps it somewhere a person can look.'),
    },
    {
      id: 'inventory',
      ask: 'Did inventory process the same event?',
      choices: ['yes', 'no'],
      hint: 'The orders exchange fans out: look at inventory’s processing span in the same trace.',
      grade(answer, evidence) {
        const ok = evidence.traces.some((t) => t.spans.some((s) => serviceOf(t, s) === 'cart' && isError(s)) && t.spans.some((s) => serviceOf(t, s) === 'inventory' && s.operationName.includes('process') && !isError(s)));
        return choice(answer, ok ? 'yes' : 'no', 'Look for inventory’s span in a trace where cart failed.');
      },
    },
  ],
  fix: {
    get does() {
      return `${cartFix.does}; then the dead-lettered events go back to ${CART_ORDER_EVENTS_QUEUE} (npm run replay -- ${CART_ORDER_EVENTS_QUEUE}), so their orders are written`;
    },
    async apply(ctx) {
      await cartFix.apply(ctx);
      // The fixed consumer must be in force before the dead letters come back.
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const moved = await replayDeadLetters(ctx.amqpUrl, CART_ORDER_EVENTS_QUEUE);
      console.log(`${moved} dead-lettered event${moved === 1 ? '' : 's'} sent back to ${CART_ORDER_EVENTS_QUEUE}`);
    },
    undo: (ctx) => cartFix.undo(ctx),
  },
  verify(evidence, k6Green) {
    const failed = failedDeliveries(evidence);
    if (!k6Green) return wrong('k6’s thresholds are still red.');
    return failed.length === 0 ? right : wrong(`cart still failed on events in ${failed.length} traces`);
  },
};
