-- Up Migration
-- One row per checkout: the saga's durable state, owned by the gateway that orchestrates it.
-- checkout-state.ts holds the only list of legal transitions; every UPDATE names the state it
-- expects to leave, so two actors (a client's retry, the reconciler) can never both move a row.
CREATE TABLE checkouts (
  order_id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  -- NULL when the client sent none; a retry with the same key continues this row.
  idempotency_key text,
  state text NOT NULL CHECK (state IN (
    'reserving', 'payment_pending', 'payment_unknown', 'paid', 'declined', 'failed', 'rejected')),
  items jsonb NOT NULL,
  total_cents integer NOT NULL CHECK (total_cents >= 0),
  reservation_id uuid,
  -- Why it ended as it did: a decline code, what failed, what the reservation answered.
  reason text,
  -- The W3C context (traceparent, tracestate) of the request that started the checkout: the
  -- reconciler's spans link to it.
  trace_context jsonb NOT NULL DEFAULT '{}',
  -- Who may work on the row: a request (or the reconciler) owns it until then; a retry of a
  -- leased row is "in progress" (409).
  lease_until timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, idempotency_key)
);
-- The reconciler's and the audit's question: which checkouts are not finished?
CREATE INDEX checkouts_open ON checkouts (updated_at)
  WHERE state IN ('reserving', 'payment_pending', 'payment_unknown');

-- The transactional outbox: an order event is written in the same transaction as the state
-- change that causes it, then relayed to RabbitMQ (publisher confirms) and marked sent.
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  exchange text NOT NULL,
  routing_key text NOT NULL,
  -- The AMQP message id: the order id, so consumers can tell a redelivery.
  message_id text NOT NULL,
  payload jsonb NOT NULL,
  -- The W3C context of the state change: the relay publishes as its child.
  trace_context jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  attempts integer NOT NULL DEFAULT 0
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

-- Down Migration
DROP TABLE outbox;
DROP TABLE checkouts;
