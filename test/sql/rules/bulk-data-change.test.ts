import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("bulk-data-change", () => {
  it("reports INSERT ... SELECT, UPDATE ... FROM, MERGE and COPY FROM into existing tables", async () => {
    const sql = [
      "INSERT INTO archived_orders SELECT * FROM orders WHERE created_at < '2020-01-01';",
      "UPDATE orders SET customer_name = c.name FROM customers c WHERE c.id = orders.customer_id;",
      "MERGE INTO stock s USING deliveries d ON s.sku = d.sku WHEN MATCHED THEN UPDATE SET count = s.count + d.count;",
      "COPY products FROM '/tmp/products.csv' WITH (FORMAT csv);",
    ].join("\n");
    expect(describeFindings(await findingsOf("bulk-data-change", sql))).toMatchInlineSnapshot(`
      [
        "1:13 high INSERT INTO archived_orders ... SELECT copies every row the query returns in one transaction.",
        "2:8 high UPDATE orders ... FROM rewrites every row the join matches, in one transaction.",
        "3:12 high MERGE INTO stock changes every row the source matches in one transaction.",
        "4:6 high COPY products FROM loads a file of unknown size into an existing table in one transaction.",
      ]
    `);
  });

  it("reports UPDATE or DELETE whose rows come from a subquery or a USING join, like UPDATE ... FROM", async () => {
    const sql = [
      "UPDATE orders SET archived = true WHERE customer_id IN (SELECT id FROM customers WHERE closed);",
      "DELETE FROM sessions WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = sessions.user_id AND u.deleted);",
      "DELETE FROM sessions USING users WHERE users.id = sessions.user_id AND users.deleted;",
    ].join("\n");
    expect(describeFindings(await findingsOf("bulk-data-change", sql))).toMatchInlineSnapshot(`
      [
        "1:8 high UPDATE orders ... WHERE with a subquery rewrites every row the subquery selects, in one transaction.",
        "2:13 high DELETE FROM sessions ... WHERE with a subquery deletes every row the subquery selects, in one transaction.",
        "3:13 high DELETE FROM sessions ... USING deletes every row the join matches, in one transaction.",
      ]
    `);
  });

  it("leaves a plain WHERE to data-change, and a join without a WHERE that filters to the without-where rules", async () => {
    const sql = "UPDATE customers SET plan = 'free' WHERE plan IS NULL;\nUPDATE orders SET x = 1 FROM customers WHERE true;\nDELETE FROM sessions USING users;";
    expect(await findingsOf("bulk-data-change", sql)).toEqual([]);
  });

  it("does not report seed rows written as VALUES", async () => {
    expect(await findingsOf("bulk-data-change", "INSERT INTO plans (name, price) VALUES ('free', 0), ('pro', 10);")).toEqual([]);
  });

  it("does not report filling a table created earlier in the same migration", async () => {
    expect(await findingsOf("bulk-data-change", "CREATE TABLE order_totals (customer_id bigint, total numeric);\nINSERT INTO order_totals SELECT customer_id, sum(total) FROM orders GROUP BY 1;")).toEqual([]);
  });
});

describe("bulk-data-change and a WHERE that pins the target's rows", () => {
  it("rates UPDATE ... FROM ... WHERE target.key = constant a data change of known rows, not a bulk one", async () => {
    const pinned = "UPDATE orders o SET status = c.status FROM customers c WHERE o.id = 42 AND c.id = o.customer_id;";
    expect(await findingsOf("bulk-data-change", pinned)).toEqual([]);
    expect(await findingsOf("data-change", pinned)).toHaveLength(1);
    const list = "DELETE FROM orders USING customers c WHERE orders.id IN (1, 2, 3) AND c.id = orders.customer_id;";
    expect(await findingsOf("bulk-data-change", list)).toEqual([]);
  });

  it("still rates a join that the WHERE does not pin as bulk", async () => {
    const join = "UPDATE orders o SET status = c.status FROM customers c WHERE c.id = o.customer_id AND c.region = 'eu';";
    expect(await findingsOf("bulk-data-change", join)).toHaveLength(1);
    const other = "UPDATE orders o SET status = 'x' FROM customers c WHERE c.id = 42 AND c.id = o.customer_id;";
    expect(await findingsOf("bulk-data-change", other)).toHaveLength(1);
  });
});

describe("bulk-data-change in a WITH or under EXPLAIN ANALYZE (checked on PostgreSQL 15)", () => {
  it("reports INSERT ... SELECT and a joined UPDATE in a WITH, and the MERGE or INSERT ... SELECT that EXPLAIN ANALYZE runs", async () => {
    const sql = [
      "WITH i AS (INSERT INTO archived_orders SELECT * FROM orders RETURNING id) SELECT count(*) FROM i;",
      "WITH u AS (UPDATE orders SET x = 1 FROM customers c WHERE c.id = orders.customer_id RETURNING orders.id) SELECT 1;",
      "EXPLAIN ANALYZE MERGE INTO stock s USING deliveries d ON s.sku = d.sku WHEN MATCHED THEN DELETE;",
      "EXPLAIN (ANALYZE) INSERT INTO archived_orders SELECT * FROM orders;",
    ].join("\n");
    expect(describeFindings(await findingsOf("bulk-data-change", sql))).toMatchInlineSnapshot(`
      [
        "1:24 high INSERT INTO archived_orders ... SELECT copies every row the query returns in one transaction.",
        "2:19 high UPDATE orders ... FROM rewrites every row the join matches, in one transaction.",
        "3:28 high MERGE INTO stock changes every row the source matches in one transaction.",
        "4:31 high INSERT INTO archived_orders ... SELECT copies every row the query returns in one transaction.",
      ]
    `);
  });

  it("does not report a plain EXPLAIN of a bulk change", async () => {
    const sql = "EXPLAIN INSERT INTO archived_orders SELECT * FROM orders;\nEXPLAIN (ANALYZE false) MERGE INTO stock s USING deliveries d ON s.sku = d.sku WHEN MATCHED THEN DELETE;";
    expect(await findingsOf("bulk-data-change", sql)).toEqual([]);
  });
});
