import { getTrace, jsonClient, JaegerSpan, JaegerTrace, parentOf, setFix, setScenarios, switchOff, tag, waitFor } from '@traceshop/testing';
import { APPROVED_CARD, gatewayUrl, jaegerUrl, newCustomer } from './shop';
import { dbSystem, flagEvents, flagsFile, inService, isComplete, queryText, spanFlagEvents } from './scenario-tools';

// The inventory scenarios (n-plus-one, cache-stampede, lock-contention), switched on and off while
// the stack runs, read back from Jaeger. The helpers repeat a few of scenarios.e2e.ts's.

/** Skus with plenty of stock, one per concurrent checkout: they never wait on each other's stock row. */
const SKUS = ['SKU-TEE-001', 'SKU-HOODIE-001', 'SKU-MUG-001', 'SKU-CAP-001', 'SKU-SOCKS-001', 'SKU-STICKERS-001'];

const end = (s: JaegerSpan) => s.startTime + s.duration;
const pgSpans = (t: JaegerTrace) => inService(t, 'inventory').filter((s) => dbSystem(s) === 'postgresql');
const redisSpans = (t: JaegerTrace, command: string) =>
  inService(t, 'inventory').filter((s) => dbSystem(s) === 'redis' && s.operationName === command);

/** The catalogue queries of the repository: the one list query, and the per-product one. */
const isListQuery = (s: JaegerSpan) => /FROM products p JOIN stock s USING \(sku\) ORDER BY p\.sku/.test(queryText(s));
const isProductQuery = (s: JaegerSpan) => /FROM products p JOIN stock s USING \(sku\) WHERE p\.sku = \$1/.test(queryText(s));
const isHotRowLock = (s: JaegerSpan) => /FROM counters .*FOR UPDATE/.test(queryText(s));
/** The fixes' statements: the batched product query (n-plus-one), the sequence (lock-contention). */
const isBatchQuery = (s: JaegerSpan) => /FROM products p JOIN stock s USING \(sku\) WHERE p\.sku = ANY\(\$1\)/.test(queryText(s));
const isSequenceNumber = (s: JaegerSpan) => /nextval\('reservation_numbers'\)/.test(queryText(s));
/** inventory's `traceshop.cache.hit`, set on the span that served GET /products. */
const cacheHit = (t: JaegerTrace) => inService(t, 'inventory').map((s) => tag(s, 'traceshop.cache.hit')).find((v) => v !== undefined);
/** The span that served GET /products in inventory (it has `traceshop.cache.hit`). */
const servingSpan = (t: JaegerTrace) => inService(t, 'inventory').find((s) => tag(s, 'traceshop.cache.hit') !== undefined)!;

/** inventory's HTTP server span has arrived: it ends last, after every span of the request under it. */
const hasInventoryServer = (t: JaegerTrace) => inService(t, 'inventory').some((s) => tag(s, 'span.kind') === 'server');

/** GET /api/products, anonymous; its trace once inventory's part has arrived. */
async function productsTrace(): Promise<{ products: { sku: string }[]; trace: JaegerTrace }> {
  const res = await jsonClient(gatewayUrl()).get('/api/products');
  expect(res.status).toBe(200);
  const whole = (t: JaegerTrace) => isComplete(t) && hasInventoryServer(t) && cacheHit(t) !== undefined;
  const trace = await getTrace(jaegerUrl(), res.headers.get('x-trace-id')!, { until: whole, timeoutMs: 30_000 });
  return { products: res.body, trace };
}

/** A customer with one unit of `sku` in the cart, ready to check out. */
async function customerWith(sku: string) {
  const { api } = await newCustomer();
  expect((await api.put(`/api/cart/items/${sku}`, { quantity: 1 })).status).toBe(200);
  return api;
}

/** Checks out a ready cart (the reservation, and its dropping of the product cache, come before the answer). */
async function checkout(api: ReturnType<typeof jsonClient>) {
  const res = await api.post('/api/checkout', { payment: APPROVED_CARD });
  expect(res.status).toBe(201);
  return res;
}

/** Checks out a ready cart; resolves with the trace once inventory's reservation has reported. */
async function checkoutTrace(api: ReturnType<typeof jsonClient>): Promise<JaegerTrace> {
  const res = await checkout(api);
  const whole = (t: JaegerTrace) => isComplete(t) && t.spans.some((s) => s.operationName === 'inventory.reserve') && hasInventoryServer(t);
  return getTrace(jaegerUrl(), res.headers.get('x-trace-id')!, { until: whole, timeoutMs: 30_000 });
}

/** A reservation drops inventory's cached product list: the next GET /api/products misses the cache. */
const dropProductCache = async () => checkout(await customerWith('SKU-NOTEBOOK-001'));

/**
 * Repeats `attempt` until its trace shows `signature` (inventory polls the flag file every few
 * seconds). Signatures are positive evidence, such as the flag's evaluation event.
 */
function firstWhere<T extends { trace: JaegerTrace }>(attempt: () => Promise<T>, signature: (t: JaegerTrace) => boolean): Promise<T> {
  return waitFor(attempt, (result) => signature(result.trace), { timeoutMs: 40_000, intervalMs: 0, what: 'a trace showing the scenario switch' });
}

/** A cache miss (a reservation drops the cache first), until inventory evaluated `flag` to `variant`. */
const missWhere = (flagVariant: string) =>
  firstWhere(async () => (await dropProductCache(), productsTrace()), (t) => flagEvents(t).includes(`inventory:${flagVariant}`));

describe('scenario n-plus-one', () => {
  afterAll(() => switchOff(flagsFile(), 'n-plus-one'));

  it('loads the catalogue one query per product: a ladder of identical SELECTs', async () => {
    setScenarios(flagsFile(), ['n-plus-one'], true);
    const { products, trace } = await missWhere('n-plus-one=on');
    expect(cacheHit(trace)).toBe(false);

    const ladder = pgSpans(trace).filter(isProductQuery).sort((a, b) => a.startTime - b.startTime);
    expect(products.length).toBeGreaterThanOrEqual(9);
    expect(ladder).toHaveLength(products.length); // one query per product...
    expect(new Set(ladder.map(queryText)).size).toBe(1); // ...the same statement each time...
    // ...one after another: the ladder takes about as long as its steps together, where queries
    // sent at once (the pool has several connections) would take a ninth of it or less. Not step
    // by step: on a busy machine a step's end is recorded late (seen 4.5 ms past the next start).
    const steps = ladder.reduce((sum, s) => sum + s.duration, 0);
    const wall = Math.max(...ladder.map(end)) - ladder[0].startTime;
    expect(wall).toBeGreaterThanOrEqual(0.5 * steps);
    expect(pgSpans(trace).filter(isListQuery)).toEqual([]); // where the one list query used to be
  }, 120_000);

  it('loads the catalogue in one query once switched off', async () => {
    setScenarios(flagsFile(), ['n-plus-one'], false);
    const { trace } = await missWhere('n-plus-one=off');
    expect(cacheHit(trace)).toBe(false);
    expect(pgSpans(trace).filter(isListQuery)).toHaveLength(1);
    expect(pgSpans(trace).filter(isProductQuery)).toEqual([]);
  }, 120_000);

  it('loads the catalogue in one batched query once fixed, the fault still on', async () => {
    setScenarios(flagsFile(), ['n-plus-one'], true);
    setFix(flagsFile(), 'n-plus-one', true);
    const { products, trace } = await missWhere('fix.n-plus-one=on');
    expect(cacheHit(trace)).toBe(false);
    expect(products.length).toBeGreaterThanOrEqual(9);

    // The fault's path (the skus first), then one query for all of them: no ladder.
    const serving = servingSpan(trace);
    expect(spanFlagEvents(serving)).toEqual(expect.arrayContaining(['n-plus-one=on', 'fix.n-plus-one=on']));
    expect(pgSpans(trace).filter((s) => /SELECT sku FROM products/.test(queryText(s)))).toHaveLength(1);
    const batch = pgSpans(trace).filter(isBatchQuery);
    expect(batch).toHaveLength(1);
    expect(parentOf(batch[0])).toBe(serving.spanID);
    expect(pgSpans(trace).filter(isProductQuery)).toEqual([]);
  }, 120_000);
});

describe('scenario cache-stampede', () => {
  const BURST = 6;
  const burst = () => Promise.all(Array.from({ length: BURST }, productsTrace));
  afterAll(() => switchOff(flagsFile(), 'cache-stampede'));

  it('sends every product request to Postgres: a Redis miss and the same query, each time', async () => {
    setScenarios(flagsFile(), ['cache-stampede'], true);
    await missWhere('cache-stampede=on');

    const traces = (await burst()).map((r) => r.trace);
    for (const trace of traces) {
      expect(cacheHit(trace)).toBe(false);
      expect(redisSpans(trace, 'get')).toHaveLength(1);
      expect(redisSpans(trace, 'set')).toEqual([]); // read, never written
      expect(pgSpans(trace).filter(isListQuery)).toHaveLength(1);
      expect(flagEvents(trace)).toContain('inventory:cache-stampede=on');
    }
    expect(new Set(traces.flatMap((t) => pgSpans(t).filter(isListQuery).map(queryText))).size).toBe(1);
  }, 120_000);

  it('serves the burst from Redis once switched off', async () => {
    setScenarios(flagsFile(), ['cache-stampede'], false);
    const { trace: warmUp } = await missWhere('cache-stampede=off'); // this miss fills the cache
    expect(redisSpans(warmUp, 'set')).toHaveLength(1);

    for (const { trace } of await burst()) {
      expect(cacheHit(trace)).toBe(true);
      expect(redisSpans(trace, 'get')).toHaveLength(1);
      expect(pgSpans(trace)).toEqual([]);
    }
  }, 120_000);

  it('reads Postgres once per burst once fixed, the fault still on: one read shared, the list written back', async () => {
    setScenarios(flagsFile(), ['cache-stampede'], true);
    setFix(flagsFile(), 'cache-stampede', true);
    await missWhere('fix.cache-stampede=on');

    const coalesced = (t: JaegerTrace) => tag(servingSpan(t), 'traceshop.cache.coalesced') === true;
    const bursts: JaegerTrace[][] = [];
    // A burst after the cache was dropped, until one shows requests that waited for another's
    // read (how many arrive together depends on the machine); every burst is checked afterwards.
    try {
      await waitFor(
        async () => (await dropProductCache(), bursts.push((await burst()).map((r) => r.trace)), bursts.at(-1)!),
        (traces) => traces.some(coalesced),
        { timeoutMs: 60_000, intervalMs: 0, what: 'a burst of product reads sharing one read' },
      );
    } finally {
      for (const traces of bursts) {
        expect(traces.flatMap((t) => pgSpans(t).filter(isListQuery))).toHaveLength(1); // once per burst, not once per request
        expect(traces.flatMap((t) => redisSpans(t, 'set'))).toHaveLength(1); // and written back
        for (const trace of traces) {
          expect(spanFlagEvents(servingSpan(trace))).toContain('fix.cache-stampede=on');
          if (coalesced(trace)) expect([...pgSpans(trace), ...redisSpans(trace, 'get')]).toEqual([]); // it waited for another's read
        }
      }
    }
  }, 180_000);
});

describe('scenario lock-contention', () => {
  afterAll(() => switchOff(flagsFile(), 'lock-contention'));

  /** In one checkout's trace, the reservation's transaction: BEGIN, the hot-row lock (if any), COMMIT. */
  const transactionIn = (trace: JaegerTrace) => {
    const reserve = trace.spans.find((s) => s.operationName === 'inventory.reserve')!;
    const sql = pgSpans(trace).filter((s) => parentOf(s) === reserve.spanID);
    const [begin, commit] = [/^BEGIN/, /^COMMIT/].map((re) => sql.find((s) => re.test(queryText(s)))!);
    expect([begin, commit]).toEqual([expect.anything(), expect.anything()]);
    return { reserve, begin, lock: sql.find(isHotRowLock), number: sql.find(isSequenceNumber), commit };
  };
  type Transaction = ReturnType<typeof transactionIn>;

  /**
   * Checkouts of different skus, all at once (nothing in the normal path makes them wait on each
   * other), until `enough` holds of their transactions: how many reach inventory together
   * depends on the machine. `each` checks every burst, once the bursts are over (its failure
   * then wins over a timeout).
   */
  async function burstsUntil(enough: (txs: Transaction[]) => boolean, each: (txs: Transaction[]) => void): Promise<Transaction[]> {
    const bursts: Transaction[][] = [];
    const burst = async () => {
      const customers = await Promise.all(SKUS.map(customerWith));
      const txs = (await Promise.all(customers.map(checkoutTrace))).map(transactionIn);
      bursts.push(txs);
      return txs;
    };
    try {
      return await waitFor(burst, enough, { timeoutMs: 60_000, intervalMs: 0, what: 'a burst of checkouts reaching inventory together' });
    } finally {
      bursts.forEach(each);
    }
  }

  /** Transactions in the order they got the hot row: each holds it from then until its COMMIT. */
  const byGrant = (txs: Transaction[]) => [...txs].sort((a, b) => end(a.lock!) - end(b.lock!));
  /** Those that asked for the row while the one before them held it, and so waited in line. */
  const queued = (txs: Transaction[]) => byGrant(txs).filter((tx, i, line) => i > 0 && tx.lock!.startTime < end(line[i - 1].commit));

  it('queues concurrent reservations behind one hot row: a staircase of lock waits', async () => {
    setScenarios(flagsFile(), ['lock-contention'], true);
    await firstWhere(async () => ({ trace: await checkoutTrace(await customerWith('SKU-BOTTLE-001')) }), (t) =>
      flagEvents(t).includes('inventory:lock-contention=on'),
    );

    await burstsUntil(
      (txs) => queued(txs).length >= 2, // a staircase of at least three steps
      (txs) => {
        expect(txs.every((tx) => tx.lock !== undefined)).toBe(true);
        // One at a time: the next transaction is granted the row only once the one before it
        // has sent its COMMIT (the lock goes with the commit). Not once its COMMIT span ended:
        // on a busy machine the waiting client may hear of its lock before the committing one
        // hears of its commit. 1 ms of slack: span start times are stored to the millisecond.
        const line = byGrant(txs);
        for (let i = 1; i < line.length; i++) expect(end(line[i].lock!)).toBeGreaterThanOrEqual(line[i - 1].commit.startTime - 1_000);
      },
    );
  }, 180_000);

  const overlap = (a: Transaction, b: Transaction) => a.begin.startTime < end(b.commit) && b.begin.startTime < end(a.commit);
  const sideBySide = (txs: Transaction[]) => txs.some((a, i) => txs.slice(i + 1).some((b) => overlap(a, b))); // two transactions open at once

  it('lets the same concurrent reservations run side by side once switched off', async () => {
    setScenarios(flagsFile(), ['lock-contention'], false);
    await firstWhere(async () => ({ trace: await checkoutTrace(await customerWith('SKU-BOTTLE-001')) }), (t) =>
      flagEvents(t).includes('inventory:lock-contention=off'),
    );

    await burstsUntil(sideBySide, (txs) => expect(txs.filter((tx) => tx.lock !== undefined)).toEqual([]));
  }, 180_000);

  it('lets them run side by side once fixed, the fault still on: a number from a sequence, no hot-row lock', async () => {
    setScenarios(flagsFile(), ['lock-contention'], true);
    setFix(flagsFile(), 'lock-contention', true);
    await firstWhere(async () => ({ trace: await checkoutTrace(await customerWith('SKU-BOTTLE-001')) }), (t) =>
      flagEvents(t).includes('inventory:fix.lock-contention=on'),
    );

    await burstsUntil(sideBySide, (txs) => {
      for (const tx of txs) {
        expect(spanFlagEvents(tx.reserve)).toEqual(expect.arrayContaining(['lock-contention=on', 'fix.lock-contention=on']));
        expect(tx.lock).toBeUndefined(); // no staircase to queue on
        expect(tx.number).toBeDefined(); // the number, from the sequence, within the transaction
      }
    });
  }, 180_000);
});
