import { describe, expect, it } from "vitest";
import { inOwnTransaction } from "../../../src/migrate/transaction-control";
import { lintMigrations } from "../../../src/sql/lint";
import { describeFindings, findingsOf, migration as migrationOf } from "../../helpers/migrations";

describe("concurrently-in-transaction", () => {
  it("leaves a transactional migration holding one to lint's refusal, at it, as up refuses it, whatever the rule's severity", async () => {
    const statements = [
      ["CREATE INDEX CONCURRENTLY orders_customer_id ON orders (customer_id);", "CREATE INDEX CONCURRENTLY"],
      ["DROP INDEX CONCURRENTLY orders_old;", "DROP INDEX CONCURRENTLY"],
      ["REINDEX INDEX CONCURRENTLY orders_customer_id;", "REINDEX CONCURRENTLY"],
      ["ALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY;", "DETACH PARTITION CONCURRENTLY"],
    ];
    for (const [statement, form] of statements) {
      const sql = `SELECT 1;\n${statement}`;
      for (const ruleSeverity of [{}, { "concurrently-in-transaction": "off" }] as Record<string, "off">[]) {
        const [linted] = await lintMigrations([migrationOf(sql)], { ruleSeverity });
        expect(linted.findings, statement).toEqual([]);
        expect(linted.parseError, statement).toMatchObject({ line: 2, column: 1, cannotRun: true });
        expect(linted.parseError?.message).toContain(`cannot run inside a transaction block: PostgreSQL refuses ${form} in one`);
        await expect(inOwnTransaction([migrationOf(sql)], "up", "Nothing was applied.")).rejects.toThrow(`${linted.parseError!.file}:2:1: `);
      }
    }
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
