import { check, sleep } from 'k6';
import exec from 'k6/execution';
import { Counter, Rate } from 'k6/metrics';
import { call, json, logTrace, type Answer } from './client.ts';
import { envNumber, SEED } from './config.ts';
import { vuRandom } from './random.ts';
import { randomHex } from './traceparent.ts';

/**
 * The shopper. Each VU is one customer with its own account (registered in `setup()`), who logs
 * in, then per iteration takes one journey from a weighted mix:
 *
 *   browse    look at the products, glance at the cart                       (reads only)
 *   abandon   browse, put 1-3 products in the cart, look at it, take one out, leave
 *   checkout  browse, fill the cart, check out (approved card, or the declined one at
 *             DECLINE_RATE), then watch the order appear and the cart empty
 *   tour      every endpoint once: the smoke test's journey (both checkout outcomes)
 *
 * with think time between steps. Choices come from a seeded PRNG, one stream per VU.
 */

export type JourneyName = 'browse' | 'abandon' | 'checkout' | 'tour';
export type Mix = Partial<Record<JourneyName, number>>;

export interface Account {
  email: string;
  password: string;
  /** A session made beforehand (tools/bench logs its accounts in itself): no login in the run. */
  token?: string;
}

/** What `setup()` hands every VU. */
export interface ShopData {
  accounts: Account[];
}

/** Per-script defaults; every one can be overridden from the environment (see k6/README.md). */
export interface JourneyDefaults {
  mix: Mix;
  /** Think time between steps, seconds (THINK_MIN_S, THINK_MAX_S). */
  thinkMinS: number;
  thinkMaxS: number;
}

export const APPROVED_CARD = { cardNumber: '4242424242424242', expMonth: 12, expYear: 2035, cvc: '123' };
export const DECLINED_CARD = { ...APPROVED_CARD, cardNumber: '4000000000000002' };
/** Approved after 1.2 s: the processor's slow-issuer test card (apps/payment-provider). */
export const SLOW_ISSUER_CARD = { ...APPROVED_CARD, cardNumber: '4000000000000259' };

/** Checkouts answered as intended: 201 for the approved card, 402 for the declined one. */
export const checkoutOk = new Rate('checkout_ok');
export const checkoutsPaid = new Counter('checkouts_paid');
export const checkoutsDeclined = new Counter('checkouts_declined');
/** Checkouts slower than SLOW_CHECKOUT_MS; each one is also printed with its trace link. */
export const slowCheckouts = new Counter('slow_checkouts');
/** Checkouts with the approved card that were answered 402: the processor declined a good card. */
export const approvedCardDeclined = new Rate('approved_card_declined');

const DECLINE_RATE = envNumber('DECLINE_RATE', 0.05);
const SLOW_CHECKOUT_MS = envNumber('SLOW_CHECKOUT_MS', 1000);
/** How long a person waits for the order page (the order is written by a consumer, asynchronously). */
const ORDER_WAIT_S = envNumber('ORDER_WAIT_S', 5);
/** A session is renewed (a new login) after this long; the gateway's tokens live an hour. */
const SESSION_MAX_AGE_S = envNumber('SESSION_MAX_AGE_S', 600);

/** The number of accounts a test needs: one per VU any of its scenarios may start. */
export function accountsFor(scenarios: Record<string, { vus?: number; maxVUs?: number; preAllocatedVUs?: number }>): number {
  return Object.values(scenarios).reduce((sum, s) => sum + (s.maxVUs ?? s.preAllocatedVUs ?? s.vus ?? 1), 0);
}

/**
 * Registers `count` customers (call it from `setup()`). Emails carry a random run tag, so runs
 * against a long-lived database (npm start, docker compose) never collide.
 */
export function registerAccounts(count: number): ShopData {
  const runTag = randomHex(8);
  const accounts: Account[] = [];
  for (let i = 1; i <= count; i++) {
    const account = { email: `k6-${runTag}-${i}@load.traceshop.test`, password: `k6-pw-${runTag}` };
    const { ok } = call({ endpoint: 'register', method: 'POST', path: '/api/auth/register', body: account, expected: [201] });
    if (!ok) throw new Error(`setup: could not register ${account.email}; is the shop up at BASE_URL?`);
    accounts.push(account);
  }
  return { accounts };
}

export interface Product {
  sku: string;
  priceCents: number;
  available: number;
}

interface Cart {
  items: { sku: string; quantity: number }[];
  totalCents: number;
}

/** A checkout's answer, with the order it made (undefined when the checkout failed). */
export interface CheckoutAnswer extends Answer {
  orderId?: string;
}

/** How a script bends the checkout journey (k6/incidents); by default it is the journey as described above. */
export interface CheckoutOptions {
  /** The products the cart is filled from (default: all of them). */
  choose?: (products: Product[]) => Product[];
  /** Runs right before paying, e.g. to line up with the other VUs. */
  beforePay?: () => void;
  /** The card to pay with (default: the approved card, or the declined one at DECLINE_RATE). */
  card?: typeof APPROVED_CARD;
  /** Runs with the checkout's answer before the order page is watched, e.g. to print its trace. */
  afterPay?: (checkout: CheckoutAnswer) => void;
}

/**
 * One VU's customer: its account, its session and its random stream (k6 gives each VU its own
 * module state). `run()` takes one journey of the mix; the incident scripts call the steps.
 */
export class Shopper {
  private token: string | undefined;
  private loggedInAt = 0;
  private readonly rnd = vuRandom(SEED, exec.vu.idInTest);

  constructor(
    private readonly account: Account,
    private readonly settings: JourneyDefaults,
  ) {
    if (account.token) {
      this.token = account.token;
      this.loggedInAt = Date.now();
    }
  }

  run(): void {
    const journey = this.rnd.weighted(this.settings.mix as Record<JourneyName, number>);
    if (!this.ensureSession()) return;
    const steps: Record<JourneyName, () => void> = {
      browse: () => this.browse(),
      abandon: () => this.abandon(),
      checkout: () => void this.checkout(),
      tour: () => this.tour(),
    };
    steps[journey]();
  }

  private browse(): void {
    this.products();
    this.think();
    this.products(); // a second page view: the product cache path in inventory
    this.think();
    this.viewCart();
  }

  private abandon(): void {
    const products = this.products();
    this.think();
    const skus = this.fillCart(products);
    const cart = this.viewCart();
    this.think();
    if (cart && skus.length > 0) this.removeItem(this.rnd.pick(skus));
  }

  /** The checkout journey; undefined when there was nothing to pay for. */
  checkout(options: CheckoutOptions = {}): CheckoutAnswer | undefined {
    const products = this.products();
    this.think();
    this.fillCart(options.choose ? options.choose(products) : products);
    const cart = this.viewCart();
    this.think();
    if (!cart || cart.items.length === 0) return undefined;
    options.beforePay?.();
    const declined = options.card ? options.card === DECLINED_CARD : this.rnd.next() < DECLINE_RATE;
    const answer = this.pay(options.card ?? (declined ? DECLINED_CARD : APPROVED_CARD), cart);
    options.afterPay?.(answer);
    if (answer.orderId) {
      this.think();
      this.waitForOrder(answer.orderId, declined ? 'declined' : 'paid');
    }
    return answer;
  }

  /** Every endpoint, both checkout outcomes; the declined one first, because it keeps the cart. */
  private tour(): void {
    const products = this.products();
    const skus = this.fillCart(products, 3);
    this.removeItem(skus[skus.length - 1]);
    let cart = this.viewCart();
    if (!cart) return;
    const declinedOrder = this.pay(DECLINED_CARD, cart).orderId;
    if (declinedOrder) this.waitForOrder(declinedOrder, 'declined');
    cart = this.viewCart();
    if (!cart) return;
    const paidOrder = this.pay(APPROVED_CARD, cart).orderId;
    if (paidOrder) this.waitForOrder(paidOrder, 'paid');
  }

  /** Logs in when there is no session or it is getting old; false if that failed. */
  ensureSession(): boolean {
    if (this.token && Date.now() - this.loggedInAt < SESSION_MAX_AGE_S * 1000) return true;
    const { res, ok } = call({
      endpoint: 'login',
      method: 'POST',
      path: '/api/auth/login',
      body: { email: this.account.email, password: this.account.password },
      checks: { 'login: has an access token': (r) => typeof json<{ accessToken?: string }>(r)?.accessToken === 'string' },
    });
    this.token = ok ? json<{ accessToken: string }>(res)!.accessToken : undefined;
    this.loggedInAt = Date.now();
    if (ok) this.think();
    return ok;
  }

  private products(): Product[] {
    const { res, ok } = this.authed({ endpoint: 'products', method: 'GET', path: '/api/products' });
    return ok ? (json<Product[]>(res) ?? []) : [];
  }

  /** Puts `count` (default 1-3) distinct products in the cart, 1-2 of each; returns their SKUs. */
  private fillCart(products: Product[], count = this.rnd.int(1, 3)): string[] {
    // SKU-LIMITED-001 has one piece in stock: a journey that takes it makes every later one a 409.
    const candidates = products.filter((p) => !p.sku.includes('LIMITED') && p.available > 10);
    const skus = this.rnd.sample(candidates, count).map((p) => p.sku);
    for (const sku of skus) {
      this.authed({ endpoint: 'cart_put', method: 'PUT', path: `/api/cart/items/${sku}`, body: { quantity: this.rnd.int(1, 2) } });
      this.think(0.3);
    }
    return skus;
  }

  private removeItem(sku: string | undefined): void {
    if (sku) this.authed({ endpoint: 'cart_delete', method: 'DELETE', path: `/api/cart/items/${sku}` });
  }

  private viewCart(): Cart | undefined {
    const { res, ok } = this.authed({ endpoint: 'cart_get', method: 'GET', path: '/api/cart' });
    return ok ? json<Cart>(res) : undefined;
  }

  /** POST /api/checkout. A slow checkout is counted and printed with its trace link. */
  private pay(card: typeof APPROVED_CARD, cart: Cart): CheckoutAnswer {
    const declined = card === DECLINED_CARD;
    const status = declined ? 'declined' : 'paid';
    const answer = this.authed({
      endpoint: 'checkout',
      method: 'POST',
      path: '/api/checkout',
      body: { payment: card },
      // 402 is the declined card's right answer, not an error: it must not count in http_req_failed.
      expected: [declined ? 402 : 201],
      checks: {
        [`checkout: ${status}`]: (r) => json<{ status?: string }>(r)?.status === status,
        ...(declined ? {} : { 'checkout: total is the cart total': (r) => json<{ totalCents?: number }>(r)?.totalCents === cart.totalCents }),
      },
    });
    const { res, ok, traceId } = answer;
    checkoutOk.add(ok);
    if (ok) (declined ? checkoutsDeclined : checkoutsPaid).add(1);
    if (!declined) approvedCardDeclined.add(res.status === 402);
    if (res.timings.duration > SLOW_CHECKOUT_MS) {
      slowCheckouts.add(1);
      logTrace(`slow checkout: ${Math.round(res.timings.duration)} ms > SLOW_CHECKOUT_MS=${SLOW_CHECKOUT_MS}`, traceId);
    }
    return { ...answer, orderId: ok ? json<{ orderId: string }>(res)!.orderId : undefined };
  }

  /**
   * The order page: the order is written by a consumer of the order event, so it appears a moment
   * after the checkout answered; a person reloads. After a paid order the cart must be empty
   * (the same consumer clears it), which also keeps the next journey from racing that clear.
   */
  private waitForOrder(orderId: string, status: 'paid' | 'declined'): void {
    const deadline = Date.now() + ORDER_WAIT_S * 1000;
    const order = this.poll(
      () => this.authed({ endpoint: 'order', method: 'GET', path: `/api/orders/${orderId}`, expected: [200, 404] }),
      (a) => a.res.status !== 404,
      deadline,
    );
    const recorded = check(order.res, { [`order: recorded as ${status}`]: (r) => r.status === 200 && json<{ status?: string }>(r)?.status === status }, { endpoint: 'order' });
    if (!recorded) logTrace(`order ${orderId} not recorded as ${status} within ORDER_WAIT_S=${ORDER_WAIT_S}`, order.traceId);
    if (status !== 'paid') return;
    const cart = this.poll(
      () => this.authed({ endpoint: 'cart_get', method: 'GET', path: '/api/cart' }),
      (a) => !a.ok || json<Cart>(a.res)?.items.length === 0,
      deadline,
    );
    const emptied = check(cart.res, { 'cart: empty after a paid order': (r) => json<Cart>(r)?.items.length === 0 }, { endpoint: 'cart_get' });
    if (!emptied) logTrace(`cart not emptied after order ${orderId} within ORDER_WAIT_S=${ORDER_WAIT_S}`, cart.traceId);
  }

  /** Repeats `attempt` (a person reloading the page every 250 ms) until `done` or the deadline. */
  private poll(attempt: () => Answer, done: (a: Answer) => boolean, deadline: number): Answer {
    for (;;) {
      const answer = attempt();
      if (done(answer) || Date.now() >= deadline) return answer;
      sleep(0.25);
    }
  }

  private authed(c: Parameters<typeof call>[0]): Answer {
    const answer = call({ ...c, token: this.token });
    if (answer.res.status === 401) this.token = undefined; // log in again next iteration
    return answer;
  }

  private think(scale = 1): void {
    const { thinkMinS, thinkMaxS } = this.settings;
    if (thinkMaxS > 0) sleep(scale * this.rnd.between(thinkMinS, thinkMaxS));
  }
}

let shopper: Shopper | undefined;
// Read at start-up, so a typo stops the run before the first request.
const MIX = parseMix(__ENV.MIX);
const THINK_MIN_S = __ENV.THINK_MIN_S ? envNumber('THINK_MIN_S', 0) : undefined;
const THINK_MAX_S = __ENV.THINK_MAX_S ? envNumber('THINK_MAX_S', 0) : undefined;

/**
 * One iteration of the calling VU's customer. `defaults` are the script's; MIX
 * (`browse=20,abandon=10,checkout=70`), THINK_MIN_S and THINK_MAX_S override them.
 */
export function shop(data: ShopData, defaults: JourneyDefaults): void {
  customer(data, defaults).run();
}

/** The calling VU's customer, made on first use with `defaults` (overridden as in `shop`). */
export function customer(data: ShopData, defaults: JourneyDefaults): Shopper {
  shopper ??= new Shopper(data.accounts[(exec.vu.idInTest - 1) % data.accounts.length], {
    mix: MIX ?? defaults.mix,
    thinkMinS: THINK_MIN_S ?? defaults.thinkMinS,
    thinkMaxS: THINK_MAX_S ?? defaults.thinkMaxS,
  });
  return shopper;
}

function parseMix(raw: string | undefined): Mix | undefined {
  if (!raw) return undefined;
  const mix: Mix = {};
  for (const part of raw.split(',')) {
    const m = /^\s*(browse|abandon|checkout|tour)\s*[=:]\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!m) throw new Error(`MIX must look like browse=20,abandon=10,checkout=70; got "${raw}"`);
    mix[m[1] as JourneyName] = Number(m[2]);
  }
  return mix;
}
