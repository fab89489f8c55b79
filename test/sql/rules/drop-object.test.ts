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
      "DROP EXTENSION citext CASCADE;\nCREATE EXTENSION citext;",
      "DROP TYPE mood CASCADE;\nCREATE TYPE mood AS ENUM ('ok', 'sad');",
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

