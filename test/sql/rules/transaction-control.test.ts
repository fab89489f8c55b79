import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("transaction-control", () => {
  it("reports BEGIN and COMMIT in a migration the runner already wraps in a transaction", async () => {
    const sql = "BEGIN;\nALTER TABLE customers ADD COLUMN note text;\nCOMMIT;";
    expect(describeFindings(await findingsOf("transaction-control", sql))).toMatchInlineSnapshot(`
      [
        "1:1 medium BEGIN in a migration that dbpipe already runs in a transaction.",
        "3:1 medium COMMIT in a migration that dbpipe already runs in a transaction.",
      ]
    `);
  });

  it("says what is wrong with them in a no-transaction migration", async () => {
    expect(describeFindings(await findingsOf("transaction-control", "START TRANSACTION;\nSELECT 1;\nROLLBACK;", { noTransaction: true }))).toMatchInlineSnapshot(`
      [
        "1:1 medium START TRANSACTION in a no-transaction migration: dbpipe cannot tell which part ran if it fails part way.",
        "3:1 medium ROLLBACK in a no-transaction migration: dbpipe cannot tell which part ran if it fails part way.",
      ]
    `);
  });

  it("does not report migrations without transaction statements", async () => {
    expect(await findingsOf("transaction-control", "ALTER TABLE customers ADD COLUMN note text;")).toEqual([]);
  });
});
