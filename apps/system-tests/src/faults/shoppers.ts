import { jsonClient, JsonClient } from '@traceshop/testing';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { APPROVED_CARD } from '../shop';

/** One answer the shop gave to a checkout request (`0`: no answer at all, e.g. a refused connection). */
export interface Attempt {
  at: number;
  status: number;
}

/** One checkout as a shopper saw it from the first request to the last retry. */
export interface CheckoutRecord {
  key: string;
  orderId?: string;
  startedAt: number;
  endedAt: number;
  /** The last answer: 201 paid, 402 declined, 502 failed (nothing charged)… or the last error. */
  final: number;
  attempts: Attempt[];
}

const SKUS = ['SKU-TEE-001', 'SKU-MUG-001', 'SKU-SOCKS-001', 'SKU-STICKERS-001'];
/** Answers after which a real client tries again with the same Idempotency-Key. */
const RETRYABLE = new Set([0, 202, 409, 500, 502, 503, 504]);
const MAX_TRIES = 30;
/** A shopper's pause between two checkouts: six shoppers make about fifteen checkouts a second. */
const THINK_MS = 300;

/**
 * Steady checkout traffic the way real clients make it: each shopper has an account, fills a
 * cart and checks out with an Idempotency-Key, and when the answer is "not known yet" (202) or
 * a failure it tries again with the same key, backing off, as a client library would. A session
 * lost with Redis means logging in again; a cart lost with it is filled again. Steady (each
 * shopper pauses between checkouts) and bounded: it stops when told, or after `maxCheckouts`.
 */
export class Shoppers {
  readonly checkouts: CheckoutRecord[] = [];
  readonly attempts: Attempt[] = [];
  private stopping = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly gatewayUrl: string,
    private readonly count = 4,
    private readonly maxCheckouts = 20_000,
  ) {}

  start(): void {
    this.loops = Array.from({ length: this.count }, (_, i) => this.shop(i));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  /** Checkouts that ended since `since` (ms epoch). */
  endedSince(since: number): CheckoutRecord[] {
    return this.checkouts.filter((c) => c.endedAt >= since);
  }

  /** Resolves with the time of the first paid checkout whose first request started at or after `since`. */
  firstPaidStartedAfter(since: number): number | undefined {
    return this.checkouts.find((c) => c.startedAt >= since && c.final === 201)?.endedAt;
  }

  private async shop(index: number): Promise<void> {
    const email = `fault-${index}-${randomBytes(4).toString('hex')}@example.com`;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const anonymous = jsonClient(this.gatewayUrl);
    let api: JsonClient | undefined;
    let n = 0;
    while (!this.stopping && this.checkouts.length < this.maxCheckouts) {
      try {
        api ??= await this.login(anonymous, email, password);
        const sku = SKUS[n % SKUS.length];
        const put = await api.put(`/api/cart/items/${sku}`, { quantity: 1 });
        if (put.status === 401) {
          api = undefined; // the session is gone (Redis restarted): log in again
          continue;
        }
        if (put.status !== 200) {
          await delay(250); // a client's pause before trying again, not a synchronisation
          continue;
        }
        const outcome = await this.checkout(api, `${email}-${n++}`);
        if (outcome === 'unauthorized') api = undefined;
        await delay(THINK_MS); // steady traffic, not a flood
      } catch {
        api = undefined;
        await delay(250); // the gateway is down: a client waits a little and tries again
      }
    }
  }

  private async login(anonymous: JsonClient, email: string, password: string): Promise<JsonClient> {
    await anonymous.post('/api/auth/register', { email, password }); // 201, or 409 when it exists already
    const login = await anonymous.post('/api/auth/login', { email, password });
    if (login.status !== 200) throw new Error(`login: ${login.status}`);
    return jsonClient(this.gatewayUrl, { authorization: `Bearer ${login.body.accessToken}` });
  }

  private async checkout(api: JsonClient, key: string): Promise<'done' | 'unauthorized'> {
    const record: CheckoutRecord = { key, startedAt: Date.now(), endedAt: 0, final: 0, attempts: [] };
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      let status = 0;
      let settled = false;
      try {
        const res = await api.post('/api/checkout', { payment: APPROVED_CARD }, { 'idempotency-key': key });
        status = res.status;
        record.orderId ??= res.body?.orderId;
        // "nothing was charged; start a new checkout": a settled outcome, the same on every replay.
        settled = String(res.body?.message ?? '').includes('nothing was charged');
      } catch {
        status = 0;
      }
      const attempt = { at: Date.now(), status };
      record.attempts.push(attempt);
      this.attempts.push(attempt);
      record.final = status;
      if (status === 401) return 'unauthorized';
      // A 400 "the cart is empty" after Redis lost the cart: this checkout is over, the next fills the cart again.
      if (settled || !RETRYABLE.has(status) || this.stopping) break;
      await delay(Math.min(4_000, 250 * 2 ** Math.min(tries, 4))); // the client's backoff
    }
    record.endedAt = Date.now();
    this.checkouts.push(record);
    return 'done';
  }
}

/** How many of `attempts` got each status, e.g. `{201: 40, 202: 3, 503: 2}`. */
export function statusCounts(attempts: Attempt[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status } of attempts) counts[status === 0 ? 'no answer' : status] = (counts[status === 0 ? 'no answer' : status] ?? 0) + 1;
  return counts;
}
