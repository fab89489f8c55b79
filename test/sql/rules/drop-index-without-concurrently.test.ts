import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("drop-index-without-concurrently", () => {
  it("reports DROP INDEX without CONCURRENTLY", async () => {
    expect(describeFindings(await findingsOf("drop-index-without-concurrently", "DROP INDEX IF EXISTS orders_status_idx;"))).toMatchInlineSnapshot(`
      [
        "1:1 medium DROP INDEX orders_status_idx without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table, blocking reads and writes while it waits and runs.",
      ]
    `);
  });

  it("does not report DROP INDEX CONCURRENTLY", async () => {
    expect(await findingsOf("drop-index-without-concurrently", "DROP INDEX CONCURRENTLY orders_status_idx;", { noTransaction: true })).toEqual([]);
  });

  it("does not report an index created on a new table earlier in the same migration", async () => {
    expect(await findingsOf("drop-index-without-concurrently", "CREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);\nDROP INDEX t_id;")).toEqual([]);
  });
});
