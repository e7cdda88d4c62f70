-- Up Migration
CREATE TABLE payments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- One payment per order: the UNIQUE index is what makes a redelivered request harmless.
  order_id uuid NOT NULL UNIQUE,
  user_id uuid NOT NULL,
  amount_cents integer NOT NULL CHECK (amount_cents > 0),
  currency char(3) NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'declined', 'error')),
  -- Never the card number or the CVC: the last four digits to show, a SHA-256 to compare cards.
  card_last4 char(4) NOT NULL,
  card_fingerprint char(64) NOT NULL,
  provider_charge_id text,
  decline_code text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- No index on card_fingerprint, on purpose: the fraud check's count by fingerprint scans the
-- whole table, which is cheap while it is small and becomes the slow database query of the
-- slow-checkout lab once it has grown. The lab's fix is a migration that adds the index.

-- Down Migration
DROP TABLE payments;
