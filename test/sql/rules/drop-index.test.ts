import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("drop-index", () => {
  it("reports dropping an existing index, even concurrently", async () => {
    const findings = await findingsOf("drop-index", "DROP INDEX CONCURRENTLY orders_status_idx;", { noTransaction: true });
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "1:1 medium DROP INDEX orders_status_idx: queries that use it get slower, and getting it back means rebuilding it.",
      ]
    `);
  });

  it("does not report an index created on a new table earlier in the same migration", async () => {
    expect(await findingsOf("drop-index", "CREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);\nDROP INDEX t_id;")).toEqual([]);
  });
});
