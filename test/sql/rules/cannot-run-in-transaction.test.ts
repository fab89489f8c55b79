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

  it("reports COMMIT PREPARED and ROLLBACK PREPARED in a transactional migration, which PostgreSQL refuses there; in a no-transaction one nothing is said of them", async () => {
    const sql = "COMMIT PREPARED 'a';\nROLLBACK PREPARED 'b';";
    expect(describeFindings(await findingsOf("cannot-run-in-transaction", sql))).toEqual([
      "1:1 high COMMIT PREPARED cannot run inside a transaction block, and this migration runs in one: it will fail.",
      "2:1 high ROLLBACK PREPARED cannot run inside a transaction block, and this migration runs in one: it will fail.",
    ]);
    expect(await findingsOf("cannot-run-in-transaction", sql, { noTransaction: true })).toEqual([]);
    expect(await findingsOf("transaction-control", sql, { noTransaction: true })).toEqual([]);
    expect(await findingsOf("transaction-control", sql)).toEqual([]);
  });

  it("does not report them in a no-transaction migration", async () => {
    expect(await findingsOf("cannot-run-in-transaction", "VACUUM ANALYZE orders;", { noTransaction: true })).toEqual([]);
  });

  it("does not report ANALYZE on its own, which runs fine in a transaction", async () => {
    expect(await findingsOf("cannot-run-in-transaction", "ANALYZE orders;")).toEqual([]);
  });

  it("reports REINDEX SCHEMA, SYSTEM and DATABASE and CLUSTER without a table, which PostgreSQL refuses in a transaction block; not the forms that run in one", async () => {
    const sql = "REINDEX SCHEMA public;\nREINDEX DATABASE app;\nREINDEX SYSTEM app;\nCLUSTER;\nREINDEX TABLE orders;\nCLUSTER orders USING orders_pkey;\nREINDEX (CONCURRENTLY false) SCHEMA public;";
    expect(describeFindings(await findingsOf("cannot-run-in-transaction", sql))).toEqual([
      "1:1 high REINDEX SCHEMA cannot run inside a transaction block, and this migration runs in one: it will fail.",
      "2:1 high REINDEX DATABASE cannot run inside a transaction block, and this migration runs in one: it will fail.",
      "3:1 high REINDEX SYSTEM cannot run inside a transaction block, and this migration runs in one: it will fail.",
      "4:1 high CLUSTER without a table cannot run inside a transaction block, and this migration runs in one: it will fail.",
      "7:1 high REINDEX SCHEMA cannot run inside a transaction block, and this migration runs in one: it will fail.",
    ]);
    // REINDEX SCHEMA CONCURRENTLY is concurrently-in-transaction's to report, once.
    expect(await findingsOf("cannot-run-in-transaction", "REINDEX SCHEMA CONCURRENTLY public;")).toEqual([]);
    expect(await findingsOf("concurrently-in-transaction", "REINDEX SCHEMA CONCURRENTLY public;")).toHaveLength(1);
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
    expect(describeFindings(await findingsOf("cannot-run-in-transaction", sql))).toEqual([
      "1:1 high ALTER DATABASE SET TABLESPACE cannot run inside a transaction block, and this migration runs in one: it will fail.",
      "2:1 high DISCARD ALL cannot run inside a transaction block, and this migration runs in one: it will fail.",
      "3:1 high CREATE SUBSCRIPTION ... WITH (create_slot = true) cannot run inside a transaction block, and this migration runs in one: it will fail.",
      "4:1 high ALTER SUBSCRIPTION ... REFRESH PUBLICATION cannot run inside a transaction block, and this migration runs in one: it will fail.",
      "5:1 high ALTER SUBSCRIPTION ... PUBLICATION with refresh cannot run inside a transaction block, and this migration runs in one: it will fail.",
    ]);
  });
});
