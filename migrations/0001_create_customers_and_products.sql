-- Customers and the products we sell them.
CREATE TABLE customers (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email       text        NOT NULL UNIQUE,
  full_name   text        NOT NULL,
  company     text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sku          text        NOT NULL,
  name         text        NOT NULL,
  description  text,
  price_cents  integer     NOT NULL CHECK (price_cents >= 0),
  active       boolean     NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL DEFAULT now()
);

COMMENT ON COLUMN products.price_cents IS 'List price in cents, before tax.';

-- dbpipe:down
DROP TABLE products;
DROP TABLE customers;
