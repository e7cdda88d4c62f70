import { assertTransition, canTransition, CHECKOUT_STATES, CheckoutState, IllegalTransitionError, isOpen } from './checkout-state';

describe('the checkout state machine', () => {
  const legal: [CheckoutState, CheckoutState][] = [
    ['reserving', 'payment_pending'],
    ['reserving', 'rejected'],
    ['reserving', 'failed'],
    ['payment_pending', 'paid'],
    ['payment_pending', 'declined'],
    ['payment_pending', 'payment_unknown'],
    ['payment_pending', 'failed'],
    ['payment_unknown', 'paid'],
    ['payment_unknown', 'declined'],
    ['payment_unknown', 'failed'],
    ['rejected', 'reserving'],
  ];

  it('allows exactly the transitions of the saga, and no other', () => {
    const allowed = CHECKOUT_STATES.flatMap((from) => CHECKOUT_STATES.filter((to) => canTransition(from, to)).map((to) => [from, to]));
    expect(allowed.sort()).toEqual([...legal].sort());
  });

  it('never leaves a settled outcome: paid, declined and failed are final', () => {
    for (const from of ['paid', 'declined', 'failed'] as const) {
      for (const to of CHECKOUT_STATES) expect(() => assertTransition(from, to)).toThrow(IllegalTransitionError);
    }
  });

  it('never charges from a guess: an unknown outcome cannot go back to asking for payment', () => {
    expect(canTransition('payment_unknown', 'payment_pending')).toBe(false);
    expect(canTransition('payment_unknown', 'reserving')).toBe(false);
    expect(() => assertTransition('payment_unknown', 'reserving')).toThrow('illegal checkout transition payment_unknown → reserving');
  });

  it('calls open exactly the states someone still has to finish', () => {
    expect(CHECKOUT_STATES.filter(isOpen)).toEqual(['reserving', 'payment_pending', 'payment_unknown']);
  });
});
