import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../../../src/errors";
import { describe, expect, it } from "vitest";
import { repairHistory } from "../../../src/migrate/verbs/repair";
import { upMigrations } from "../../../src/migrate/verbs/up";
import { IntegrityError } from "../../../src/migrate/plan";
import { MigrationFailedError } from "../../../src/migrate/sql-error";
import { freshDatabase, withClient, failure, publicTables as tables } from "../../helpers/database";
import { engineFor, settingsFor, tempFolder, writeFiles } from "../../helpers/project";
import { CRM, historyRows } from "./fixtures";

describe("up", () => {
  it("applies pending migrations in order, records them, and a second run applies nothing", async () => {
    const url = await freshDatabase();
    const dir = tempFolder(CRM);
    const first = await upMigrations(engineFor(dir, url));
    expect(first.applied.map((a) => a.version)).toEqual(["0001", "0002", "0003"]);
    expect(await tables(url)).toEqual(["customers", "products"]);

    const rows = await historyRows(url);
    expect(rows.map((r) => [r.version, r.name, r.success, r.kind])).toEqual([
      ["0001", "customers", true, "migrate"],
      ["0002", "products", true, "migrate"],
      ["0003", "touch", true, "migrate"],
    ]);
    expect(rows[0].checksum).toBe(first.migrations[0].checksum);
    expect(rows.every((r) => typeof r.applied_by === "string" && r.applied_by.length > 0 && r.execution_ms >= 0)).toBe(true);

    const second = await upMigrations(engineFor(dir, url));
    expect(second.applied).toEqual([]);
    expect(second.plan.entries.map((e) => e.status)).toEqual(["applied", "applied", "applied"]);
  });

  it("records who applied from DBPIPE_APPLIED_BY", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({ "0001_a.sql": "CREATE TABLE a (id int);" });
    process.env.DBPIPE_APPLIED_BY = "ci:github-actions";
    try {
      await upMigrations(engineFor(dir, url));
    } finally {
      delete process.env.DBPIPE_APPLIED_BY;
    }
    expect((await historyRows(url))[0].applied_by).toBe("ci:github-actions");
  });

  it("records the login that applied, not the role it acts as (the Pulumi program's migrator runs as the owner)", async () => {
    const url = await freshDatabase();
    const suffix = Date.now();
    const [owner, migrator] = [`own_${suffix}`, `mig_${suffix}`];
    await withClient(url, (c) =>
      c.query(
        `CREATE ROLE ${owner}; CREATE ROLE ${migrator} LOGIN PASSWORD 'M1gratorPw' IN ROLE ${owner}; ALTER ROLE ${migrator} SET role = ${owner};` +
          ` GRANT CREATE ON DATABASE "${new URL(url).pathname.slice(1)}" TO ${owner}; GRANT CREATE ON SCHEMA public TO ${owner};`,
      ),
    );
    const asMigrator = new URL(url);
    asMigrator.username = migrator;
    asMigrator.password = "M1gratorPw";
    const dir = tempFolder({ "0001_a.sql": "CREATE TABLE a (id int);" });
    await upMigrations(engineFor(dir, asMigrator.toString()));
    expect((await historyRows(url))[0].applied_by).toBe(migrator);
    // It acted as the owner: the table is the owner's.
    await withClient(url, async (c) => expect((await c.query("SELECT tableowner FROM pg_tables WHERE tablename = 'a'")).rows[0].tableowner).toBe(owner));
  });

  it("stops at a failing statement, naming file, line, column, SQLSTATE, detail and hint; earlier migrations stay", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({
      ...CRM,
      "0004_bad.sql": "-- a comment\nCREATE TABLE orders (id int);\n\nINSERT INTO products VALUES (1, 'dup');\nCREATE TABLE never (id int);\n",
      "0005_after.sql": "CREATE TABLE after_bad (id int);",
    });
    const error = await failure(upMigrations(engineFor(dir, url)));
    expect(error).toBeInstanceOf(MigrationFailedError);
    const failed = error as MigrationFailedError;
    expect(failed.code).toBe("23505");
    expect(failed.position).toEqual({ line: 4, column: 1 });
    expect(failed.message).toContain("0004_bad.sql:4:1: migration 0004 (bad) failed: duplicate key value violates unique constraint \"products_pkey\" [SQLSTATE 23505]");
    expect(failed.message).toContain("  4 | INSERT INTO products VALUES (1, 'dup');\n    | ^");
    expect(failed.message).toContain("detail: Key (id)=(1) already exists.");
    expect(failed.message).toContain("rolled back");
    // 0001-0003 stay; nothing of 0004 (rolled back with its history row); 0005 never ran.
    expect(await tables(url)).toEqual(["customers", "products"]);
    expect((await historyRows(url)).map((r) => r.version)).toEqual(["0001", "0002", "0003"]);
  });

  it("reports a syntax error as invalid input at its line and column, as lint does", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({ "0001_typo.sql": "CREATE TABLE ok (id int);\nCREATE TABLE broken (id int,, name text);\n" });
    const error = await failure(upMigrations(engineFor(dir, url)));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain('0001_typo.sql:2:29: syntax error at or near ","');
    expect(await tables(url)).toEqual([]);
  });

  it("maps positions after multi-byte characters correctly", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({ "0001_utf8.sql": "COMMENT ON SCHEMA public IS 'café ☕';\nSELECT * FROM missing_table;\n" });
    const error = (await failure(upMigrations(engineFor(dir, url)))) as MigrationFailedError;
    expect(error.code).toBe("42P01");
    expect(error.position).toEqual({ line: 2, column: 15 });
  });

  it("keeps a trailing comment from swallowing the history row", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({ "0001_a.sql": "CREATE TABLE a (id int) -- no semicolon, comment last" });
    await upMigrations(engineFor(dir, url));
    expect((await historyRows(url)).map((r) => r.version)).toEqual(["0001"]);
  });

  it("does not let one migration's session settings leak into the next", async () => {
    const url = await freshDatabase();
    await withClient(url, (c) => c.query("CREATE SCHEMA elsewhere"));
    const dir = tempFolder({
      "0001_path.sql": "SET search_path = elsewhere;\nCREATE TABLE first_table (id int);",
      "0002_plain.sql": "CREATE TABLE second_table (id int);",
    });
    await upMigrations(engineFor(dir, url));
    const where = await withClient(url, async (c) => (await c.query("SELECT schemaname, tablename FROM pg_tables WHERE tablename LIKE '%_table' AND schemaname IN ('public', 'elsewhere') ORDER BY 2")).rows);
    expect(where).toEqual([
      { schemaname: "elsewhere", tablename: "first_table" },
      { schemaname: "public", tablename: "second_table" },
    ]);
  });

  it("applies the stack's lock_timeout and statement_timeout to each migration", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({ "0001_sleep.sql": "SELECT pg_sleep(2);" });
    const settings = settingsFor("dev", { statementTimeout: "200ms" });
    const error = (await failure(upMigrations(engineFor(dir, url, settings)))) as MigrationFailedError;
    expect(error.code).toBe("57014");
    expect(error.message).toContain("canceling statement due to statement timeout");

    const seen = tempFolder({ "0001_show.sql": "CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lock, current_setting('statement_timeout') AS stmt;" });
    const url2 = await freshDatabase();
    await upMigrations(engineFor(seen, url2, settingsFor("dev", { lockTimeout: "3s", statementTimeout: "1min" })));
    expect(await withClient(url2, async (c) => (await c.query("SELECT * FROM seen")).rows)).toEqual([{ lock: "3s", stmt: "1min" }]);
  });
});

describe("concurrent runners", () => {
  it("never applies a migration twice when two runs start together", async () => {
    const url = await freshDatabase();
    const files: Record<string, string> = {};
    for (let i = 1; i <= 8; i++) {
      files[`${String(i).padStart(4, "0")}_m${i}.sql`] = `CREATE TABLE t${i} (id int);\nINSERT INTO t${i} SELECT 1 FROM pg_sleep(0.05);`;
    }
    const dir = tempFolder(files);
    const [a, b] = await Promise.all([upMigrations(engineFor(dir, url)), upMigrations(engineFor(dir, url))]);
    // One run applied everything; the other waited for the lock, then found nothing pending.
    expect([a.applied.length, b.applied.length].sort()).toEqual([0, 8]);
    expect((await historyRows(url)).map((r) => r.version)).toEqual(Object.keys(files).map((f) => f.slice(0, 4)));
    for (let i = 1; i <= 8; i++) {
      expect(await withClient(url, async (c) => (await c.query(`SELECT count(*)::int AS n FROM t${i}`)).rows[0].n)).toBe(1);
    }
  });

  it("does not deadlock a CREATE INDEX CONCURRENTLY while another runner waits for the lock", async () => {
    // A waiting runner that kept a transaction open would block the index build, which waits for
    // every older transaction: PostgreSQL would then cancel one of them as a deadlock.
    const url = await freshDatabase();
    const dir = tempFolder({
      "0001_t.sql": "CREATE TABLE t (a int);\nINSERT INTO t SELECT g FROM generate_series(1, 1000) g;",
      "0002_slow.sql": "SELECT pg_sleep(0.3);",
      "0003_idx.sql": "-- dbpipe:no-transaction\nCREATE INDEX CONCURRENTLY t_a ON t (a);",
    });
    const results = await Promise.all([upMigrations(engineFor(dir, url)), upMigrations(engineFor(dir, url)), upMigrations(engineFor(dir, url))]);
    expect(results.map((r) => r.applied.length).sort()).toEqual([0, 0, 3]);
  });

  it("gives up after the stack's lock wait with a message naming the holder", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({ "0001_a.sql": "CREATE TABLE a (id int);" });
    await withClient(url, async (holder) => {
      await holder.query("SET application_name = 'other-runner'");
      await holder.query("SELECT pg_advisory_lock(7305147392751013421)");
      const error = await failure(upMigrations(engineFor(dir, url, settingsFor("dev", { lockWait: "300ms" }))));
      expect(error.message).toMatch(/^another dbpipe run holds the migration lock on this database \(server pid \d+, other-runner from 127\.0\.0\.1\) and did not finish within 300ms/);
    });
    expect(await tables(url)).toEqual([]);
  });
});

describe("no-transaction migrations", () => {
  it("runs CREATE INDEX CONCURRENTLY statement by statement", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({
      "0001_t.sql": "CREATE TABLE t (a int, b int);",
      "0002_idx.sql": "-- dbpipe:no-transaction\nCREATE INDEX CONCURRENTLY t_a ON t (a);\nCREATE INDEX CONCURRENTLY t_b ON t (b);\n",
    });
    await upMigrations(engineFor(dir, url));
    const indexes = await withClient(url, async (c) => (await c.query("SELECT indexname FROM pg_indexes WHERE tablename = 't' ORDER BY 1")).rows.map((r) => r.indexname));
    expect(indexes).toEqual(["t_a", "t_b"]);
    expect((await historyRows(url)).map((r) => [r.version, r.success])).toEqual([
      ["0001", true],
      ["0002", true],
    ]);
  });

  it("rolls back the transaction a no-transaction file opened itself when a statement in it fails, and records the statement's error, not an interrupted run", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({
      "0001_t.sql": "CREATE TABLE t (a int);",
      "0002_own.sql": "-- dbpipe:no-transaction\nCREATE TABLE kept (id int);\nBEGIN;\nCREATE TABLE gone (id int);\nCREATE INDEX CONCURRENTLY t_a ON t (a);\nCOMMIT;\n",
    });
    const error = (await failure(upMigrations(engineFor(dir, url)))) as MigrationFailedError;
    expect(error.position).toEqual({ line: 5, column: 1 });
    expect(error.message).toContain("CREATE INDEX CONCURRENTLY cannot run inside a transaction block");
    expect(error.message).toContain("Statement 1 had run and stays applied (the file's own transaction, from its BEGIN at statement 2, was rolled back with the failure); the migration is recorded as failed");
    const rows = await historyRows(url);
    expect(rows.map((r) => [r.version, r.success])).toEqual([
      ["0001", true],
      ["0002", false],
    ]);
    expect(rows[1].error).toBe("statement 4 of 5 (line 5) failed: CREATE INDEX CONCURRENTLY cannot run inside a transaction block [SQLSTATE 25001]");
    const tables = await withClient(url, async (c) => (await c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.tablename));
    expect(tables).toEqual(["kept", "t"]);
  });

  it("says of a failed record whose file is gone that repair clears it and nothing runs again", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({ "0001_t.sql": "CREATE TABLE t (a int);", "0002_bad.sql": "-- dbpipe:no-transaction\nCREATE TABLE u (a int);\nSELECT 1/0;\n" });
    await failure(upMigrations(engineFor(dir, url)));
    fs.rmSync(path.join(dir, "0002_bad.sql"));
    const refused = await failure(upMigrations(engineFor(dir, url)));
    expect(refused).toBeInstanceOf(IntegrityError);
    expect(refused.message).toContain("version 0002 (bad) failed on");
    expect(refused.message).toContain("to clear the failed record (its file is gone, so nothing runs again)");
    const changes = await repairHistory(engineFor(dir, url));
    expect(changes).toEqual([{ version: "0002", action: "removed-failed", description: "0002 (bad): failed record removed; its file is gone, so it will not run again" }]);
  });

  it("leaves a failed record until repair, and says which statement failed", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({
      "0001_t.sql": "CREATE TABLE t (a int);\nINSERT INTO t VALUES (1), (1);",
      "0002_idx.sql": "-- dbpipe:no-transaction\nCREATE INDEX CONCURRENTLY t_a ON t (a);\nCREATE UNIQUE INDEX CONCURRENTLY t_a_unique ON t (a);\n",
      "0003_later.sql": "CREATE TABLE later (id int);",
    });
    const error = (await failure(upMigrations(engineFor(dir, url)))) as MigrationFailedError;
    expect(error.position).toEqual({ line: 3, column: 1 });
    expect(error.message).toContain("0002_idx.sql:3:1: migration 0002 (idx) failed: could not create unique index");
    expect(error.message).toContain("Statement 1 had run and stays applied; the migration is recorded as failed");
    const rows = await historyRows(url);
    expect(rows.map((r) => [r.version, r.success])).toEqual([
      ["0001", true],
      ["0002", false],
    ]);
    expect(rows[1].error).toContain("statement 2 of 2 (line 3) failed");

    // The next run refuses until the history is repaired.
    const refused = await failure(upMigrations(engineFor(dir, url)));
    expect(refused).toBeInstanceOf(IntegrityError);
    expect(refused.message).toContain("0002_idx.sql failed on");
    expect(refused.message).toContain("dbpipe repair");

    // Fix the data and the half-built state by hand, repair, run again.
    await withClient(url, async (c) => {
      await c.query("DELETE FROM t WHERE ctid <> (SELECT min(ctid) FROM t)");
      await c.query("DROP INDEX IF EXISTS t_a_unique");
      await c.query("DROP INDEX t_a");
    });
    const changes = await repairHistory(engineFor(dir, url));
    expect(changes).toEqual([{ version: "0002", action: "removed-failed", description: "0002 (idx): failed record removed; the migration will run again" }]);
    const again = await upMigrations(engineFor(dir, url));
    expect(again.applied.map((a) => a.version)).toEqual(["0002", "0003"]);
  });
});

describe("rehearse", () => {
  it("runs pending migrations and rolls everything back, reporting what would fail", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({ "0001_a.sql": "CREATE TABLE a (id int);", "0002_b.sql": "CREATE TABLE b (id int);\nALTER TABLE a ADD COLUMN x int;" });
    const ok = await upMigrations(engineFor(dir, url), { rehearse: true });
    expect(ok.rehearsal).toBe(true);
    expect(ok.applied.map((a) => a.version)).toEqual(["0001", "0002"]);
    expect(await tables(url)).toEqual([]);
    expect(await withClient(url, async (c) => (await c.query("SELECT to_regclass('dbpipe.schema_migrations') AS t")).rows[0].t)).toBeNull();

    writeFiles(dir, { "0003_c.sql": "ALTER TABLE b ADD COLUMN y int;\nALTER TABLE nope ADD COLUMN z int;" });
    const error = (await failure(upMigrations(engineFor(dir, url), { rehearse: true }))) as MigrationFailedError;
    // No position from the server for this error: the failing statement's start is reported.
    expect(error.message).toContain('0003_c.sql:2:1: migration 0003 (c) failed: relation "nope" does not exist [SQLSTATE 42P01]');
    expect(error.message).toContain("This was a rehearsal");
    expect(await tables(url)).toEqual([]);
  });

  it("does not let one rehearsed migration's session settings carry into the next", async () => {
    const url = await freshDatabase();
    await withClient(url, (c) => c.query("CREATE SCHEMA elsewhere"));
    // In a real up, 0002 creates public.t; with 0001's search_path carried over it would collide.
    const dir = tempFolder({ "0001_path.sql": "SET search_path = elsewhere;\nCREATE TABLE t (id int);", "0002_plain.sql": "CREATE TABLE t (id int);" });
    const result = await upMigrations(engineFor(dir, url), { rehearse: true });
    expect(result.applied.map((a) => a.version)).toEqual(["0001", "0002"]);
    expect(await tables(url)).toEqual([]);
  });

  it("skips no-transaction migrations, saying why", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({ "0001_a.sql": "CREATE TABLE a (id int);", "0002_i.sql": "-- dbpipe:no-transaction\nCREATE INDEX CONCURRENTLY ai ON a (id);" });
    const result = await upMigrations(engineFor(dir, url), { rehearse: true });
    expect(result.applied.map((a) => a.version)).toEqual(["0001"]);
    expect(result.skipped).toEqual([{ version: "0002", reason: expect.stringContaining("cannot be rehearsed") }]);
  });
});
