import type { Client } from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { LOCK_MODES, type LockMode, tableLocks } from "../../src/sql/locks";
import { loadParser, parseSection } from "../../src/sql/parse";
import { freshDatabase, migratorUrl, withClient } from "../helpers/database";

/**
 * tableLocks against PostgreSQL 15, as the role that runs migrations (the database's owner, no
 * superuser): each statement runs in a transaction, pg_locks says which lock it took on each
 * relation, and the transaction is rolled back. The fixture has no foreign keys and no DEFAULT
 * partition: the locks those add (DROP TABLE of a referencing table locks the referenced one) are
 * not in the statement.
 */

const SCHEMA = `
  CREATE TABLE t (id int PRIMARY KEY, v int, w text);
  CREATE INDEX t_v ON t (v);
  CREATE INDEX t_gin ON t USING gin ((ARRAY[v]));
  CREATE TABLE o (id int PRIMARY KEY, t_id int);
  CREATE TABLE fresh (id int, t_id int);
  CREATE SEQUENCE s;
  CREATE VIEW tv AS SELECT * FROM t;
  CREATE MATERIALIZED VIEW mv AS SELECT id FROM t;
  CREATE UNIQUE INDEX mv_id ON mv (id);
  CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
  CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();
  CREATE POLICY t_all ON t USING (true);
  CREATE RULE o_quiet AS ON INSERT TO o DO ALSO NOTHING;
  CREATE TABLE p (id int, k int) PARTITION BY RANGE (k);
  CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);
  CREATE TABLE p2 (id int, k int);
  CREATE TABLE pp (id int);
  CREATE STATISTICS t_vw ON v, w FROM t;
  CREATE DOMAIN positive AS int;
  CREATE TABLE dt (x positive);
  ALTER DOMAIN positive ADD CONSTRAINT positive_nv CHECK (VALUE > 0) NOT VALID;
  INSERT INTO t SELECT g, g, 'x' FROM generate_series(1, 10) g;
  CREATE TABLE q (id int, k int) PARTITION BY RANGE (k);
  CREATE TABLE q_default PARTITION OF q DEFAULT;
  CREATE TABLE q1 PARTITION OF q FOR VALUES FROM (0) TO (10);
  CREATE TABLE q_new (id int, k int);
`;

/** Statements on q, whose DEFAULT partition q_default none of them names: what missing-lock-timeout adds from the schema history. */
const DEFAULT_PARTITION_LOCKED = [
  "ALTER TABLE q ATTACH PARTITION q_new FOR VALUES FROM (10) TO (20)",
  "CREATE TABLE q2 PARTITION OF q FOR VALUES FROM (20) TO (30)",
  "ALTER TABLE q DETACH PARTITION q1",
];

/** Statements that can run in a transaction block, each measured on its own. */
const STATEMENTS = [
  "CREATE POLICY t_none ON t USING (false)",
  "ALTER POLICY t_all ON t USING (false)",
  "ALTER POLICY t_all ON t RENAME TO t_every",
  "DROP POLICY t_all ON t",
  "CREATE TRIGGER t_touch2 BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION touch()",
  "DROP TRIGGER t_touch ON t",
  "ALTER TRIGGER t_touch ON t RENAME TO t_touched",
  "ALTER TABLE t DISABLE TRIGGER t_touch",
  "ALTER TABLE t ENABLE ALWAYS TRIGGER t_touch",
  "ALTER TABLE t DISABLE TRIGGER ALL, ADD COLUMN z int",
  "CREATE RULE o_none AS ON UPDATE TO o DO INSTEAD NOTHING",
  "DROP RULE o_quiet ON o",
  "ALTER TABLE o DISABLE RULE o_quiet",
  "COMMENT ON TABLE t IS 'x'",
  "COMMENT ON COLUMN t.v IS 'x'",
  "COMMENT ON INDEX t_v IS 'x'",
  "COMMENT ON POLICY t_all ON t IS 'x'",
  "ALTER TABLE t ALTER v SET STATISTICS 100",
  "ALTER TABLE t ALTER v SET (n_distinct = 5)",
  "ALTER TABLE t ALTER v RESET (n_distinct)",
  "ALTER TABLE t SET (fillfactor = 70, autovacuum_enabled = false, toast.autovacuum_enabled = false)",
  "ALTER TABLE t RESET (fillfactor)",
  "ALTER TABLE t SET (user_catalog_table = true)",
  "ALTER TABLE t CLUSTER ON t_pkey",
  "ALTER TABLE t SET WITHOUT CLUSTER",
  "ALTER TABLE t SET UNLOGGED",
  "ALTER TABLE t REPLICA IDENTITY FULL",
  "ALTER TABLE t OWNER TO CURRENT_USER",
  "ALTER VIEW tv SET (security_barrier = true)",
  "ALTER INDEX t_v SET (fillfactor = 70)",
  "ALTER INDEX t_gin SET (fastupdate = off)",
  "ALTER INDEX t_v RENAME TO t_v2",
  "ALTER SEQUENCE s INCREMENT 2",
  "ALTER SEQUENCE s RENAME TO s2",
  "GRANT SELECT ON t TO PUBLIC",
  "REVOKE SELECT ON t FROM PUBLIC",
  "CREATE STATISTICS t_vw2 ON v, w FROM t",
  "DROP STATISTICS t_vw",
  "REFRESH MATERIALIZED VIEW mv",
  "REFRESH MATERIALIZED VIEW CONCURRENTLY mv",
  "ALTER TABLE p ATTACH PARTITION p2 FOR VALUES FROM (10) TO (20)",
  "ALTER TABLE p DETACH PARTITION p1",
  "CREATE TABLE p3 PARTITION OF p FOR VALUES FROM (20) TO (30)",
  "CREATE TABLE pp1 (id int) INHERITS (pp)",
  "CREATE TABLE o2 (id int, t_id int REFERENCES t (id))",
  "ALTER TABLE fresh ADD CONSTRAINT fresh_t FOREIGN KEY (t_id) REFERENCES t (id) NOT VALID",
  "ALTER TABLE o ADD COLUMN fresh_id int REFERENCES o (id)",
  "CREATE OR REPLACE VIEW tv AS SELECT * FROM t",
  "ALTER DOMAIN positive ADD CONSTRAINT positive_check CHECK (VALUE > 0)",
  "ALTER DOMAIN positive VALIDATE CONSTRAINT positive_nv",
  "TRUNCATE t, o",
  "LOCK TABLE t",
  ...LOCK_MODES.map((mode) => `LOCK TABLE t, o IN ${mode} MODE`),
  "ANALYZE t",
  "CREATE INDEX t_w ON t (w)",
  "REINDEX INDEX t_v",
  "REINDEX TABLE t",
  "CLUSTER t USING t_pkey",
  "DROP INDEX t_v",
  "DROP TABLE o",
  "DROP VIEW tv",
  "DROP SEQUENCE s",
  "REASSIGN OWNED BY CURRENT_USER TO CURRENT_USER",
];

/**
 * Statements PostgreSQL runs only outside a transaction block, with the table whose lock is read:
 * each waits behind a session holding SHARE UPDATE EXCLUSIVE on it, and the mode it waits for is
 * the first it takes that blocks schema changes.
 */
const OUTSIDE_TRANSACTIONS = [
  ["CREATE INDEX CONCURRENTLY t_w ON t (w)", "t"],
  ["REINDEX TABLE CONCURRENTLY t", "t"],
  ["VACUUM t", "t"],
  ["VACUUM (FULL) t", "t"],
  ["ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY", "p"],
] as const;

function parsed(sql: string) {
  const [statement] = parseSection({ text: sql, line: 1 }, "locks.sql");
  return statement.node;
}

const rank = (mode: LockMode) => LOCK_MODES.indexOf(mode);
const blocks = (mode: LockMode) => rank(mode) >= rank("SHARE");

/**
 * What a statement locks, as `relation: MODE` lines: each relation tableLocks names (with the mode
 * PostgreSQL took on it), then `(not named): MODE` for each mode that blocks reads or writes that
 * PostgreSQL took on a table or view the statement does not name.
 */
function describeLocks(named: ReadonlyMap<string, LockMode>, unnamed: Iterable<LockMode>): string[] {
  const lines = [...named].map(([name, mode]) => `${name}: ${mode}`);
  for (const mode of new Set([...unnamed].filter(blocks))) lines.push(`(not named): ${mode}`);
  return lines.sort();
}

function predicted(sql: string): string[] {
  const locks = tableLocks(parsed(sql));
  const named = new Map(locks.filter((l) => l.table).map((l) => [l.table!.name, l.mode] as const));
  return describeLocks(
    named,
    locks.filter((l) => !l.table).map((l) => l.mode),
  );
}

/** The strongest mode `pid` holds or waits for on each relation of the schema, by name; relkinds alongside. */
async function locksOf(client: Client, pid: number): Promise<Map<string, { mode: LockMode; kind: string }>> {
  // Names come from a copy of pg_class made before the statement: a relation it drops still shows.
  const rows = await client.query<{ relname: string; relkind: string; mode: string }>(
    "SELECT n.relname, n.relkind, l.mode FROM pg_locks l JOIN pg_temp.relation_names n ON n.oid = l.relation WHERE l.pid = $1 AND l.locktype = 'relation'",
    [pid],
  );
  const out = new Map<string, { mode: LockMode; kind: string }>();
  for (const row of rows.rows) {
    const mode = row.mode.replace(/Lock$/, "").replace(/([a-z])([A-Z])/g, "$1 $2").toUpperCase() as LockMode;
    const known = out.get(row.relname);
    if (!known || rank(mode) > rank(known.mode)) out.set(row.relname, { mode, kind: row.relkind });
  }
  return out;
}

function measured(sql: string, locks: ReadonlyMap<string, { mode: LockMode; kind: string }>): string[] {
  const names = new Set(tableLocks(parsed(sql)).flatMap((l) => (l.table ? [l.table.name] : [])));
  const named = new Map([...names].map((name) => [name, locks.get(name)?.mode ?? "ACCESS SHARE"] as const));
  // An index's lock shows on its table's queries through the table's own lock, or is the statement's own new index.
  const unnamed = [...locks].filter(([name, l]) => !names.has(name) && l.kind !== "i" && l.kind !== "I").map(([, l]) => l.mode);
  return describeLocks(named, unnamed);
}

const NAMES = "CREATE TEMP TABLE IF NOT EXISTS relation_names AS SELECT oid, relname, relkind FROM pg_class WHERE relnamespace = 'public'::regnamespace";

describe("tableLocks on PostgreSQL 15", () => {
  let url: string;
  beforeAll(async () => {
    await loadParser();
    url = await migratorUrl(await freshDatabase("locks"), "locks-pw");
    await withClient(url, (c) => c.query(SCHEMA));
  });

  it("names the lock PostgreSQL takes on each table a statement names, and the ones it takes on tables it does not", async () => {
    const said: Record<string, string[]> = {};
    const took: Record<string, string[]> = {};
    await withClient(url, async (client) => {
      await client.query(NAMES);
      const pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid;
      for (const sql of STATEMENTS) {
        await client.query("BEGIN");
        try {
          await client.query(sql);
          took[sql] = measured(sql, await locksOf(client, pid));
        } finally {
          await client.query("ROLLBACK");
        }
        said[sql] = predicted(sql);
      }
    });
    expect(said).toEqual(took);
  });

  it("sees ATTACH, PARTITION OF and DETACH lock the DEFAULT partition ACCESS EXCLUSIVE, which the statement does not name", async () => {
    const took: Record<string, string | undefined> = {};
    await withClient(url, async (client) => {
      await client.query(NAMES);
      const pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid;
      for (const sql of DEFAULT_PARTITION_LOCKED) {
        await client.query("BEGIN");
        try {
          await client.query(sql);
          took[sql] = (await locksOf(client, pid)).get("q_default")?.mode;
        } finally {
          await client.query("ROLLBACK");
        }
      }
    });
    expect(took).toEqual(Object.fromEntries(DEFAULT_PARTITION_LOCKED.map((sql) => [sql, "ACCESS EXCLUSIVE"])));
  });

  it("names the lock of a statement that runs outside a transaction block: the one it waits for behind SHARE UPDATE EXCLUSIVE", async () => {
    const said: Record<string, string[]> = {};
    const took: Record<string, string[]> = {};
    await withClient(url, (blocker) =>
      withClient(url, (runner) =>
        withClient(url, async (watcher) => {
          await watcher.query(NAMES);
          const pid = (await runner.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid;
          for (const [sql, table] of OUTSIDE_TRANSACTIONS) {
            await blocker.query(`BEGIN; LOCK TABLE ${table} IN SHARE UPDATE EXCLUSIVE MODE`);
            const done = runner.query(sql).catch(() => undefined);
            let waiting: { mode: LockMode } | undefined;
            for (let i = 0; i < 100 && !waiting; i++) {
              const locks = await watcher.query<{ granted: boolean }>("SELECT granted FROM pg_locks WHERE pid = $1 AND NOT granted", [pid]);
              if (locks.rows.length > 0) waiting = (await locksOf(watcher, pid)).get(table);
              else await new Promise((resolve) => setTimeout(resolve, 20));
            }
            await watcher.query("SELECT pg_cancel_backend($1)", [pid]);
            await done;
            await blocker.query("ROLLBACK");
            said[sql] = [`${table}: ${tableLocks(parsed(sql)).find((l) => l.table?.name === table)?.mode ?? "(none)"}`];
            took[sql] = [`${table}: ${waiting?.mode ?? "(no wait)"}`];
          }
        }),
      ),
    );
    expect(said).toEqual(took);
  });
});
