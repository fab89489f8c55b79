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
        "2:8 high UPDATE orders ... FROM rewrites every row the join matches in one transaction.",
        "3:12 high MERGE INTO stock changes every row the source matches in one transaction.",
        "4:6 high COPY products FROM loads a file of unknown size into an existing table in one transaction.",
      ]
    `);
  });

  it("does not report seed rows written as VALUES", async () => {
    expect(await findingsOf("bulk-data-change", "INSERT INTO plans (name, price) VALUES ('free', 0), ('pro', 10);")).toEqual([]);
  });

  it("does not report filling a table created earlier in the same migration", async () => {
    expect(await findingsOf("bulk-data-change", "CREATE TABLE order_totals (customer_id bigint, total numeric);\nINSERT INTO order_totals SELECT customer_id, sum(total) FROM orders GROUP BY 1;")).toEqual([]);
  });
});
