import * as contracts from '../index';
import { SERVICES } from './services';

describe('contracts', () => {
  it('gives every service its own port', () => {
    const ports = Object.values(SERVICES);
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('never reuses a queue, exchange or routing key name for two purposes', () => {
    const names = Object.entries(contracts)
      .filter(([key, value]) => /(_QUEUE|_EXCHANGE)$/.test(key) && typeof value === 'string')
      .map(([, value]) => value as string);
    expect(names.length).toBeGreaterThanOrEqual(5);
    expect(new Set(names).size).toBe(names.length);
    expect(contracts.ORDER_CONFIRMED).not.toBe(contracts.ORDER_DECLINED);
  });
});
