import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("lock-table", () => {
  it("reports LOCK TABLE in modes that block reads or writes", async () => {
    const sql = "LOCK TABLE accounts;\nLOCK TABLE ledger IN SHARE MODE;";
    expect(describeFindings(await findingsOf("lock-table", sql))).toMatchInlineSnapshot(`
      [
        "1:12 high LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE blocks reads and writes on it until the migration's transaction ends.",
        "2:12 high LOCK TABLE ledger IN SHARE MODE blocks writes on it until the migration's transaction ends.",
      ]
    `);
  });

  it("does not report a lock that blocks only schema changes", async () => {
    expect(await findingsOf("lock-table", "LOCK TABLE accounts IN ACCESS SHARE MODE;")).toEqual([]);
  });

  it("does not report locking a table created earlier in the same migration", async () => {
    expect(await findingsOf("lock-table", "CREATE TABLE buffer (id int);\nLOCK TABLE buffer;")).toEqual([]);
  });
});
