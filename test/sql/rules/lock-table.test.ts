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

  it("says a LOCK TABLE outside a transaction block fails (PostgreSQL refuses it), and judges one inside an explicit BEGIN as usual", async () => {
    const sql = "SET lock_timeout = '5s';\nLOCK TABLE customers IN ACCESS EXCLUSIVE MODE;\nALTER TABLE customers ADD COLUMN note text;";
    expect(describeFindings(await findingsOf("lock-table", sql, { noTransaction: true }))).toEqual([
      "2:12 high LOCK TABLE can only be used in a transaction block, and this migration runs without one (-- dbpipe:no-transaction): it fails, and locks nothing for the statements after it.",
    ]);
    expect(describeFindings(await findingsOf("lock-table", "BEGIN;\nLOCK TABLE customers;\nCOMMIT;", { noTransaction: true }))).toEqual([
      "2:12 high LOCK TABLE customers IN ACCESS EXCLUSIVE MODE blocks reads and writes on it until the migration's transaction ends.",
    ]);
  });
});

