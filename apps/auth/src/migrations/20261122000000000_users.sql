-- Up Migration
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The demo user of the README and the labs: demo@traceshop.local / traceshop-demo.
INSERT INTO users (email, password_hash)
VALUES ('demo@traceshop.local', 'scrypt$Nf4OaQ8hxsgUeX7dEl1uyg==$O0RCZinF9kjfecaqgW0kBVCUlfQV0+lJ7Yd8aMZjCOE=');

-- Down Migration
DROP TABLE users;
