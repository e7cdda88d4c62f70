import { jsonClient } from '@traceshop/testing';
import { APPROVED_CARD, gatewayUrl, newCustomer } from './shop';

/** Every bad request gets a 4xx with a JSON error body: never a 5xx, a stack trace or a crash. */
describe('bad input at the gateway', () => {
  let customer: Awaited<ReturnType<typeof newCustomer>>;
  const anonymous = () => jsonClient(gatewayUrl());

  beforeAll(async () => {
    customer = await newCustomer();
  });

  const expectError = (res: { status: number; body: any }, status: number) => {
    expect({ status: res.status, body: res.body }).toEqual({
      status,
      body: { statusCode: status, error: expect.any(String), message: expect.anything() },
    });
    expect(JSON.stringify(res.body)).not.toMatch(/\bat .+\.(js|ts):\d+/); // no stack frames
  };

  it.each([
    ['malformed JSON', '{"email": "a@b.co", "password": '],
    ['wrong types', { email: 42, password: ['x'] }],
    ['unknown fields', { email: 'a@b.co', password: 'long enough', isAdmin: true }],
    ['missing fields', {}],
    ['a JSON array', '[1,2,3]'],
  ])('register with %s is a 400', async (_, body) => {
    expectError(await anonymous().post('/api/auth/register', body), 400);
  });

  it('an oversized body is a 413', async () => {
    expectError(await anonymous().post('/api/auth/login', { email: 'a@b.co', password: 'x'.repeat(200_000) }), 413);
  });

  it('a taken email is a 409 and a wrong password a 401', async () => {
    expectError(await anonymous().post('/api/auth/register', { email: customer.email, password: 'another-password' }), 409);
    expectError(await anonymous().post('/api/auth/login', { email: customer.email, password: 'wrong-password' }), 401);
  });

  it('no token, a malformed header or an unknown token is a 401', async () => {
    expectError(await anonymous().get('/api/cart'), 401);
    expectError(await anonymous().get('/api/cart', { authorization: 'Basic abc' }), 401);
    expectError(await anonymous().get('/api/cart', { authorization: 'Bearer not-a-real-token' }), 401);
    expectError(await anonymous().post('/api/checkout', { payment: APPROVED_CARD }), 401);
  });

  it('cart input is checked: quantity range, types, unknown sku, sku shape', async () => {
    const { api } = customer;
    for (const body of [{ quantity: 0 }, { quantity: 101 }, { quantity: '2' }, { quantity: 1.5 }, { quantity: 1, price: 0 }]) {
      expectError(await api.put('/api/cart/items/SKU-TEE-001', body), 400);
    }
    expectError(await api.put('/api/cart/items/NO-SUCH-SKU', { quantity: 1 }), 404);
    expectError(await api.put(`/api/cart/items/${encodeURIComponent('../../etc')}`, { quantity: 1 }), 400);
  });

  it('checkout card data is checked before anything is reserved or charged', async () => {
    const { api } = customer;
    const bad = [
      {},
      { payment: {} },
      { payment: { ...APPROVED_CARD, cardNumber: '4242-4242' } },
      { payment: { ...APPROVED_CARD, expMonth: 13 } },
      { payment: { ...APPROVED_CARD, cvc: 'abc' } },
      { payment: { ...APPROVED_CARD, extra: true } },
      { payment: APPROVED_CARD, coupon: 'FREE' },
    ];
    for (const body of bad) expectError(await api.post('/api/checkout', body), 400);
    expectError(await api.post('/api/checkout', { payment: APPROVED_CARD }, { 'idempotency-key': 'x'.repeat(200) }), 400);
  });

  it('order ids are checked, and an unknown order is a 404', async () => {
    expectError(await customer.api.get('/api/orders/not-a-uuid'), 400);
    expectError(await customer.api.get('/api/orders/00000000-0000-4000-8000-000000000000'), 404);
  });

  it('an unknown route is a JSON 404', async () => {
    expectError(await anonymous().get('/api/nothing-here'), 404);
  });

  it('an invalid traceparent is ignored: the request works and starts a fresh trace', async () => {
    for (const traceparent of ['garbage', '00-00000000000000000000000000000000-0000000000000000-01', `00-${'f'.repeat(32)}-${'z'.repeat(16)}-01`]) {
      const res = await anonymous().get('/api/products', { traceparent });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/);
      expect(res.headers.get('x-trace-id')).not.toBe('0'.repeat(32));
    }
  });

  it('a valid incoming traceparent is continued', async () => {
    const traceId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const res = await anonymous().get('/api/products', { traceparent: `00-${traceId}-0102030405060708-01` });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-trace-id')).toBe(traceId);
  });
});
