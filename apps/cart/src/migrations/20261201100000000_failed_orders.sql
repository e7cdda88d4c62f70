-- Up Migration
-- `failed`: the payment could not be made and nothing was charged (the gateway proved it by
-- reconciling with payment); the stock was released, like a declined order's.
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('paid', 'declined', 'failed'));

-- Down Migration
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('paid', 'declined'));
