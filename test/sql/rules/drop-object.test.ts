import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("drop-object", () => {
  it("reports dropping views, functions, types, triggers and sequences", async () => {
    const sql = [
      "DROP VIEW active_customers;",
      "DROP FUNCTION order_total(bigint) CASCADE;",
      "DROP TYPE order_status;",
      "DROP TRIGGER orders_audit ON orders;",
      "DROP SEQUENCE invoice_numbers;",
    ].join("\n");
    expect(describeFindings(await findingsOf("drop-object", sql))).toMatchInlineSnapshot(`
      [
        "1:1 medium DROP VIEW active_customers: whatever still uses it breaks.",
        "2:1 medium DROP FUNCTION order_total: whatever still uses it breaks. CASCADE also drops everything that depends on it.",
        "3:1 medium DROP TYPE order_status: whatever still uses it breaks.",
        "4:1 medium DROP TRIGGER orders_audit ON orders: whatever still uses it breaks.",
        "5:1 medium DROP SEQUENCE invoice_numbers: whatever still uses it breaks.",
      ]
    `);
  });

  it("does not report a drop followed by re-creating the same object", async () => {
    const sql = [
      "DROP VIEW active_customers;",
      "CREATE VIEW active_customers AS SELECT id, email FROM customers WHERE active;",
      "DROP FUNCTION IF EXISTS order_total(bigint);",
      "CREATE FUNCTION order_total(order_id bigint, currency text) RETURNS numeric LANGUAGE sql AS $$ SELECT 0::numeric $$;",
    ].join("\n");
    expect(await findingsOf("drop-object", sql)).toEqual([]);
  });

  it("does not report objects created earlier in the same migration", async () => {
    expect(await findingsOf("drop-object", "CREATE TYPE mood AS ENUM ('a');\nDROP TYPE mood;\nCREATE VIEW v AS SELECT 1;\nDROP VIEW v;")).toEqual([]);
  });
});

describe("drop-object with triggers", () => {
  it("does not report a trigger dropped and re-created on the same table", async () => {
    const sql = "DROP TRIGGER orders_audit ON orders;\nCREATE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION audit();";
    expect(await findingsOf("drop-object", sql)).toEqual([]);
  });

  it("reports a drop with CASCADE even when the object is re-created: what CASCADE took stays gone (checked on PostgreSQL 15)", async () => {
    for (const sql of [
      "DROP FUNCTION set_updated_at() CASCADE;\nCREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;",
      "DROP SEQUENCE users_id_seq CASCADE;\nCREATE SEQUENCE users_id_seq;",
      "DROP VIEW active_users CASCADE;\nCREATE VIEW active_users AS SELECT 1 AS id;",
    ]) {
      const findings = await findingsOf("drop-object", sql);
      expect({ sql, findings: findings.map((f) => f.message.replace(/^DROP \w+ \S+ /, "")) }).toEqual({
        sql,
        findings: ["CASCADE, then re-created: re-creating it brings back nothing CASCADE dropped with it (columns of the type, triggers on the function, defaults on the sequence, views on the view), so what used it is gone for good."],
      });
    }
  });
});

describe("drop-object and the columns DROP TYPE, DOMAIN or EXTENSION ... CASCADE drops (checked on PostgreSQL 15)", () => {
  it("reports the data loss: every column of the type goes, with its data, as DROP COLUMN's would (drop-column's severity)", async () => {
    const sql = "DROP TYPE mood CASCADE;\nDROP DOMAIN email_address CASCADE;\nDROP TYPE IF EXISTS billing.currency CASCADE;\nDROP EXTENSION citext CASCADE;";
    expect(describeFindings(await findingsOf("drop-object", sql))).toMatchInlineSnapshot(`
      [
        "1:1 medium DROP TYPE mood CASCADE drops every column of that type (or of an array of it, or of a domain over it) from every table, with the column's data, and everything else that depends on it (views, functions).",
        "2:1 medium DROP DOMAIN email_address CASCADE drops every column of that domain from every table, with the column's data, and everything else that depends on it (views, functions).",
        "3:1 medium DROP TYPE billing.currency CASCADE drops every column of that type (or of an array of it, or of a domain over it) from every table, with the column's data, and everything else that depends on it (views, functions).",
        "4:1 medium DROP EXTENSION citext CASCADE drops every column of a type the extension defines from every table, with the column's data, and everything else that depends on it (views, functions).",
      ]
    `);
    const [dropColumn] = await findingsOf("drop-column", "ALTER TABLE t DROP COLUMN c;");
    expect((await findingsOf("drop-object", sql)).map((f) => f.severity)).toEqual(Array(4).fill(dropColumn.severity));
  });

  it("reports it when the type is re-created: re-creating it brings none of the columns back", async () => {
    const sql = "DROP TYPE mood CASCADE;\nCREATE TYPE mood AS ENUM ('ok', 'sad');\nDROP DOMAIN email_address CASCADE;\nCREATE DOMAIN email_address AS text;\nDROP EXTENSION citext CASCADE;\nCREATE EXTENSION citext;";
    expect(describeFindings(await findingsOf("drop-object", sql))).toMatchInlineSnapshot(`
      [
        "1:1 medium DROP TYPE mood CASCADE, then re-created: CASCADE dropped every column of that type (or of an array of it, or of a domain over it) from every table, with the column's data, and re-creating it brings none of them back.",
        "3:1 medium DROP DOMAIN email_address CASCADE, then re-created: CASCADE dropped every column of that domain from every table, with the column's data, and re-creating it brings none of them back.",
        "5:1 medium DROP EXTENSION citext CASCADE, then re-created: CASCADE dropped every column of a type the extension defines from every table, with the column's data, and re-creating it brings none of them back.",
      ]
    `);
  });

  it("reports the CASCADE drop of an existing type that an earlier statement only shadowed under another search_path (checked on PostgreSQL 15: the column of public.mood went)", async () => {
    const sql = "SET search_path TO app;\nCREATE TYPE mood AS ENUM ('b');\nSET search_path TO public;\nDROP TYPE mood CASCADE;";
    expect((await findingsOf("drop-object", sql)).map((f) => `${f.line} ${f.message.slice(0, 28)}`)).toEqual(["4 DROP TYPE mood CASCADE drops"]);
    // Qualified, or under the search_path it was created with, it is the type the migration created.
    expect(await findingsOf("drop-object", "SET search_path TO app;\nCREATE TYPE mood AS ENUM ('b');\nDROP TYPE mood CASCADE;")).toEqual([]);
    expect(await findingsOf("drop-object", "CREATE TYPE app.mood AS ENUM ('b');\nSET search_path TO public;\nDROP TYPE app.mood CASCADE;")).toEqual([]);
  });

  it("does not report the CASCADE drop of a type or domain created earlier in the same migration", async () => {
    const sql = "CREATE TYPE mood AS ENUM ('ok');\nALTER TABLE people ADD COLUMN m mood;\nDROP TYPE mood CASCADE;\nCREATE DOMAIN email_address AS text;\nDROP DOMAIN email_address CASCADE;";
    expect(await findingsOf("drop-object", sql)).toEqual([]);
  });

  it("keeps the message of a drop without CASCADE, which PostgreSQL refuses while a column uses the type", async () => {
    expect(describeFindings(await findingsOf("drop-object", "DROP TYPE mood;\nDROP DOMAIN email_address;"))).toEqual([
      "1:1 medium DROP TYPE mood: whatever still uses it breaks.",
      "2:1 medium DROP DOMAIN email_address: whatever still uses it breaks.",
    ]);
  });
});

describe("drop-object and ALTER TABLE ... DROP CONSTRAINT ... CASCADE (checked on PostgreSQL 15)", () => {
  it("reports the foreign keys and views CASCADE drops with a primary key or unique constraint, at its part of the ALTER", async () => {
    const sql = "ALTER TABLE users DROP CONSTRAINT users_pkey CASCADE;\nALTER TABLE users ADD COLUMN note text, DROP CONSTRAINT IF EXISTS users_email_key CASCADE;";
    expect(describeFindings(await findingsOf("drop-object", sql))).toMatchInlineSnapshot(`
      [
        "1:1 medium DROP CONSTRAINT users_pkey CASCADE on users: if it is a primary key or unique constraint, CASCADE also drops, without naming them, every foreign key that references it (rows without a match are accepted from then on) and every view that relies on it; adding the constraint back restores none of them.",
        "2:41 medium DROP CONSTRAINT users_email_key CASCADE on users: if it is a primary key or unique constraint, CASCADE also drops, without naming them, every foreign key that references it (rows without a match are accepted from then on) and every view that relies on it; adding the constraint back restores none of them.",
      ]
    `);
    expect((await findingsOf("drop-constraint", sql)).map((f) => f.severity)).toEqual(["low", "low"]);
  });

  it("does not report DROP CONSTRAINT without CASCADE (PostgreSQL refuses it while a foreign key references the constraint)", async () => {
    expect(await findingsOf("drop-object", "ALTER TABLE orders DROP CONSTRAINT orders_total_check;\nALTER TABLE users DROP CONSTRAINT users_pkey;")).toEqual([]);
  });

  it("does not report a CASCADE on a table created earlier in the same migration", async () => {
    expect(await findingsOf("drop-object", "CREATE TABLE t (id int PRIMARY KEY);\nALTER TABLE t DROP CONSTRAINT t_pkey CASCADE;")).toEqual([]);
  });
});
