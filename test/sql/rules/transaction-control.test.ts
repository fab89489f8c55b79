import { describe, expect, it } from "vitest";
import { inOwnTransaction } from "../../../src/migrate/transaction-control";
import { lintMigrations } from "../../../src/sql/lint";
import { describeFindings, findingsOf, migration as migrationOf } from "../../helpers/migrations";

describe("transaction-control", () => {
  it("reports a stray BEGIN, and leaves a COMMIT part way to the linter, which refuses the file whatever the rule's severity", async () => {
    expect(describeFindings(await findingsOf("transaction-control", "ALTER TABLE customers ADD COLUMN note text;\nBEGIN;\nCREATE INDEX customers_note ON customers (note);"))).toMatchInlineSnapshot(`
      [
        "2:1 medium BEGIN inside the transaction dbpipe already runs the migration in does nothing (PostgreSQL only warns).",
      ]
    `);
    const sql = "ALTER TABLE customers ADD COLUMN note text;\nCOMMIT;\nBEGIN;\nCREATE INDEX CONCURRENTLY customers_note ON customers (note);";
    for (const ruleSeverity of [{}, { "transaction-control": "off" }] as Record<string, "off">[]) {
      const [linted] = await lintMigrations([migrationOf(sql)], { ruleSeverity });
      expect(linted.findings).toEqual([]);
      expect(linted.parseError).toMatchObject({ line: 2, column: 1, cannotRun: true });
      expect(linted.parseError?.message).toMatch(/^`COMMIT` would end the transaction dbpipe runs this migration in: .* `dbpipe up` refuses this file\.$/);
    }
  });

  it("does not report one BEGIN ... COMMIT around the whole file (dbpipe drops it), nor savepoints", async () => {
    expect(await findingsOf("transaction-control", "BEGIN;\nALTER TABLE customers ADD COLUMN note text;\nCOMMIT;")).toEqual([]);
    expect(await findingsOf("transaction-control", "START TRANSACTION;\nSAVEPOINT a;\nALTER TABLE customers ADD COLUMN note text;\nRELEASE SAVEPOINT a;\nEND;")).toEqual([]);
  });

  it("refuses a wrapper dbpipe cannot drop without losing something (modes, AND CHAIN, a ROLLBACK), as up does", async () => {
    for (const sql of ["BEGIN ISOLATION LEVEL SERIALIZABLE;\nSELECT 1;\nCOMMIT;", "BEGIN;\nSELECT 1;\nCOMMIT AND CHAIN;", "BEGIN;\nSELECT 1;\nROLLBACK;"]) {
      const [linted] = await lintMigrations([migrationOf(sql)]);
      expect(linted.parseError, sql).toMatchObject({ line: 3, cannotRun: true });
      await expect(inOwnTransaction([migrationOf(sql)], "up", "Nothing was applied."), sql).rejects.toThrow(`${linted.parseError!.file}:3:1: `);
    }
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
