import { jsonClient } from '@traceshop/testing';
import { randomBytes } from 'node:crypto';

/** Where the stack under test answers (set by global-setup). */
export const gatewayUrl = () => process.env.TRACESHOP_GATEWAY_URL!;
export const jaegerUrl = () => process.env.TRACESHOP_JAEGER_URL!;

export const APPROVED_CARD = { cardNumber: '4242424242424242', expMonth: 12, expYear: 2035, cvc: '7391' };
export const DECLINED_CARD = { ...APPROVED_CARD, cardNumber: '4000000000000002' };
/** Approved after 1.2 s: the processor's slow-issuer test card. */
export const SLOW_ISSUER_CARD = { ...APPROVED_CARD, cardNumber: '4000000000000259' };

/** A new customer: registered and logged in, with a client that sends its bearer token. */
export async function newCustomer() {
  const anonymous = jsonClient(gatewayUrl());
  const email = `shopper-${randomBytes(5).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const reg = await anonymous.post('/api/auth/register', { email, password });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await anonymous.post('/api/auth/login', { email, password });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`);
  const token: string = login.body.accessToken;
  return { email, password, token, api: jsonClient(gatewayUrl(), { authorization: `Bearer ${token}` }) };
}
