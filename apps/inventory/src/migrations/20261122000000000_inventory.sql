-- Up Migration
CREATE TABLE products (
  sku text PRIMARY KEY,
  name text NOT NULL,
  price_cents integer NOT NULL CHECK (price_cents > 0),
  currency char(3) NOT NULL DEFAULT 'EUR'
);

-- Stock apart from the catalogue: reservations lock these rows, never the product rows.
-- available = on_hand - reserved; the checks keep that from going below zero even if code is wrong.
CREATE TABLE stock (
  sku text PRIMARY KEY REFERENCES products (sku),
  on_hand integer NOT NULL CHECK (on_hand >= 0),
  reserved integer NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= on_hand)
);

-- One reservation per order (order_id is the idempotency key of POST /reservations).
CREATE TABLE reservations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id uuid NOT NULL UNIQUE,
  status text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'committed', 'released')),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reservation_items (
  reservation_id uuid NOT NULL REFERENCES reservations (id),
  sku text NOT NULL REFERENCES products (sku),
  quantity integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (reservation_id, sku)
);

-- Down Migration
DROP TABLE reservation_items;
DROP TABLE reservations;
DROP TABLE stock;
DROP TABLE products;
