import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

const ALTER = "ALTER TABLE customers ADD COLUMN note text;\nALTER TABLE orders ADD COLUMN note text;";

describe("missing-lock-timeout", () => {
  it("is quiet when the runner sets the stack's lock_timeout", async () => {
    expect(await findingsOf("missing-lock-timeout", ALTER, { lockTimeoutMs: 5_000 })).toEqual([]);
  });

  it("reports the first blocking lock once per migration when the stack turns lock_timeout off", async () => {
    expect(describeFindings(await findingsOf("missing-lock-timeout", ALTER, { lockTimeoutMs: 0 }))).toMatchInlineSnapshot(`
      [
        "1:1 medium This statement takes an ACCESS EXCLUSIVE lock on customers (blocking reads and writes) with no lock_timeout: while it waits for running queries, every new query on the table queues behind it.",
      ]
    `);
  });

  it("is satisfied by the migration's own SET lock_timeout", async () => {
    expect(await findingsOf("missing-lock-timeout", `SET lock_timeout = '3s';\n${ALTER}`, { lockTimeoutMs: 0 })).toEqual([]);
  });

  it("reports a migration that turns the runner's lock_timeout off or sets it over a minute", async () => {
    expect(describeFindings(await findingsOf("missing-lock-timeout", `SET lock_timeout = 0;\n${ALTER}`, { lockTimeoutMs: 5_000 }))).toMatchInlineSnapshot(`
      [
        "2:1 medium This statement takes an ACCESS EXCLUSIVE lock on customers (blocking reads and writes) with no lock_timeout: while it waits for running queries, every new query on the table queues behind it.",
      ]
    `);
    expect(describeFindings(await findingsOf("missing-lock-timeout", `SET LOCAL lock_timeout TO '10min';\nCREATE INDEX i ON orders (total);`))).toMatchInlineSnapshot(`
      [
        "2:1 medium This statement takes a SHARE lock on orders (blocking writes) with lock_timeout 10min: while it waits for running queries, every new query on the table queues behind it.",
      ]
    `);
  });

  it("reads RESET, TO DEFAULT, RESET ALL and set_config as PostgreSQL does: the runner's SET LOCAL is gone after them", async () => {
    for (const reset of ["RESET lock_timeout;", "SET lock_timeout TO DEFAULT;", "RESET ALL;", "SELECT set_config('lock_timeout', '0', false);"]) {
      const findings = await findingsOf("missing-lock-timeout", `SET lock_timeout = '2s';\n${reset}\n${ALTER}`, { lockTimeoutMs: 5_000 });
      expect({ reset, findings: findings.length }).toEqual({ reset, findings: 1 });
    }
    expect(await findingsOf("missing-lock-timeout", `SELECT set_config('lock_timeout', '3s', true);\n${ALTER}`, { lockTimeoutMs: 0 })).toEqual([]);
    expect(await findingsOf("missing-statement-timeout", `SELECT set_config('statement_timeout', '0', true);\n${ALTER}`, { statementTimeoutMs: 60_000 })).toHaveLength(1);
  });

  it("does not report locks on tables created earlier in the same migration, or non-blocking statements", async () => {
    const sql = "CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN note text;\nCREATE INDEX CONCURRENTLY i ON orders (total);";
    expect(await findingsOf("missing-lock-timeout", sql, { lockTimeoutMs: 0, noTransaction: true })).toEqual([]);
  });
});
