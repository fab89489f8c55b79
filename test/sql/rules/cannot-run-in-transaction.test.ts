import { describe, expect, it } from "vitest";
import { inOwnTransaction } from "../../../src/migrate/transaction-control";
import { lintMigrations } from "../../../src/sql/lint";
import { describeFindings, findingsOf, migration as migrationOf } from "../../helpers/migrations";

// In a transactional migration these statements make the whole file one `dbpipe up` refuses, which
// lint reports as it reports SQL that does not parse; the rule reports them where a no-transaction
// migration opens a transaction of its own.
const inBegin = (sql: string) => ({ sql: `BEGIN;\n${sql}\nCOMMIT;`, options: { noTransaction: true } });

describe("cannot-run-in-transaction", () => {
  it("lint refuses a transactional migration holding one, at it, as up does, whatever the rule's severity", async () => {
    const sql = "ANALYZE orders;\nVACUUM ANALYZE orders;\nCREATE DATABASE reporting;";
    for (const ruleSeverity of [{}, { "cannot-run-in-transaction": "off" }] as Record<string, "off">[]) {
      const [linted] = await lintMigrations([migrationOf(sql)], { ruleSeverity });
      expect(linted.findings).toEqual([]);
      expect(linted.parseError).toMatchObject({ line: 2, column: 1, cannotRun: true });
      expect(linted.parseError?.message).toMatch(/^`VACUUM ANALYZE orders` cannot run inside a transaction block: PostgreSQL refuses VACUUM in one, .* `dbpipe up` refuses this file\.$/);
      await expect(inOwnTransaction([migrationOf(sql)], "up", "Nothing was applied.")).rejects.toThrow(`${linted.parseError!.file}:2:1: `);
    }
  });

  it("reports VACUUM, CREATE DATABASE and ALTER SYSTEM inside a no-transaction migration's own BEGIN", async () => {
    const { sql, options } = inBegin("VACUUM ANALYZE orders;\nCREATE DATABASE reporting;\nALTER SYSTEM SET work_mem = '64MB';");
    expect(describeFindings(await findingsOf("cannot-run-in-transaction", sql, options))).toMatchInlineSnapshot(`
      [
        "2:1 high VACUUM cannot run inside a transaction block, and this migration runs in one: it will fail.",
        "3:1 high CREATE DATABASE cannot run inside a transaction block, and this migration runs in one: it will fail.",
        "4:1 high ALTER SYSTEM cannot run inside a transaction block, and this migration runs in one: it will fail.",
      ]
    `);
  });

  it("does not report them in a no-transaction migration", async () => {
    expect(await findingsOf("cannot-run-in-transaction", "VACUUM ANALYZE orders;", { noTransaction: true })).toEqual([]);
  });

  it("does not report ANALYZE on its own, which runs fine in a transaction", async () => {
    expect(await findingsOf("cannot-run-in-transaction", "ANALYZE orders;")).toEqual([]);
    expect((await lintMigrations([migrationOf("ANALYZE orders;")]))[0].parseError).toBeUndefined();
  });

  it("reports REINDEX SCHEMA, SYSTEM and DATABASE and CLUSTER without a table, which PostgreSQL refuses in a transaction block; not the forms that run in one", async () => {
    const { sql, options } = inBegin("REINDEX SCHEMA public;\nREINDEX DATABASE app;\nREINDEX SYSTEM app;\nCLUSTER;\nREINDEX TABLE orders;\nCLUSTER orders USING orders_pkey;\nREINDEX (CONCURRENTLY false) SCHEMA public;");
    expect(describeFindings(await findingsOf("cannot-run-in-transaction", sql, options))).toEqual([
      "2:1 high REINDEX SCHEMA cannot run inside a transaction block, and this migration runs in one: it will fail.",
      "3:1 high REINDEX DATABASE cannot run inside a transaction block, and this migration runs in one: it will fail.",
      "4:1 high REINDEX SYSTEM cannot run inside a transaction block, and this migration runs in one: it will fail.",
      "5:1 high CLUSTER without a table cannot run inside a transaction block, and this migration runs in one: it will fail.",
      "8:1 high REINDEX SCHEMA cannot run inside a transaction block, and this migration runs in one: it will fail.",
    ]);
    // REINDEX SCHEMA CONCURRENTLY is concurrently-in-transaction's to report, once.
    const concurrent = inBegin("REINDEX SCHEMA CONCURRENTLY public;");
    expect(await findingsOf("cannot-run-in-transaction", concurrent.sql, concurrent.options)).toEqual([]);
    expect(await findingsOf("concurrently-in-transaction", concurrent.sql, concurrent.options)).toHaveLength(1);
    expect(await findingsOf("cannot-run-in-transaction", "REINDEX SCHEMA public;\nCLUSTER;", { noTransaction: true })).toEqual([]);
  });

  it("reports ALTER DATABASE SET TABLESPACE, DISCARD ALL and the subscription changes PostgreSQL refuses in a transaction block; not their relatives", async () => {
    const sql = [
      "ALTER DATABASE app SET TABLESPACE fast;",
      "DISCARD ALL;",
      "CREATE SUBSCRIPTION s CONNECTION 'host=primary' PUBLICATION p;",
      "ALTER SUBSCRIPTION s REFRESH PUBLICATION;",
      "ALTER SUBSCRIPTION s ADD PUBLICATION q;",
      "ALTER DATABASE app SET work_mem = '64MB';",
      "DISCARD PLANS;",
      "CREATE SUBSCRIPTION s2 CONNECTION 'host=primary' PUBLICATION p WITH (connect = false);",
      "ALTER SUBSCRIPTION s SET PUBLICATION p WITH (refresh = off);",
    ].join("\n");
    const { sql: wrapped, options } = inBegin(sql);
    expect(describeFindings(await findingsOf("cannot-run-in-transaction", wrapped, options))).toEqual([
      "2:1 high ALTER DATABASE SET TABLESPACE cannot run inside a transaction block, and this migration runs in one: it will fail.",
      "3:1 high DISCARD ALL cannot run inside a transaction block, and this migration runs in one: it will fail.",
      "4:1 high CREATE SUBSCRIPTION ... WITH (create_slot = true) cannot run inside a transaction block, and this migration runs in one: it will fail.",
      "5:1 high ALTER SUBSCRIPTION ... REFRESH PUBLICATION cannot run inside a transaction block, and this migration runs in one: it will fail.",
      "6:1 high ALTER SUBSCRIPTION ... PUBLICATION with refresh cannot run inside a transaction block, and this migration runs in one: it will fail.",
    ]);
  });
});
