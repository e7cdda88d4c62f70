-- Up Migration
-- The demo catalogue of the README, the k6 scripts and the labs. Prices in euro cents.
INSERT INTO products (sku, name, price_cents) VALUES
  ('SKU-TEE-001', 'Trace Tee', 2500),
  ('SKU-HOODIE-001', 'Span Hoodie', 5900),
  ('SKU-MUG-001', 'Context Propagation Mug', 1400),
  ('SKU-CAP-001', 'Baggage Cap', 1900),
  ('SKU-SOCKS-001', 'Sampler Socks', 900),
  ('SKU-STICKERS-001', 'Flame Graph Sticker Pack', 500),
  ('SKU-NOTEBOOK-001', 'Root Cause Notebook', 1200),
  ('SKU-BOTTLE-001', 'Collector Water Bottle', 2200),
  ('SKU-LIMITED-001', 'Limited Edition Jaeger Print', 4900);

-- Plenty of everything for load tests, except one item with a single unit: asking for two of it
-- is the reproducible "out of stock" (409) path.
INSERT INTO stock (sku, on_hand) SELECT sku, 10000 FROM products WHERE sku <> 'SKU-LIMITED-001';
INSERT INTO stock (sku, on_hand) VALUES ('SKU-LIMITED-001', 1);

-- Down Migration
TRUNCATE reservation_items, reservations, stock, products;
