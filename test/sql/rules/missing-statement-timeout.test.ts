import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

const ALTER = "ALTER TABLE customers ALTER COLUMN score TYPE bigint;\nALTER TABLE orders ADD COLUMN note text;";

describe("missing-statement-timeout", () => {
  it("is quiet when the runner sets the stack's statement_timeout", async () => {
    expect(await findingsOf("missing-statement-timeout", ALTER, { statementTimeoutMs: 30 * 60_000 })).toEqual([]);
    // Without options, the linter assumes the prod tier's runner (30min).
    expect(await findingsOf("missing-statement-timeout", ALTER)).toEqual([]);
  });

  it("reports the first statement that locks an existing table, once per migration, when the stack sets none", async () => {
    expect(describeFindings(await findingsOf("missing-statement-timeout", ALTER, { statementTimeoutMs: 0 }))).toMatchInlineSnapshot(`
      [
        "1:1 low This statement holds an ACCESS EXCLUSIVE lock on customers (blocking reads and writes) for as long as it runs, with no statement_timeout: on a table larger than expected nothing stops it.",
      ]
    `);
  });

  it("is satisfied by the migration's own SET statement_timeout, and reports one that turns the runner's off", async () => {
    expect(await findingsOf("missing-statement-timeout", `SET statement_timeout = '15min';\n${ALTER}`, { statementTimeoutMs: 0 })).toEqual([]);
    expect(describeFindings(await findingsOf("missing-statement-timeout", `SET statement_timeout = 0;\nCREATE INDEX orders_total ON orders (total);`))).toMatchInlineSnapshot(`
      [
        "2:1 low This statement holds a SHARE lock on orders (blocking writes) for as long as it runs, with no statement_timeout: on a table larger than expected nothing stops it.",
      ]
    `);
    // RESET goes back to the server's default (none), not to the runner's SET LOCAL, as on PostgreSQL 15.
    expect(await findingsOf("missing-statement-timeout", `SET statement_timeout = 0;\nRESET statement_timeout;\n${ALTER}`)).toHaveLength(1);
  });

  it("reports an UPDATE or DELETE of an existing table", async () => {
    expect(describeFindings(await findingsOf("missing-statement-timeout", "UPDATE orders SET note = 'x' WHERE note IS NULL;", { statementTimeoutMs: 0 }))).toMatchInlineSnapshot(`
      [
        "1:1 low This UPDATE on orders holds its row locks, and the migration's transaction, for as long as it runs, with no statement_timeout: on a table larger than expected nothing stops it.",
      ]
    `);
    expect(await findingsOf("missing-statement-timeout", "DELETE FROM orders WHERE id < 10;", { statementTimeoutMs: 0 })).toHaveLength(1);
  });

  it("does not report tables created in the same migration, drops, or statements that block nothing", async () => {
    const sql = [
      "CREATE TABLE t (id int);",
      "ALTER TABLE t ADD COLUMN note text;",
      "UPDATE t SET note = 'x';",
      "DROP TABLE legacy;",
      "CREATE INDEX CONCURRENTLY i ON orders (total);",
      "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;",
    ].join("\n");
    expect(await findingsOf("missing-statement-timeout", sql, { statementTimeoutMs: 0, noTransaction: true })).toEqual([]);
  });

  it("reads the lock each statement really takes: ATTACH PARTITION of an existing table holds it ACCESS EXCLUSIVE while it scans, ALTER COLUMN SET (n_distinct) blocks nothing", async () => {
    expect(describeFindings(await findingsOf("missing-statement-timeout", "ALTER TABLE events ATTACH PARTITION events_old FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');", { statementTimeoutMs: 0 }))).toMatchInlineSnapshot(`
      [
        "1:1 low This statement holds an ACCESS EXCLUSIVE lock on events_old (blocking reads and writes) for as long as it runs, with no statement_timeout: on a table larger than expected nothing stops it.",
      ]
    `);
    expect(await findingsOf("missing-statement-timeout", "ALTER TABLE orders ALTER COLUMN total SET (n_distinct = 100);", { statementTimeoutMs: 0 })).toEqual([]);
  });
});
