import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("reindex-without-concurrently", () => {
  it("reports REINDEX without CONCURRENTLY", async () => {
    expect(describeFindings(await findingsOf("reindex-without-concurrently", "REINDEX TABLE orders;\nREINDEX INDEX orders_pkey;"))).toMatchInlineSnapshot(`
      [
        "1:15 high REINDEX TABLE orders without CONCURRENTLY blocks writes to the table and, since planning a query on it opens its indexes, reads too, until the rebuild ends.",
        "2:15 high REINDEX INDEX orders_pkey without CONCURRENTLY blocks writes to the table and, since planning a query on it opens its indexes, reads too, until the rebuild ends.",
      ]
    `);
  });

  it("does not report REINDEX CONCURRENTLY", async () => {
    expect(await findingsOf("reindex-without-concurrently", "REINDEX TABLE CONCURRENTLY orders;", { noTransaction: true })).toEqual([]);
  });
});

describe("reindex-without-concurrently option values", () => {
  it("reads CONCURRENTLY's value: CONCURRENTLY false is a plain REINDEX, not a concurrent one in a transaction", async () => {
    const sql = "REINDEX (CONCURRENTLY false) TABLE orders;";
    expect(await findingsOf("reindex-without-concurrently", sql)).toHaveLength(1);
    expect(await findingsOf("concurrently-in-transaction", sql)).toEqual([]);
    expect(await findingsOf("concurrently-in-transaction", "REINDEX (CONCURRENTLY true) TABLE orders;")).toHaveLength(1);
  });
});
