import { isTransient } from './transient';

describe('isTransient', () => {
  it('knows an outage of Postgres, Redis or the network when it sees one', () => {
    expect(isTransient(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(isTransient(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe(true);
    expect(isTransient(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransient(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransient(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe(true);
  });

  it('leaves everything else to the tries and the dead-letter queue', () => {
    expect(isTransient(new Error('cannot record order 1 from order.confirmed: the event is not understood'))).toBe(false);
    expect(isTransient(Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }))).toBe(false);
    expect(isTransient(undefined)).toBe(false);
  });
});
