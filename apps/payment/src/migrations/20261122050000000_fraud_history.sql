-- Up Migration
-- Ninety days of card activity that the fraud check's velocity rule reads (seeded at start-up
-- by fraud-history.repository.ts). Deliberately WITHOUT an index on card_fingerprint:
-- the slow-checkout lab finds its query as the slowest span of the trace, runs EXPLAIN (Seq Scan),
-- and fixes it with:
--   CREATE INDEX ON payment.fraud_history (card_fingerprint, recorded_at);
CREATE TABLE fraud_history (
  id bigserial PRIMARY KEY,
  card_fingerprint text NOT NULL,
  amount_cents integer NOT NULL,
  country text NOT NULL,
  recorded_at timestamptz NOT NULL
);

-- Down Migration
DROP TABLE fraud_history;
