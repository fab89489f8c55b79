import { beforeAll, describe, expect, inject, it } from "vitest";
import { InputError } from "../../src/errors";
import { sqlToMatch } from "../../src/schema/compare";
import { schemaDrift } from "../../src/schema/schema-drift";
import { upMigrations } from "../../src/migrate/verbs/up";
import { freshDatabase, withClient } from "../helpers/database";
import { engineFor, tempFolder } from "../helpers/project";

/**
 * A schema with every kind of object, applied by dbpipe to a live database; then one change by
 * hand per test, which the comparison must report, and which the SQL it writes must undo.
 */
const SCHEMA = `
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE SCHEMA crm;
CREATE TYPE crm.status AS ENUM ('lead', 'customer');
CREATE SEQUENCE crm.invoice_no START 1000;
CREATE TABLE crm.customers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL UNIQUE,
  status crm.status NOT NULL DEFAULT 'lead',
  score integer CHECK (score >= 0),
  created_at timestamptz DEFAULT now()
);
CREATE TABLE crm.orders (
  id bigserial PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES crm.customers (id),
  total numeric(10,2) NOT NULL
);
CREATE INDEX orders_customer_idx ON crm.orders (customer_id);
CREATE VIEW crm.big_orders AS SELECT id, total FROM crm.orders WHERE total > 100;
CREATE MATERIALIZED VIEW crm.order_totals AS SELECT customer_id, sum(total) AS total FROM crm.orders GROUP BY customer_id;
CREATE FUNCTION crm.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.created_at := now(); RETURN NEW; END $$;
CREATE TRIGGER customers_touch BEFORE INSERT ON crm.customers FOR EACH ROW EXECUTE FUNCTION crm.touch();
GRANT USAGE ON SCHEMA crm TO app_app, app_readonly;
GRANT SELECT ON crm.customers TO app_readonly;
GRANT SELECT, INSERT, UPDATE ON crm.customers, crm.orders TO app_app;
`;

let dir: string;
beforeAll(async () => {
  // The project's roles are the server's; migrations grant to them.
  await withClient(inject("adminUrl"), (c) =>
    c.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_app') THEN CREATE ROLE app_app NOLOGIN; END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_readonly') THEN CREATE ROLE app_readonly NOLOGIN; END IF;
    END $$`),
  );
  dir = tempFolder({ "0001_schema.sql": SCHEMA });
});

/** A live database migrated by dbpipe, then changed by hand with `change`. */
async function liveDatabase(change?: string): Promise<string> {
  const url = await freshDatabase("drift");
  await upMigrations(engineFor(dir, url));
  if (change) await withClient(url, (c) => c.query(change));
  return url;
}

function drift(url: string) {
  return schemaDrift({ ...engineFor(dir, url), scratchServerUrl: inject("adminUrl") });
}

/** The differences as plain objects, without the long definitions of missing and extra objects. */
async function differencesOf(url: string) {
  return (await drift(url)).differences.map((d) => (d.change === "changed" ? d : { kind: d.kind, name: d.name, change: d.change }));
}

/** Runs the SQL the comparison writes on the live database, then compares again. */
async function repairedDifferences(url: string) {
  const result = await drift(url);
  const sql = sqlToMatch(result.expected, result.actual, result.differences);
  expect(sql.length).toBeGreaterThan(0);
  await withClient(url, async (c) => {
    for (const statement of sql) await c.query(statement);
  });
  return (await drift(url)).differences;
}

describe("schemaDrift", () => {
  it("finds nothing on a database the migrations built and nobody touched", async () => {
    const url = await liveDatabase();
    const result = await drift(url);
    expect(result.differences).toEqual([]);
    expect(result.applied).toEqual(["0001"]);
    expect(result.expected.size).toBeGreaterThan(20);
  });

  const cases: [string, string, object[]][] = [
    [
      "a column's type",
      "ALTER TABLE crm.customers ALTER COLUMN score TYPE bigint",
      [{ kind: "column", name: "crm.customers.score", change: "changed", attribute: "type", expected: "integer", actual: "bigint" }],
    ],
    [
      "a column's nullability",
      "ALTER TABLE crm.orders ALTER COLUMN total DROP NOT NULL",
      [{ kind: "column", name: "crm.orders.total", change: "changed", attribute: "nullable", expected: "NOT NULL", actual: "NULL" }],
    ],
    [
      "a column's default",
      "ALTER TABLE crm.customers ALTER COLUMN status SET DEFAULT 'customer'",
      [{ kind: "column", name: "crm.customers.status", change: "changed", attribute: "default", expected: "'lead'::crm.status", actual: "'customer'::crm.status" }],
    ],
    ["an extra column", "ALTER TABLE crm.customers ADD COLUMN phone text", [{ kind: "column", name: "crm.customers.phone", change: "extra" }]],
    ["a dropped check constraint", "ALTER TABLE crm.customers DROP CONSTRAINT customers_score_check", [{ kind: "constraint", name: "crm.customers.customers_score_check", change: "missing" }]],
    ["a dropped foreign key", "ALTER TABLE crm.orders DROP CONSTRAINT orders_customer_id_fkey", [{ kind: "foreign key", name: "crm.orders.orders_customer_id_fkey", change: "missing" }]],
    [
      "an index rebuilt differently",
      "DROP INDEX crm.orders_customer_idx; CREATE INDEX orders_customer_idx ON crm.orders (customer_id, total)",
      [
        {
          kind: "index",
          name: "crm.orders_customer_idx",
          change: "changed",
          attribute: "definition",
          expected: "CREATE INDEX orders_customer_idx ON crm.orders USING btree (customer_id)",
          actual: "CREATE INDEX orders_customer_idx ON crm.orders USING btree (customer_id, total)",
        },
      ],
    ],
    ["a sequence's increment", "ALTER SEQUENCE crm.invoice_no INCREMENT BY 10", [{ kind: "sequence", name: "crm.invoice_no", change: "changed", attribute: "increment", expected: "1", actual: "10" }]],
    [
      "a view's definition",
      "CREATE OR REPLACE VIEW crm.big_orders AS SELECT id, total FROM crm.orders WHERE total > 500",
      [{ kind: "view", name: "crm.big_orders", change: "changed", attribute: "definition", expected: expect.stringContaining("total > 100"), actual: expect.stringContaining("total > 500") }],
    ],
    ["a dropped materialized view", "DROP MATERIALIZED VIEW crm.order_totals", [{ kind: "materialized view", name: "crm.order_totals", change: "missing" }]],
    [
      "a function's body",
      "CREATE OR REPLACE FUNCTION crm.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
      [{ kind: "function", name: "crm.touch()", change: "changed", attribute: "definition", expected: expect.stringContaining("NEW.created_at := now()"), actual: expect.not.stringContaining("created_at") }],
    ],
    ["a dropped trigger", "DROP TRIGGER customers_touch ON crm.customers", [{ kind: "trigger", name: "crm.customers.customers_touch", change: "missing" }]],
    ["an extra extension", "CREATE EXTENSION citext", [{ kind: "extension", name: "citext", change: "extra" }]],
    [
      "a privilege granted by hand",
      "GRANT INSERT ON crm.customers TO app_readonly",
      [{ kind: "grant", name: "app_readonly on TABLE crm.customers", change: "changed", attribute: "privileges", expected: "SELECT", actual: "INSERT, SELECT" }],
    ],
    ["a revoked grant", "REVOKE USAGE ON SCHEMA crm FROM app_readonly", [{ kind: "grant", name: "app_readonly on SCHEMA crm", change: "missing" }]],
    ["an extra table", "CREATE TABLE crm.notes (id int PRIMARY KEY, body text)", [{ kind: "table", name: "crm.notes", change: "extra" }]],
    ["an extra schema", "CREATE SCHEMA scratchpad", [{ kind: "schema", name: "scratchpad", change: "extra" }]],
  ];

  it.each(cases)("reports %s, and its SQL brings the database back", async (_what, change, expected) => {
    const url = await liveDatabase(change);
    expect(await differencesOf(url)).toEqual(expected);
    expect(await repairedDifferences(url)).toEqual([]);
  });

  it("reports an enum label added by hand, and says PostgreSQL cannot remove it; one missing is added back", async () => {
    const url = await liveDatabase("ALTER TYPE crm.status ADD VALUE 'churned'");
    const result = await drift(url);
    expect(result.differences).toEqual([{ kind: "enum", name: "crm.status", change: "changed", attribute: "labels", expected: "'lead', 'customer'", actual: "'lead', 'customer', 'churned'" }]);
    expect(sqlToMatch(result.expected, result.actual, result.differences)).toEqual([
      "-- crm.status: the database's labels ('lead', 'customer', 'churned') cannot become ('lead', 'customer') in place: PostgreSQL cannot remove or reorder enum labels",
    ]);
    const behind = await liveDatabase("DROP TABLE crm.customers CASCADE; DROP TYPE crm.status; CREATE TYPE crm.status AS ENUM ('customer')");
    const back = await drift(behind);
    expect(sqlToMatch(back.expected, back.actual, back.differences.filter((d) => d.kind === "enum"))).toEqual(["ALTER TYPE crm.status ADD VALUE 'lead' BEFORE 'customer';"]);
  });

  it("writes SQL that recreates a dropped table with its columns, constraints, indexes and triggers", async () => {
    const url = await liveDatabase("DROP VIEW crm.big_orders; DROP MATERIALIZED VIEW crm.order_totals; DROP TABLE crm.orders");
    expect((await differencesOf(url)).map((d) => `${d.change} ${d.kind} ${d.name}`)).toEqual([
      "missing sequence crm.orders_id_seq",
      "missing table crm.orders",
      "missing constraint crm.orders.orders_pkey",
      "missing foreign key crm.orders.orders_customer_id_fkey",
      "missing index crm.orders_customer_idx",
      "missing view crm.big_orders",
      "missing materialized view crm.order_totals",
      "missing grant app_app on TABLE crm.orders",
    ]);
    expect(await repairedDifferences(url)).toEqual([]);
  });

  it("leaves out pending migrations and other tools' history tables", async () => {
    const url = await liveDatabase("CREATE TABLE public._prisma_migrations (id varchar(36) PRIMARY KEY)");
    const withPending = tempFolder({ "0001_schema.sql": SCHEMA, "0002_more.sql": "CREATE TABLE crm.later (id int);" });
    const result = await schemaDrift({ ...engineFor(withPending, url), scratchServerUrl: inject("adminUrl") });
    expect(result.differences).toEqual([]);
    expect(result.notes).toEqual(["1 pending migration(s) (0002) not applied to the database were left out"]);
  });

  it("refuses when an applied migration's file is not what was applied: changed, or gone", async () => {
    const url = await liveDatabase();
    const changed = tempFolder({ "0001_schema.sql": `${SCHEMA}\nDROP TABLE crm.orders CASCADE;\n` });
    const edited = schemaDrift({ ...engineFor(changed, url), scratchServerUrl: inject("adminUrl") });
    await expect(edited).rejects.toBeInstanceOf(InputError);
    await expect(edited).rejects.toThrow(/^0001_schema\.sql was changed after it was applied on .*\nNothing was compared/s);
    const gone = tempFolder({ "0002_more.sql": "CREATE TABLE crm.later (id int);" });
    await expect(schemaDrift({ ...engineFor(gone, url), scratchServerUrl: inject("adminUrl") })).rejects.toThrow(/^version 0001 \(schema\) was applied on .* but its file is gone/);
  });
});
