import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("data-change", () => {
  it("reports an UPDATE or DELETE with a WHERE on an existing table", async () => {
    const sql = "UPDATE customers SET plan = 'free' WHERE plan IS NULL;\nDELETE FROM sessions WHERE expires_at < now();";
    expect(describeFindings(await findingsOf("data-change", sql))).toMatchInlineSnapshot(`
      [
        "1:8 medium UPDATE customers changes existing rows; how many depends on the data.",
        "2:13 medium DELETE FROM sessions changes existing rows; how many depends on the data.",
      ]
    `);
  });

  it("leaves statements without WHERE to the rules that say it is every row", async () => {
    expect(await findingsOf("data-change", "UPDATE customers SET plan = 'free';\nDELETE FROM sessions;")).toEqual([]);
  });

  it("leaves subqueries and joins to bulk-data-change", async () => {
    const sql = "UPDATE orders SET archived = true WHERE customer_id IN (SELECT id FROM customers);\nDELETE FROM sessions USING users WHERE users.id = sessions.user_id;\nUPDATE orders SET x = 1 FROM customers c WHERE c.id = orders.customer_id;";
    expect(await findingsOf("data-change", sql)).toEqual([]);
  });

  it("leaves a WHERE that is always true to the rules that say it is every row", async () => {
    expect(await findingsOf("data-change", "UPDATE customers SET plan = 'free' WHERE true;\nDELETE FROM sessions WHERE 1 = 1;")).toEqual([]);
  });

  it("does not report a table created earlier in the same migration", async () => {
    expect(await findingsOf("data-change", "CREATE TABLE tags (name text);\nINSERT INTO tags VALUES ('a');\nDELETE FROM tags WHERE name = 'a';")).toEqual([]);
  });
});

describe("data-change in a WITH or under EXPLAIN ANALYZE (checked on PostgreSQL 15)", () => {
  it("reports an UPDATE or DELETE with a WHERE in a WITH, and the one EXPLAIN ANALYZE runs", async () => {
    const sql = [
      "WITH u AS (UPDATE accounts SET x = 1 WHERE id = 2 RETURNING id) INSERT INTO log SELECT id FROM u;",
      "EXPLAIN ANALYZE DELETE FROM sessions WHERE expires_at < now();",
    ].join("\n");
    expect(describeFindings(await findingsOf("data-change", sql))).toMatchInlineSnapshot(`
      [
        "1:19 medium UPDATE accounts changes existing rows; how many depends on the data.",
        "2:29 medium DELETE FROM sessions changes existing rows; how many depends on the data.",
      ]
    `);
  });

  it("judges each statement by its own WHERE and joins: a pinned UPDATE with a joined DELETE in its WITH", async () => {
    const sql = "WITH d AS (DELETE FROM sessions USING users WHERE users.id = sessions.user_id AND users.deleted) UPDATE accounts SET x = 1 WHERE id = 2;";
    const findings = [...(await findingsOf("data-change", sql)), ...(await findingsOf("bulk-data-change", sql))];
    expect(findings.map((f) => `${f.rule} ${f.table}`)).toEqual(["data-change accounts", "bulk-data-change sessions"]);
  });
});
