import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("multiple-concurrently", () => {
  it("reports the second CONCURRENTLY statement of a no-transaction migration, once", async () => {
    const sql = [
      "CREATE INDEX CONCURRENTLY orders_customer_id ON orders (customer_id);",
      "DROP INDEX CONCURRENTLY orders_old;",
      "REINDEX INDEX CONCURRENTLY orders_total;",
    ].join("\n");
    expect(describeFindings(await findingsOf("multiple-concurrently", sql, { noTransaction: true }))).toMatchInlineSnapshot(`
      [
        "2:1 low DROP INDEX CONCURRENTLY is not the only CONCURRENTLY statement of this no-transaction migration (the first is on line 1): if it fails, what ran before it stays done, the migration is not recorded, and a failed index build leaves an INVALID index.",
      ]
    `);
  });

  it("does not report one CONCURRENTLY statement beside other statements", async () => {
    const sql = "CREATE UNIQUE INDEX CONCURRENTLY orders_number ON orders (number);\nALTER TABLE orders ADD CONSTRAINT orders_number_key UNIQUE USING INDEX orders_number;";
    expect(await findingsOf("multiple-concurrently", sql, { noTransaction: true })).toEqual([]);
  });

  it("leaves CONCURRENTLY in a transaction to concurrently-in-transaction", async () => {
    expect(await findingsOf("multiple-concurrently", "CREATE INDEX CONCURRENTLY a ON t (x);\nCREATE INDEX CONCURRENTLY b ON t (y);")).toEqual([]);
  });
});
