-- Product descriptions moved to the CMS. Clients stopped reading products.description in
-- release 2.14; this drops the column and the data in it. A reviewer would call this risky:
-- once it runs in prod, the descriptions are gone unless restored from the pre-migration backup.
ALTER TABLE products DROP COLUMN description;

-- Retire interactions of deleted test accounts: removes rows from a table that is in use.
DELETE FROM interactions
 WHERE customer_id IN (SELECT id FROM customers WHERE email LIKE '%@example.test');

-- dbpipe:down
ALTER TABLE products ADD COLUMN description text;
