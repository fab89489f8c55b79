import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("transaction-control", () => {
  it("reports a COMMIT that ends the runner's transaction part way, which dbpipe up refuses, and a stray BEGIN", async () => {
    const sql = "ALTER TABLE customers ADD COLUMN note text;\nCOMMIT;\nBEGIN;\nCREATE INDEX CONCURRENTLY customers_note ON customers (note);";
    expect(describeFindings(await findingsOf("transaction-control", sql))).toMatchInlineSnapshot(`
      [
        "2:1 medium COMMIT ends the transaction dbpipe runs the migration in: \`dbpipe up\` refuses this file.",
        "3:1 medium BEGIN inside the transaction dbpipe already runs the migration in does nothing (PostgreSQL only warns).",
      ]
    `);
  });

  it("does not report one BEGIN ... COMMIT around the whole file (dbpipe drops it), nor savepoints", async () => {
    expect(await findingsOf("transaction-control", "BEGIN;\nALTER TABLE customers ADD COLUMN note text;\nCOMMIT;")).toEqual([]);
    expect(await findingsOf("transaction-control", "START TRANSACTION;\nSAVEPOINT a;\nALTER TABLE customers ADD COLUMN note text;\nRELEASE SAVEPOINT a;\nEND;")).toEqual([]);
  });

  it("reports a wrapper dbpipe cannot drop without losing something: modes, AND CHAIN, or a ROLLBACK", async () => {
    expect(describeFindings(await findingsOf("transaction-control", "BEGIN ISOLATION LEVEL SERIALIZABLE;\nSELECT 1;\nCOMMIT;"))).toHaveLength(2);
    expect(describeFindings(await findingsOf("transaction-control", "BEGIN;\nSELECT 1;\nROLLBACK;"))).toHaveLength(2);
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
