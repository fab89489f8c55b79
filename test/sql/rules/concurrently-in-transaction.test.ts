import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("concurrently-in-transaction", () => {
  it("reports CONCURRENTLY statements in a migration that runs in a transaction", async () => {
    const sql = [
      "CREATE INDEX CONCURRENTLY orders_customer_id ON orders (customer_id);",
      "DROP INDEX CONCURRENTLY orders_old;",
      "REINDEX INDEX CONCURRENTLY orders_customer_id;",
      "ALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY;",
    ].join("\n");
    expect(describeFindings(await findingsOf("concurrently-in-transaction", sql))).toMatchInlineSnapshot(`
      [
        "1:1 high CREATE INDEX CONCURRENTLY cannot run inside a transaction block, and this migration runs it in a transaction (the file has no \`-- dbpipe:no-transaction\` line): it will fail.",
        "2:1 high DROP INDEX CONCURRENTLY cannot run inside a transaction block, and this migration runs it in a transaction (the file has no \`-- dbpipe:no-transaction\` line): it will fail.",
        "3:1 high REINDEX CONCURRENTLY cannot run inside a transaction block, and this migration runs it in a transaction (the file has no \`-- dbpipe:no-transaction\` line): it will fail.",
        "4:1 high DETACH PARTITION CONCURRENTLY cannot run inside a transaction block, and this migration runs it in a transaction (the file has no \`-- dbpipe:no-transaction\` line): it will fail.",
      ]
    `);
  });

  it("does not report them in a no-transaction migration", async () => {
    expect(await findingsOf("concurrently-in-transaction", "CREATE INDEX CONCURRENTLY orders_customer_id ON orders (customer_id);", { noTransaction: true })).toEqual([]);
  });

  it("reports them inside an explicit BEGIN of a no-transaction migration", async () => {
    const findings = await findingsOf("concurrently-in-transaction", "BEGIN;\nCREATE INDEX CONCURRENTLY i ON orders (customer_id);\nCOMMIT;\nCREATE INDEX CONCURRENTLY j ON orders (total);", { noTransaction: true });
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "2:1 high CREATE INDEX CONCURRENTLY cannot run inside a transaction block, and this migration runs it inside the file's explicit BEGIN: it will fail.",
      ]
    `);
  });
});
