import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("cannot-run-in-transaction", () => {
  it("reports VACUUM, CREATE DATABASE and ALTER SYSTEM in a transactional migration", async () => {
    const sql = "VACUUM ANALYZE orders;\nCREATE DATABASE reporting;\nALTER SYSTEM SET work_mem = '64MB';";
    expect(describeFindings(await findingsOf("cannot-run-in-transaction", sql))).toMatchInlineSnapshot(`
      [
        "1:1 high VACUUM cannot run inside a transaction block, and this migration runs in one: it will fail.",
        "2:1 high CREATE DATABASE cannot run inside a transaction block, and this migration runs in one: it will fail.",
        "3:1 high ALTER SYSTEM cannot run inside a transaction block, and this migration runs in one: it will fail.",
      ]
    `);
  });

  it("does not report them in a no-transaction migration", async () => {
    expect(await findingsOf("cannot-run-in-transaction", "VACUUM ANALYZE orders;", { noTransaction: true })).toEqual([]);
  });

  it("does not report ANALYZE on its own, which runs fine in a transaction", async () => {
    expect(await findingsOf("cannot-run-in-transaction", "ANALYZE orders;")).toEqual([]);
  });
});
