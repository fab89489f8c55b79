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
        "1:1 medium This statement takes an ACCESS EXCLUSIVE lock on customers (blocking reads and writes) with no lock_timeout: while it waits for the queries running on the table, every new query on the table queues behind it.",
      ]
    `);
  });

  it("is satisfied by the migration's own SET lock_timeout", async () => {
    expect(await findingsOf("missing-lock-timeout", `SET lock_timeout = '3s';\n${ALTER}`, { lockTimeoutMs: 0 })).toEqual([]);
  });

  it("reports a migration that turns the runner's lock_timeout off or sets it over a minute", async () => {
    expect(describeFindings(await findingsOf("missing-lock-timeout", `SET lock_timeout = 0;\n${ALTER}`, { lockTimeoutMs: 5_000 }))).toMatchInlineSnapshot(`
      [
        "2:1 medium This statement takes an ACCESS EXCLUSIVE lock on customers (blocking reads and writes) with no lock_timeout: while it waits for the queries running on the table, every new query on the table queues behind it.",
      ]
    `);
    expect(describeFindings(await findingsOf("missing-lock-timeout", `SET LOCAL lock_timeout TO '10min';\nCREATE INDEX i ON orders (total);`))).toMatchInlineSnapshot(`
      [
        "2:1 medium This statement takes a SHARE lock on orders (blocking writes) with lock_timeout 10min: while it waits for the transactions that hold a conflicting lock, every new query it blocks queues behind it.",
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

  it("reports CREATE, ALTER and DROP POLICY and CREATE and DROP RULE: ACCESS EXCLUSIVE on the table (measured on PostgreSQL 15)", async () => {
    expect(describeFindings(await findingsOf("missing-lock-timeout", "CREATE POLICY own_rows ON orders USING (owner = current_user);", { lockTimeoutMs: 0 }))).toMatchInlineSnapshot(`
      [
        "1:1 medium This statement takes an ACCESS EXCLUSIVE lock on orders (blocking reads and writes) with no lock_timeout: while it waits for the queries running on the table, every new query on the table queues behind it.",
      ]
    `);
    for (const sql of [
      "ALTER POLICY own_rows ON orders USING (true);",
      "DROP POLICY own_rows ON orders;",
      "CREATE RULE no_delete AS ON DELETE TO orders DO INSTEAD NOTHING;",
      "DROP RULE no_delete ON orders;",
    ]) {
      const findings = await findingsOf("missing-lock-timeout", sql, { lockTimeoutMs: 0 });
      expect({ sql, messages: findings.map((f) => f.message.replace(/ \(blocking.*/, "")) }).toEqual({ sql, messages: ["This statement takes an ACCESS EXCLUSIVE lock on orders"] });
    }
    const created = "CREATE TABLE notes (owner text);\nCREATE POLICY own_rows ON notes USING (owner = current_user);\nCREATE TRIGGER t BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION f();\nDROP TRIGGER t ON notes;";
    expect(await findingsOf("missing-lock-timeout", created, { lockTimeoutMs: 0 })).toEqual([]);
  });

  it("reports a foreign key that locks an existing table SHARE ROW EXCLUSIVE, even from a new table", async () => {
    expect(describeFindings(await findingsOf("missing-lock-timeout", "CREATE TABLE notes (order_id bigint REFERENCES orders (id));", { lockTimeoutMs: 0 }))).toMatchInlineSnapshot(`
      [
        "1:1 medium This statement takes a SHARE ROW EXCLUSIVE lock on orders (blocking writes) with no lock_timeout: while it waits for the transactions that hold a conflicting lock, every new query it blocks queues behind it.",
      ]
    `);
    const alter = "CREATE TABLE notes (order_id bigint);\nALTER TABLE notes ADD CONSTRAINT notes_order FOREIGN KEY (order_id) REFERENCES orders (id) NOT VALID;";
    expect(describeFindings(await findingsOf("missing-lock-timeout", alter, { lockTimeoutMs: 0 }))).toEqual([expect.stringMatching(/^2:1 medium This statement takes a SHARE ROW EXCLUSIVE lock on orders /)]);
    const own = "CREATE TABLE tree (id bigint PRIMARY KEY, parent_id bigint REFERENCES tree (id));\nCREATE TABLE leaves (tree_id bigint REFERENCES tree (id));";
    expect(await findingsOf("missing-lock-timeout", own, { lockTimeoutMs: 0 })).toEqual([]);
  });

  it("reports CREATE TABLE ... PARTITION OF an existing table and ATTACH PARTITION of an existing table, not ATTACH of a new one", async () => {
    expect(describeFindings(await findingsOf("missing-lock-timeout", "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');", { lockTimeoutMs: 0 }))).toEqual([
      expect.stringContaining("an ACCESS EXCLUSIVE lock on events (blocking reads and writes)"),
    ]);
    expect(describeFindings(await findingsOf("missing-lock-timeout", "ALTER TABLE events ATTACH PARTITION events_old FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');", { lockTimeoutMs: 0 }))).toEqual([
      expect.stringContaining("an ACCESS EXCLUSIVE lock on events_old (blocking reads and writes)"),
    ]);
    const attachNew = "CREATE TABLE events_2026 (LIKE events);\nALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');";
    expect(await findingsOf("missing-lock-timeout", attachNew, { lockTimeoutMs: 0 })).toEqual([]);
  });

  it("reports the DEFAULT partition that ATTACH, PARTITION OF and DETACH lock, known from an earlier migration, unless it is new", async () => {
    const partitioned = "CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);\nCREATE TABLE events_other PARTITION OF events DEFAULT;";
    const attachNew = "CREATE TABLE events_2026 (LIKE events);\nALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');";
    expect(describeFindings(await findingsOf("missing-lock-timeout", [partitioned, attachNew], { lockTimeoutMs: 0 }))).toMatchInlineSnapshot(`
      [
        "2:1 medium This statement takes an ACCESS EXCLUSIVE lock on events_other (blocking reads and writes) with no lock_timeout: while it waits for the queries running on the table, every new query on the table queues behind it.",
      ]
    `);
    const detach = "ALTER TABLE events DETACH PARTITION events_2025;";
    expect(describeFindings(await findingsOf("missing-lock-timeout", [partitioned, detach], { lockTimeoutMs: 0 }))).toEqual([expect.stringContaining("an ACCESS EXCLUSIVE lock on events (blocking")]);
    // The same migration's DEFAULT partition is empty and nobody else uses it; a DETACH ... CONCURRENTLY is refused there (rejected-by-postgres).
    expect(await findingsOf("missing-lock-timeout", `${partitioned}\n${attachNew}`, { lockTimeoutMs: 0 })).toEqual([]);
  });

  it("reads the lock of each storage parameter: ALTER COLUMN SET (n_distinct) lets traffic through, user_catalog_table and a view's security_barrier do not", async () => {
    for (const sql of ["ALTER TABLE orders ALTER COLUMN total SET (n_distinct = 100);", "ALTER TABLE orders SET (fillfactor = 70, toast.autovacuum_enabled = false);", "ALTER INDEX orders_total SET (fillfactor = 70);"]) {
      expect({ sql, findings: await findingsOf("missing-lock-timeout", sql, { lockTimeoutMs: 0 }) }).toEqual({ sql, findings: [] });
    }
    for (const sql of ["ALTER TABLE orders SET (user_catalog_table = true);", "ALTER VIEW order_totals SET (security_barrier = true);", "ALTER INDEX orders_tags SET (fastupdate = off);"]) {
      expect({ sql, findings: (await findingsOf("missing-lock-timeout", sql, { lockTimeoutMs: 0 })).length }).toEqual({ sql, findings: 1 });
    }
  });

  it("reports ALTER and DROP SEQUENCE, CREATE OR REPLACE VIEW, ALTER DOMAIN checks, DROP OWNED and REASSIGN OWNED", async () => {
    expect(describeFindings(await findingsOf("missing-lock-timeout", "ALTER SEQUENCE orders_id_seq INCREMENT BY 10;", { lockTimeoutMs: 0 }))).toMatchInlineSnapshot(`
      [
        "1:1 medium This statement takes a SHARE ROW EXCLUSIVE lock on orders_id_seq (blocking nextval() on the sequence (the inserts that use it wait)) with no lock_timeout: while it waits for the transactions that hold a conflicting lock, every new query it blocks queues behind it.",
      ]
    `);
    expect(describeFindings(await findingsOf("missing-lock-timeout", "ALTER DOMAIN positive ADD CONSTRAINT positive_check CHECK (VALUE > 0);", { lockTimeoutMs: 0 }))).toMatchInlineSnapshot(`
      [
        "1:1 medium This statement takes a SHARE lock (blocking writes to every table with a column of the domain, while it checks their values) with no lock_timeout: while it waits for the transactions that hold a conflicting lock, every new query it blocks queues behind it.",
      ]
    `);
    for (const sql of ["DROP SEQUENCE legacy_seq;", "CREATE OR REPLACE VIEW order_totals AS SELECT 1;", "ALTER DOMAIN positive VALIDATE CONSTRAINT positive_check;", "DROP OWNED BY legacy_app;", "REASSIGN OWNED BY legacy_app TO app_owner;"]) {
      expect({ sql, findings: (await findingsOf("missing-lock-timeout", sql, { lockTimeoutMs: 0 })).length }).toEqual({ sql, findings: 1 });
    }
    const created = "CREATE DOMAIN positive AS int;\nALTER DOMAIN positive ADD CONSTRAINT positive_check CHECK (VALUE > 0);\nCREATE VIEW order_totals AS SELECT 1;\nCREATE OR REPLACE VIEW order_totals AS SELECT 2;";
    expect(await findingsOf("missing-lock-timeout", created, { lockTimeoutMs: 0 })).toEqual([]);
  });

  it("looks at every table a TRUNCATE or LOCK TABLE names, not only the first", async () => {
    for (const statement of ["TRUNCATE scratch, orders;", "LOCK TABLE scratch, orders IN SHARE MODE;"]) {
      const findings = await findingsOf("missing-lock-timeout", `CREATE TABLE scratch (id int);\n${statement}`, { lockTimeoutMs: 0 });
      expect({ statement, messages: findings.map((f) => f.message.replace(/ \(blocking.*/, "")) }).toEqual({ statement, messages: [expect.stringMatching(/lock on orders$/)] });
    }
  });
});
