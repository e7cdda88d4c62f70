-- Up Migration
-- `voided`: the order's payment was reconciled as never charged (PaymentService.reconcile). It is
-- final like approved and declined: settle() only ever moves a row out of pending or error.
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status IN ('pending', 'approved', 'declined', 'error', 'voided'));

-- Reconciling an order payment has never heard of leaves a tombstone: a `voided` row holding only
-- the order id. It lives in this table rather than a table of its own because the UNIQUE
-- order_id is what settles the race with a late payment request: both insert with
-- ON CONFLICT (order_id) DO NOTHING, so whichever comes first wins and the other finds its row
-- (two tables would need a lock of their own to keep both from winning). So what only a payment
-- request brings (user, amount, card) may be missing, but on a voided row only.
ALTER TABLE payments
  ALTER COLUMN user_id DROP NOT NULL,
  ALTER COLUMN amount_cents DROP NOT NULL,
  ALTER COLUMN currency DROP NOT NULL,
  ALTER COLUMN card_last4 DROP NOT NULL,
  ALTER COLUMN card_fingerprint DROP NOT NULL,
  ADD CONSTRAINT payments_request_known CHECK (
    status = 'voided' OR num_nulls(user_id, amount_cents, currency, card_last4, card_fingerprint) = 0
  );

-- Down Migration
-- The old schema has no tombstones and no voided status: a voided payment charged nothing, the
-- nearest old status is a decline.
DELETE FROM payments WHERE user_id IS NULL;
UPDATE payments SET status = 'declined', decline_code = coalesce(decline_code, 'voided') WHERE status = 'voided';
ALTER TABLE payments
  DROP CONSTRAINT payments_request_known,
  ALTER COLUMN user_id SET NOT NULL,
  ALTER COLUMN amount_cents SET NOT NULL,
  ALTER COLUMN currency SET NOT NULL,
  ALTER COLUMN card_last4 SET NOT NULL,
  ALTER COLUMN card_fingerprint SET NOT NULL;
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status IN ('pending', 'approved', 'declined', 'error'));
