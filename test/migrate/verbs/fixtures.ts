import { withClient } from "../../helpers/database";

/** Shared fixtures of the engine's verb tests (test/migrate/verbs/*.test.ts). */

/** Three migrations with down parts: two tables, and a function whose dollar-quoted body holds semicolons. */
export const CRM = {
  "0001_customers.sql": "CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE);\n-- dbpipe:down\nDROP TABLE customers;\n",
  "0002_products.sql": "CREATE TABLE products (id bigint PRIMARY KEY, sku text NOT NULL);\nINSERT INTO products VALUES (1, 'A-1'), (2, 'B-2');\n-- dbpipe:down\nDROP TABLE products;\n",
  "0003_touch.sql": [
    "/* a function body with semicolons; dollar-quoted */",
    "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $body$",
    "BEGIN",
    "  NEW.sku := upper(NEW.sku); -- normalise",
    "  RETURN NEW;",
    "END;",
    "$body$;",
    "-- dbpipe:down",
    "DROP FUNCTION touch();",
  ].join("\n"),
};

/** The history table's rows, in version order, with the columns the verb tests look at. */
export async function historyRows(url: string) {
  return withClient(url, async (c) => (await c.query("SELECT version, name, checksum, success, kind, applied_by, execution_ms, error FROM dbpipe.schema_migrations ORDER BY version")).rows);
}
