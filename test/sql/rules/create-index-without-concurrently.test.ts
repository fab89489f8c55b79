import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("create-index-without-concurrently", () => {
  it("reports CREATE INDEX without CONCURRENTLY on an existing table, at the table name", async () => {
    const sql = "CREATE INDEX orders_customer_id ON orders (customer_id);\nCREATE UNIQUE INDEX ON customers (lower(email));";
    expect(describeFindings(await findingsOf("create-index-without-concurrently", sql))).toMatchInlineSnapshot(`
      [
        "1:36 medium CREATE INDEX orders_customer_id on orders without CONCURRENTLY blocks writes to the table for the whole build.",
        "2:24 medium CREATE UNIQUE INDEX on customers without CONCURRENTLY blocks writes to the table for the whole build.",
      ]
    `);
  });

  it("does not report CREATE INDEX CONCURRENTLY", async () => {
    expect(await findingsOf("create-index-without-concurrently", "CREATE INDEX CONCURRENTLY orders_customer_id ON orders (customer_id);", { noTransaction: true })).toEqual([]);
  });

  it("does not report an index on a table created earlier in the same migration", async () => {
    expect(await findingsOf("create-index-without-concurrently", "CREATE TABLE invoices (id bigint, customer_id bigint);\nCREATE INDEX invoices_customer_id ON invoices (customer_id);")).toEqual([]);
  });
});
