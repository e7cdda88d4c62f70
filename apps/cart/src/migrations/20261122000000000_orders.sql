-- Up Migration
-- Written only by the order-events consumer; the id is the checkout's orderId, which makes a
-- redelivered event a no-op (INSERT ... ON CONFLICT DO NOTHING).
CREATE TABLE orders (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('paid', 'declined')),
  total_cents integer NOT NULL CHECK (total_cents >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_user_id ON orders (user_id);

-- The prices the user saw in the cart, not today's.
CREATE TABLE order_items (
  order_id uuid NOT NULL REFERENCES orders (id),
  sku text NOT NULL,
  quantity integer NOT NULL CHECK (quantity > 0),
  unit_price_cents integer NOT NULL CHECK (unit_price_cents >= 0),
  PRIMARY KEY (order_id, sku)
);

-- Down Migration
DROP TABLE order_items;
DROP TABLE orders;
