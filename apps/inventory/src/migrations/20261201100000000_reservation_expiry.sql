-- Up Migration
-- The W3C trace context (traceparent, tracestate) active when the stock was reserved, as a plain
-- carrier: the sweeper's `inventory.expire_reservation` span links back to that checkout's trace.
-- Null for reservations made before this column existed.
ALTER TABLE reservations ADD COLUMN trace_context jsonb;

-- When the sweeper last took up this expired reservation. Setting it is the sweeper's lease: two
-- inventory instances never ask about the same reservation at once, and one it kept (paid, or the
-- outcome unknown) is asked about again one TTL later, not on every sweep.
ALTER TABLE reservations ADD COLUMN expiry_checked_at timestamptz;

-- The sweeper's question every few seconds, "which held reservations are old?", stays cheap however
-- many settled reservations pile up.
CREATE INDEX reservations_held_created_at ON reservations (created_at) WHERE status = 'held';

-- Down Migration
DROP INDEX reservations_held_created_at;
ALTER TABLE reservations DROP COLUMN expiry_checked_at, DROP COLUMN trace_context;
