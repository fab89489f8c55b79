-- dbpipe:no-transaction
-- SKUs are unique. products already has rows in production, so build the index without
-- blocking writes: CONCURRENTLY cannot run inside a transaction, hence the directive above.
CREATE UNIQUE INDEX CONCURRENTLY products_sku_key ON products (sku);

-- dbpipe:down
DROP INDEX CONCURRENTLY products_sku_key;
