-- Up Migration
-- The reservations' running number as a sequence, for the lock-contention fix: nextval hands out
-- numbers without a row lock held to COMMIT, so concurrent reservations never queue for it.
CREATE SEQUENCE reservation_numbers;

-- Down Migration
DROP SEQUENCE reservation_numbers;
