-- Every call, e-mail and meeting with a customer, optionally about a product.
CREATE TYPE interaction_channel AS ENUM ('email', 'phone', 'meeting', 'chat');

CREATE TABLE interactions (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id  bigint              NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  product_id   bigint              REFERENCES products (id) ON DELETE SET NULL,
  channel      interaction_channel NOT NULL,
  occurred_at  timestamptz         NOT NULL DEFAULT now(),
  summary      text                NOT NULL,
  notes        text
);

-- Created with the table, so it locks nothing anyone waits on.
CREATE INDEX interactions_customer_occurred_idx ON interactions (customer_id, occurred_at DESC);

-- dbpipe:down
DROP TABLE interactions;
DROP TYPE interaction_channel;
