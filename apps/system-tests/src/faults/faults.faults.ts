import type { ServiceName } from '@traceshop/contracts';
import { findTraces, getTrace, jsonClient, JaegerTrace, serviceOf, Stack, startStack, tag, waitFor } from '@traceshop/testing';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { APPROVED_CARD } from '../shop';
import { FaultRow, writeReport } from './report';
import { Shoppers, statusCounts } from './shoppers';

const run = promisify(execFile);
const ROOT = join(__dirname, '../../../..');
const APPS: ServiceName[] = ['gateway', 'auth', 'cart', 'inventory', 'payment', 'payment-provider'];

// Short timeouts, so that each fault plays out in seconds: payment gives the provider 2 s, the
// gateway gives payment 4 s, reservations expire after 30 s, the reconciler waits 3 s for a
// client's own retry. Every fault is held longer than all of them. The shoppers check out back to
// back (~150 checkout requests a minute each): a load generator, not people, so the gateway's
// per-user checkout limit is raised out of their way.
const APP_ENV: Partial<Record<ServiceName, Record<string, string>>> = {
  gateway: { PAYMENT_TIMEOUT_MS: '4000', UPSTREAM_TIMEOUT_MS: '3000', RECONCILE_INTERVAL_MS: '1000', RECONCILE_AFTER_MS: '3000', CHECKOUT_LIMIT_PER_USER: '100000' },
  payment: { PROVIDER_TIMEOUT_MS: '2000' },
  inventory: { RESERVATION_TTL_SECONDS: '30', RESERVATION_SWEEP_INTERVAL_MS: '1000' },
};
const GRACE_SECONDS = 15;

/** The machine's Postgres, Redis and RabbitMQ: up again, whatever happened (tools/infra.sh). */
const infra = (...args: string[]) => run('bash', [join(ROOT, 'tools/infra.sh'), ...args], { timeout: 120_000 });

/** `npm run audit` against this stack; resolves with its exit code and JSON report. */
async function audit(stack: Stack, graceSeconds: number) {
  const args = ['tsx', '--tsconfig', 'tsconfig.base.json', 'tools/audit/src/audit.ts', '--json',
    '--database-url', stack.databaseUrl, '--amqp-url', stack.amqpUrl,
    '--grace-seconds', String(graceSeconds), '--reservation-ttl-seconds', String(APP_ENV.inventory!.RESERVATION_TTL_SECONDS)];
  try {
    const { stdout } = await run('npx', args, { cwd: ROOT, timeout: 60_000 });
    return { code: 0, report: JSON.parse(stdout) };
  } catch (e) {
    const failed = e as { code?: number; stdout?: string; stderr?: string };
    if (failed.code === 1) return { code: 1, report: JSON.parse(failed.stdout!) };
    throw new Error(`audit could not run (exit ${failed.code}): ${failed.stderr}`);
  }
}

/** A new registered, logged-in customer of `stack`. */
async function customer(stack: Stack) {
  const api = jsonClient(stack.gatewayUrl);
  const email = `faults-${Date.now()}-${Math.random().toString(16).slice(2, 8)}@example.com`;
  expect((await api.post('/api/auth/register', { email, password: 'fault-suite-password' })).status).toBe(201);
  const token = (await api.post('/api/auth/login', { email, password: 'fault-suite-password' })).body.accessToken;
  return jsonClient(stack.gatewayUrl, { authorization: `Bearer ${token}` });
}

/** Every app answers ready. */
async function allReady(stack: Stack): Promise<boolean> {
  const answers = await Promise.all(
    APPS.map((app) => fetch(`${stack.urls[app]}/health/ready`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.status, () => 0)),
  );
  return answers.every((s) => s === 200);
}

/** A fault: what breaks, for how long, and how it is undone. */
interface Fault {
  name: string;
  inject(stack: Stack): Promise<void>;
  /** How long the fault lasts before it is undone (the outage under test, not a synchronisation). */
  holdMs: number;
  restore(stack: Stack): Promise<void>;
}

const kill = (app: ServiceName): Fault => {
  let restartsBefore = 0;
  return {
    name: `\`kill -9\` ${app}`,
    inject: async (stack) => {
      restartsBefore = stack.restarts(app);
      stack.signal(app, 'SIGKILL');
    },
    holdMs: 0,
    // The supervisor brings it back by itself: wait for that, never restart by hand.
    restore: (stack) => waitFor(async () => stack.restarts(app), (n) => n > restartsBefore, { timeoutMs: 60_000, what: `${app} restarted` }).then(() => undefined),
  };
};

const FAULTS: Fault[] = [
  ...APPS.map(kill),
  {
    name: 'payment-provider paused (SIGSTOP) past every timeout',
    inject: async (stack) => stack.signal('payment-provider', 'SIGSTOP'),
    holdMs: 8_000,
    restore: async (stack) => stack.signal('payment-provider', 'SIGCONT'),
  },
  { name: 'RabbitMQ `stop_app`, 5 s, `start_app`', inject: () => infra('stop', 'rabbitmq').then(() => undefined), holdMs: 5_000, restore: () => infra('ensure').then(() => undefined) },
  { name: 'Postgres stopped 5 s and started (`pg_ctlcluster`)', inject: () => infra('stop', 'postgres').then(() => undefined), holdMs: 5_000, restore: () => infra('ensure').then(() => undefined) },
  { name: 'Redis shut down 5 s and started (all keys lost)', inject: () => infra('stop', 'redis').then(() => undefined), holdMs: 5_000, restore: () => infra('ensure').then(() => undefined) },
];

// The fault suite: the whole native stack under steady checkout traffic, each fault in turn.
// It stops and starts the machine's Postgres, Redis and RabbitMQ, so it runs alone, at the end
// of `npm test`, and puts them back whatever happens.
describe('the shop under real failure: it heals itself and loses nothing', () => {
  let stack: Stack;
  let shoppers: Shoppers;
  const rows: FaultRow[] = [];

  beforeAll(async () => {
    await infra('ensure');
    stack = await startStack({ portBase: Number(process.env.TRACESHOP_FAULTS_PORT_BASE ?? 19000), env: { FRAUD_HISTORY_ROWS: '2000' }, appEnv: APP_ENV });
  }, 180_000);

  afterAll(async () => {
    await shoppers?.stop();
    await infra('ensure');
    await stack?.stop();
  }, 120_000);

  it('a retry after a provider outage: the order, the payment and the stock agree, and the card was charged once', async () => {
    const api = jsonClient(stack.gatewayUrl);
    const shopper = await customer(stack);
    const stockOf = async () => ((await api.get('/api/products')).body as { sku: string; available: number }[]).find((p) => p.sku === 'SKU-CAP-001')!.available;
    const before = await stockOf();
    expect((await shopper.put('/api/cart/items/SKU-CAP-001', { quantity: 2 })).status).toBe(200);

    stack.signal('payment-provider', 'SIGSTOP');
    let first;
    try {
      first = await shopper.post('/api/checkout', { payment: APPROVED_CARD }, { 'idempotency-key': 'after-the-outage' });
    } finally {
      stack.signal('payment-provider', 'SIGCONT');
    }
    // Not "nothing was charged": the provider may have charged. Not known yet, and said so.
    expect(first.status).toBe(202);
    const orderId = first.body.orderId as string;
    expect(first.body).toMatchObject({ orderId, status: 'pending' });
    expect((await shopper.get(`/api/orders/${orderId}`)).body).toMatchObject({ status: 'pending' });

    const retry = await waitFor(
      () => shopper.post('/api/checkout', { payment: APPROVED_CARD }, { 'idempotency-key': 'after-the-outage' }),
      (r) => r.status !== 202 && r.status !== 409,
      { timeoutMs: 30_000, intervalMs: 500, what: 'the retry to settle the checkout' },
    );
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual({ orderId, status: 'paid', totalCents: 3800 });

    // Order, payment and stock agree: paid, approved, two caps gone for good.
    const order = await waitFor(() => shopper.get(`/api/orders/${orderId}`), (r) => r.body?.status === 'paid' && r.body.items?.length === 1, { what: 'the paid order' });
    expect(order.body.items).toEqual([{ sku: 'SKU-CAP-001', quantity: 2, unitPriceCents: 1900 }]);
    expect((await jsonClient(stack.urls.payment).get(`/payments/${orderId}`)).body).toMatchObject({ status: 'approved', amountCents: 3800 });
    await waitFor(stockOf, (n) => n === before - 2, { what: 'the stock to drop by two' });

    // Charged once: across the traces of both requests, one charge at the provider; the retry only asked.
    const traces = await Promise.all([first, retry].map((r) => getTrace(stack.jaegerUrl, r.headers.get('x-trace-id')!, {
      until: (t) => t.spans.some((s) => serviceOf(t, s) === 'payment-provider'),
      timeoutMs: 30_000,
    })));
    const providerSpans = traces.flatMap((t) => t.spans.filter((s) => serviceOf(t, s) === 'payment-provider' && tag(s, 'span.kind') === 'server').map((s) => s.operationName));
    expect(providerSpans.filter((name) => name === 'POST /charges')).toHaveLength(1);
    expect(providerSpans).toContain('POST /charges/lookup');
    expect((await audit(stack, 0)).report.violations).toEqual([]);
  }, 120_000);

  it('settles a checkout nobody retries in the background: one trace of its own, linked to the first', async () => {
    const shopper = await customer(stack);
    expect((await shopper.put('/api/cart/items/SKU-MUG-001', { quantity: 1 })).status).toBe(200);
    stack.signal('payment-provider', 'SIGSTOP');
    let first;
    try {
      first = await shopper.post('/api/checkout', { payment: APPROVED_CARD });
    } finally {
      stack.signal('payment-provider', 'SIGCONT');
    }
    expect(first.status).toBe(202);
    const orderId = first.body.orderId as string;
    const firstTraceId = first.headers.get('x-trace-id')!;
    // Nobody retries: the gateway's reconciler asks payment, which asks the provider.
    await waitFor(() => shopper.get(`/api/orders/${orderId}`), (r) => r.body?.status === 'paid', { timeoutMs: 30_000, what: 'the order to be paid' });

    const [found] = await waitFor(
      () => findTraces(stack.jaegerUrl, { service: 'gateway', operation: 'checkout.reconcile', tags: { 'traceshop.order.id': orderId } }),
      (t) => t.length > 0,
      { timeoutMs: 30_000, what: 'the reconciliation trace' },
    );
    const reconciled = await getTrace(stack.jaegerUrl, found.traceID, {
      until: (t) => ['cart', 'inventory'].every((svc) => t.spans.some((s) => serviceOf(t, s) === svc && tag(s, 'span.kind') === 'consumer')),
      timeoutMs: 30_000,
    });
    const root = reconciled.spans.find((s) => s.operationName === 'checkout.reconcile')!;
    expect(root.references.filter((r) => r.refType === 'CHILD_OF')).toEqual([]);
    expect(root.references).toContainEqual(expect.objectContaining({ refType: 'FOLLOWS_FROM', traceID: firstTraceId }));
    const names = reconciled.spans.map((s) => `${serviceOf(reconciled, s)} ${s.operationName}`);
    expect(names).toEqual(expect.arrayContaining(['payment payment.reconcile', 'payment-provider POST /charges/lookup', 'gateway outbox.relay']));
    expect(tag(root, 'traceshop.checkout.state')).toBe('paid');
  }, 120_000);

  describe('each fault in turn, under steady traffic', () => {
    beforeAll(async () => {
      shoppers = new Shoppers(stack.gatewayUrl, 6);
      shoppers.start();
      await waitFor(async () => shoppers.checkouts.filter((c) => c.final === 201).length, (n) => n >= 8, { timeoutMs: 60_000, what: 'traffic to flow' });
    }, 90_000);

    afterAll(async () => {
      await shoppers.stop();
      await infra('ensure');
      const final = await waitFor(() => audit(stack, 0), (a) => a.code === 0, { timeoutMs: 90_000, intervalMs: 2_000, what: 'a clean final audit' }).catch(() => audit(stack, 0));
      const totals = { checkouts: shoppers.checkouts.length, paid: shoppers.checkouts.filter((c) => c.final === 201).length, finalViolations: final.report.violations.length };
      writeReport(process.env.TRACESHOP_RELIABILITY_REPORT ?? join(ROOT, 'tmp/reliability.md'), rows, totals);
      expect(final.report.violations).toEqual([]);
      expect(totals.checkouts).toBeGreaterThanOrEqual(200);
    }, 180_000);

    for (const fault of FAULTS) {
      it(`recovers from ${fault.name}: checkouts succeed again, the audit finds nothing`, async () => {
        const row: FaultRow = { fault: fault.name, seen: {}, violations: 0 };
        rows.push(row);
        const injectedAt = Date.now();
        let backAt = 0;
        try {
          await fault.inject(stack);
          if (fault.holdMs > 0) await delay(fault.holdMs); // the outage itself
        } finally {
          await fault.restore(stack);
          // The dependency answers again, or the supervisor has restarted the killed service.
          backAt = Date.now();
          await infra('ensure'); // and, whatever happened, the machine's servers are up
        }
        await waitFor(() => allReady(stack), Boolean, { timeoutMs: 60_000, intervalMs: 250, what: 'every service ready again' });
        row.readySeconds = (Date.now() - backAt) / 1000;

        const paidAt = await waitFor(async () => shoppers.firstPaidStartedAfter(backAt), (t) => t !== undefined, { timeoutMs: 60_000, intervalMs: 250, what: 'a paid checkout after the fault' });
        row.recoverySeconds = (paidAt! - backAt) / 1000;
        row.seen = statusCounts(shoppers.attempts.filter((a) => a.at >= injectedAt && a.at <= paidAt!));

        const clean = await waitFor(() => audit(stack, GRACE_SECONDS), (a) => a.code === 0, { timeoutMs: 120_000, intervalMs: 2_000, what: 'the audit to find nothing' })
          .catch(async () => audit(stack, GRACE_SECONDS));
        row.violations = clean.report.violations.length;
        if (clean.code === 0) row.auditCleanSeconds = (Date.now() - backAt) / 1000;
        expect(clean.report.violations).toEqual([]);
      }, 300_000);
    }

    it('shows in the traces what happened: lost payment answers reconciled with the provider, not guessed', async () => {
      // During the provider's pause every checkout's payment answer was lost (202); each was then
      // settled by a reconciliation: `payment.reconcile` asking the provider `POST /charges/lookup`.
      const traces: JaegerTrace[] = await waitFor(
        () => findTraces(stack.jaegerUrl, { service: 'payment', operation: 'payment.reconcile', limit: 50 }),
        (t) => t.length > 0,
        { timeoutMs: 30_000, what: 'payment.reconcile traces' },
      );
      const lookups = traces.flatMap((t) => t.spans.filter((s) => serviceOf(t, s) === 'payment-provider' && s.operationName === 'POST /charges/lookup'));
      expect(lookups.length).toBeGreaterThan(0);
      const reconciled = traces.flatMap((t) => t.spans.filter((s) => s.operationName === 'payment.reconcile').map((s) => tag(s, 'traceshop.payment.status')));
      expect(reconciled).toEqual(expect.arrayContaining(['approved']));
    }, 60_000);
  });
});
