import { describe, expect, it } from "vitest";
import { upMigrations } from "../../src/migrate/verbs/up";
import { downMigrations } from "../../src/migrate/verbs/down";
import { InputError } from "../../src/errors";
import { MigrationFailedError } from "../../src/migrate/sql-error";
import { TransactionControlError, withoutTransactionControl } from "../../src/migrate/transaction-control";
import { loadParser, parseSection } from "../../src/sql/parse";
import { outsideTransactionForm } from "../../src/sql/transactions";
import { freshDatabase, withClient, failure, publicTables as tables } from "../helpers/database";
import { engineFor, tempFolder } from "../helpers/project";

const FILE = "migrations/0001_x.sql";

async function refusal(sql: string): Promise<TransactionControlError> {
  try {
    await withoutTransactionControl({ text: sql, line: 1 }, FILE, "Nothing was applied.");
  } catch (error) {
    if (error instanceof TransactionControlError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

/** What `withoutTransactionControl` says of `sql`: the refused statement, or undefined when the file runs. */
async function refused(sql: string): Promise<string | undefined> {
  try {
    await withoutTransactionControl({ text: sql, line: 1 }, FILE, "Nothing was applied.");
    return undefined;
  } catch (error) {
    if (error instanceof TransactionControlError) return error.statement;
    throw error;
  }
}

/** Statements PostgreSQL refuses inside a transaction block, as the engine must (`{db}` is the database's name). */
const REFUSED_IN_A_BLOCK = [
  "CREATE INDEX CONCURRENTLY t_c ON t (v)",
  "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_c ON t (v)",
  "DROP INDEX CONCURRENTLY t_v",
  "DROP INDEX CONCURRENTLY IF EXISTS no_such_index",
  "REINDEX INDEX CONCURRENTLY t_v",
  "REINDEX TABLE CONCURRENTLY t",
  "REINDEX (CONCURRENTLY) TABLE t",
  "REINDEX (CONCURRENTLY true) TABLE t",
  "REINDEX (CONCURRENTLY on) TABLE t",
  "REINDEX (CONCURRENTLY 1) TABLE t",
  "REINDEX (CONCURRENTLY 'TRUE') TABLE t",
  "REINDEX (CONCURRENTLY false, CONCURRENTLY true) TABLE t",
  "REINDEX SCHEMA public",
  "REINDEX (CONCURRENTLY false) SCHEMA public",
  "REINDEX SCHEMA CONCURRENTLY public",
  "REINDEX DATABASE {db}",
  "REINDEX SYSTEM {db}",
  "ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY",
  "CREATE SCHEMA s CREATE TABLE x (v int) CREATE INDEX CONCURRENTLY x_v ON x (v)",
  "VACUUM",
  "VACUUM t",
  "VACUUM ANALYZE t",
  "VACUUM (ANALYZE) t",
  "VACUUM (FULL false) t",
  "CREATE DATABASE tx_never_made",
  "DROP DATABASE IF EXISTS tx_never_made",
  "DROP DATABASE tx_never_made WITH (FORCE)",
  "ALTER DATABASE {db} SET TABLESPACE pg_default",
  "ALTER DATABASE {db} WITH TABLESPACE pg_default",
  "CREATE TABLESPACE tx_never_made LOCATION '/nowhere'",
  "DROP TABLESPACE IF EXISTS tx_never_made",
  "ALTER SYSTEM SET work_mem = '8MB'",
  "ALTER SYSTEM RESET work_mem",
  "CLUSTER",
  "CLUSTER VERBOSE",
  "DISCARD ALL",
  "CREATE SUBSCRIPTION s9 CONNECTION 'dbname=nowhere' PUBLICATION pub",
  "CREATE SUBSCRIPTION s9 CONNECTION 'dbname=nowhere' PUBLICATION pub WITH (create_slot = true, connect = true)",
  "ALTER SUBSCRIPTION enabled REFRESH PUBLICATION",
  "ALTER SUBSCRIPTION enabled REFRESH PUBLICATION WITH (copy_data = false)",
  "ALTER SUBSCRIPTION enabled SET PUBLICATION pub",
  "ALTER SUBSCRIPTION enabled ADD PUBLICATION pub3 WITH (refresh = on)",
  "ALTER SUBSCRIPTION enabled DROP PUBLICATION pub2",
  "COMMIT PREPARED 'tx_never_prepared'",
  "ROLLBACK PREPARED 'tx_never_prepared'",
];

/** Their close relatives, which run in a transaction block (or fail for another reason): never refused. */
const RUN_IN_A_BLOCK = [
  "CREATE INDEX t_n ON t (v)",
  "CREATE UNIQUE INDEX t_u ON t (id, v)",
  "DROP INDEX t_v",
  "REINDEX TABLE t",
  "REINDEX INDEX t_v",
  "REINDEX (CONCURRENTLY false) TABLE t",
  "REINDEX (CONCURRENTLY off, VERBOSE) INDEX t_v",
  "REINDEX (CONCURRENTLY 0) TABLE t",
  "REINDEX (CONCURRENTLY true, CONCURRENTLY false) TABLE t",
  // Not a Boolean: PostgreSQL says so before anything else, and its own error is the better report.
  "REINDEX (CONCURRENTLY yes) TABLE t",
  "REINDEX (CONCURRENTLY 2) TABLE t",
  "ALTER TABLE p DETACH PARTITION p1",
  "ANALYZE",
  "ANALYZE t",
  "ALTER DATABASE {db} SET work_mem = '8MB'",
  "ALTER DATABASE {db} RESET ALL",
  "ALTER DATABASE {db} CONNECTION LIMIT 50",
  "ALTER TABLESPACE pg_default SET (seq_page_cost = 1)",
  "CLUSTER t",
  "CLUSTER t USING t_v",
  "DISCARD PLANS",
  "DISCARD TEMP",
  "DISCARD SEQUENCES",
  "CREATE SUBSCRIPTION s9 CONNECTION 'dbname=nowhere' PUBLICATION pub WITH (connect = false)",
  "CREATE SUBSCRIPTION s9 CONNECTION 'dbname=nowhere' PUBLICATION pub WITH (create_slot = false, connect = false)",
  "ALTER SUBSCRIPTION enabled SET PUBLICATION pub WITH (refresh = false)",
  "ALTER SUBSCRIPTION enabled DISABLE",
  "REFRESH MATERIALIZED VIEW CONCURRENTLY mv",
  "SELECT 'CREATE INDEX CONCURRENTLY x ON t (v); VACUUM'",
];

async function historyExists(url: string): Promise<boolean> {
  return withClient(url, async (c) => (await c.query("SELECT to_regclass('dbpipe.schema_migrations') IS NOT NULL AS t")).rows[0].t);
}

describe("withoutTransactionControl", () => {
  it("blanks a whole-file BEGIN/COMMIT wrapper, keeping every other character where it was", async () => {
    const sql = "-- sqitch-style\nBEGIN;\nCREATE TABLE a (id int);\nCOMMIT; -- done\n";
    const section = await withoutTransactionControl({ text: sql, line: 1 }, FILE, "");
    expect(section.text).toBe("-- sqitch-style\n     ;\nCREATE TABLE a (id int);\n      ; -- done\n");
    expect(section.text.length).toBe(sql.length);
    await loadParser();
    expect(parseSection(section, FILE).map((s) => [s.text, s.line, s.column])).toEqual([["CREATE TABLE a (id int)", 3, 1]]);
  });

  it("accepts START TRANSACTION ... END, in any case, and a wrapper over several lines", async () => {
    const sql = "start transaction;\ncreate table a (id int);\nend\n;";
    expect((await withoutTransactionControl({ text: sql, line: 5 }, FILE, "")).text).toBe("                 ;\ncreate table a (id int);\n   \n;");
  });

  it("leaves files without transaction control alone, and never mistakes PL/pgSQL blocks, CASE ... END or comments for it", async () => {
    const sql = [
      "-- commit to this schema; rollback plan: drop it",
      "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;",
      "DO $$ BEGIN PERFORM 1; END; $$;",
      "SELECT CASE WHEN true THEN 1 END AS prepare;",
      "SAVEPOINT s;",
      "ROLLBACK TO SAVEPOINT s;",
      "RELEASE s;",
    ].join("\n");
    const section = { text: sql, line: 1 };
    expect(await withoutTransactionControl(section, FILE, "")).toBe(section);
    // A BEGIN alone cannot end dbpipe's transaction (PostgreSQL only warns): not looked for.
    const begin = { text: "BEGIN;\nCREATE TABLE a (id int);", line: 1 };
    expect(await withoutTransactionControl(begin, FILE, "")).toBe(begin);
  });

  it("refuses a COMMIT in the middle, naming file, line, column and the statement", async () => {
    const error = await refusal("CREATE TABLE a (id int);\n  COMMIT;\nCREATE TABLE b (id int);\n");
    expect([error.file, error.line, error.column, error.statement]).toEqual([FILE, 2, 3, "COMMIT"]);
    expect(error.kind).toBe("invalid-input");
    expect(error.message).toMatchInlineSnapshot(
      `"migrations/0001_x.sql:2:3: \`COMMIT\` would end the transaction dbpipe runs this migration in: what comes before it would be committed apart from the migration's history row, and a later failure could not roll it back. Split the migration into separate files at this point, or mark the file \`-- dbpipe:no-transaction\` to run its statements one by one. (A file wrapped whole in a plain \`BEGIN; ... COMMIT;\` is fine: dbpipe runs it without those two statements.) Nothing was applied."`,
    );
  });

  it("refuses every other way of ending the transaction", async () => {
    const cases: [string, string][] = [
      ["CREATE TABLE a (id int);\nROLLBACK;", "ROLLBACK"],
      ["CREATE TABLE a (id int);\nabort;", "abort"],
      ["CREATE TABLE a (id int);\nEND;\nSELECT 1;", "END"],
      ["BEGIN;\nCREATE TABLE a (id int);\nPREPARE TRANSACTION 'x';", "PREPARE TRANSACTION 'x'"],
      ["BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\nBEGIN;\nCREATE TABLE b (id int);\nCOMMIT;", "COMMIT"],
      ["CREATE TABLE a (id int);\nBEGIN;\nCREATE TABLE b (id int);\nCOMMIT;", "COMMIT"],
      ["BEGIN;\nCREATE TABLE a (id int);\nCOMMIT AND CHAIN;", "COMMIT AND CHAIN"],
      // The wrapper's transaction modes would be lost by dropping it.
      ["BEGIN ISOLATION LEVEL SERIALIZABLE;\nCREATE TABLE a (id int);\nCOMMIT;", "COMMIT"],
    ];
    for (const [sql, statement] of cases) expect((await refusal(sql)).statement, sql).toBe(statement);
  });

  it("refuses a statement PostgreSQL cannot run inside a transaction block, naming file, line, column, the statement and the fix", async () => {
    const error = await refusal("CREATE TABLE a (id int);\n\n   CREATE INDEX CONCURRENTLY a_id\n     ON a (id);\nSELECT 1;");
    expect([error.file, error.line, error.column, error.statement]).toEqual([FILE, 3, 4, "CREATE INDEX CONCURRENTLY a_id ON a (id)"]);
    expect(error.kind).toBe("invalid-input");
    expect(error.message).toMatchInlineSnapshot(`"migrations/0001_x.sql:3:4: \`CREATE INDEX CONCURRENTLY a_id ON a (id)\` cannot run inside a transaction block: PostgreSQL refuses CREATE INDEX CONCURRENTLY in one, and dbpipe runs this migration in a transaction together with its history row. Add \`-- dbpipe:no-transaction\` as the file's first line, so that its statements run one by one outside a transaction; if the file holds other statements, move this one to a migration of its own first (a no-transaction migration that fails part way keeps what ran before the failure). Nothing was applied."`);
  });

  it("refuses every statement kind PostgreSQL refuses in a transaction block, wrapped in BEGIN ... COMMIT or not, and none of their relatives", async () => {
    // The statement as the error shows it: on one line, cut at 80 characters.
    const shown = (sql: string) => (sql.length > 80 ? `${sql.slice(0, 77)}...` : sql);
    for (const sql of REFUSED_IN_A_BLOCK.map((s) => s.replace("{db}", "app"))) {
      expect(await refused(`SELECT 1;\n${sql};`), sql).toBe(shown(sql));
      expect(await refused(`BEGIN;\n${sql};\nCOMMIT;`), sql).toBe(shown(sql));
    }
    for (const sql of RUN_IN_A_BLOCK.map((s) => s.replace("{db}", "app"))) expect(await refused(`SELECT 1;\n${sql};`), sql).toBeUndefined();
  });

  it("reports whichever comes first of a COMMIT and a statement that cannot run in a transaction block", async () => {
    expect(await refused("COMMIT;\nVACUUM;")).toBe("COMMIT");
    expect(await refused("VACUUM;\nCOMMIT;")).toBe("VACUUM");
  });

  it("lets the server report SQL the parser cannot read (nothing of a batch that does not parse runs)", async () => {
    const section = { text: "CREATE TABLE a (id int,, x int);\nCOMMIT;", line: 1 };
    expect(await withoutTransactionControl(section, FILE, "")).toBe(section);
  });
});

describe("transaction control on a real database", () => {
  it("refuses exactly what PostgreSQL refuses inside a transaction block", async () => {
    const url = await freshDatabase("tx_block");
    const db = new URL(url).pathname.slice(1);
    await withClient(url, async (c) => {
      await c.query("CREATE TABLE t (id int PRIMARY KEY, v int); CREATE INDEX t_v ON t (v); CLUSTER t USING t_v");
      await c.query("CREATE TABLE p (id int) PARTITION BY RANGE (id); CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10)");
      await c.query("CREATE MATERIALIZED VIEW mv AS SELECT 1 AS one; CREATE UNIQUE INDEX mv_one ON mv (one)");
      // A subscription that never connects, enabled so that REFRESH gets as far as the transaction check.
      await c.query("CREATE PUBLICATION pub FOR TABLE t; CREATE PUBLICATION pub2 FOR TABLE t; CREATE PUBLICATION pub3 FOR TABLE t");
      await c.query("CREATE SUBSCRIPTION enabled CONNECTION 'dbname=nowhere' PUBLICATION pub, pub2 WITH (connect = false)");
      await c.query("ALTER SUBSCRIPTION enabled ENABLE");
      try {
        const said: Record<string, string> = {};
        for (const sql of [...REFUSED_IN_A_BLOCK, ...RUN_IN_A_BLOCK]) {
          const statement = sql.replace("{db}", db);
          await c.query("BEGIN");
          said[sql] = await c.query(statement).then(
            () => "ran",
            (error: Error) => error.message,
          );
          await c.query("ROLLBACK");
        }
        const blocked = Object.keys(said).filter((sql) => /cannot run inside a transaction block/.test(said[sql]));
        expect(blocked).toEqual(REFUSED_IN_A_BLOCK);
        await loadParser();
        for (const sql of Object.keys(said)) {
          const [statement] = parseSection({ text: sql.replace("{db}", db), line: 1 }, FILE);
          expect(outsideTransactionForm(statement.node) !== undefined, `${sql}: ${said[sql]}`).toBe(blocked.includes(sql));
        }
      } finally {
        await c.query("ALTER SUBSCRIPTION enabled DISABLE");
        await c.query("ALTER SUBSCRIPTION enabled SET (slot_name = NONE)");
        await c.query("DROP SUBSCRIPTION enabled");
      }
    });
  });

  it("refuses a transactional CREATE INDEX CONCURRENTLY before anything runs, and applies it marked no-transaction", async () => {
    const good = {
      "0001_a.sql": "CREATE TABLE a (id int);",
      "0002_b.sql": "CREATE TABLE b (id int);\nCREATE INDEX b_id ON b (id);",
      "0003_c.sql": "CREATE TABLE c (id int);\nREINDEX (CONCURRENTLY false) TABLE c;",
    };
    const concurrent = "-- a comment first\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n";
    const url = await freshDatabase();
    const dir = tempFolder({ ...good, "0004_index.sql": concurrent });
    const error = await failure(upMigrations(engineFor(dir, url)));
    expect(error).toBeInstanceOf(TransactionControlError);
    expect(error.message).toMatch(/^0004_index\.sql:2:1: `CREATE INDEX CONCURRENTLY a_id ON a \(id\)` cannot run inside a transaction block/);
    expect(error.message).toContain("-- dbpipe:no-transaction");
    expect(error.message).toMatch(/Nothing was applied\.$/);
    expect(await tables(url)).toEqual([]);
    expect(await historyExists(url)).toBe(false);

    const rehearsal = await failure(upMigrations(engineFor(dir, url), { rehearse: true }));
    expect(rehearsal).toBeInstanceOf(TransactionControlError);
    expect(rehearsal.message).toMatch(/^0004_index\.sql:2:1: .*Nothing was rehearsed\.$/);

    const marked = tempFolder({ ...good, "0004_index.sql": `-- dbpipe:no-transaction\n${concurrent}` });
    const result = await upMigrations(engineFor(marked, url));
    expect(result.applied.map((a) => a.version)).toEqual(["0001", "0002", "0003", "0004"]);
    expect(await tables(url)).toEqual(["a", "b", "c"]);
    const indexes = await withClient(url, async (c) => (await c.query("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.indexname));
    expect(indexes).toEqual(["a_id", "b_id"]);
  });

  it("refuses a down part that cannot run in a transaction block before reverting anything", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({
      "0001_a.sql": "CREATE TABLE a (id int);\n-- dbpipe:down\nVACUUM a;\nDROP TABLE a;",
      "0002_b.sql": "CREATE TABLE b (id int);\n-- dbpipe:down\nDROP TABLE b;",
    });
    await upMigrations(engineFor(dir, url));
    const error = await failure(downMigrations(engineFor(dir, url), { all: true }));
    expect(error).toBeInstanceOf(TransactionControlError);
    expect(error.message).toMatch(/^0001_a\.sql:3:1: `VACUUM a` cannot run inside a transaction block.*Nothing was reverted\.$/);
    expect(await tables(url)).toEqual(["a", "b"]);
  });

  it("runs a BEGIN/COMMIT-wrapped file in the same transaction as its history row", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({
      "0001_wrapped.sql": "BEGIN;\nCREATE TABLE a AS SELECT (txid_current() % 4294967296)::text AS xid;\nCOMMIT;\n",
    });
    const result = await upMigrations(engineFor(dir, url));
    expect(result.applied.map((a) => a.version)).toEqual(["0001"]);
    const same = await withClient(url, async (c) => (await c.query("SELECT (SELECT xid FROM a) = (SELECT xmin::text FROM dbpipe.schema_migrations WHERE version = '0001') AS same")).rows[0].same);
    expect(same).toBe(true);
  });

  it("maps a failure in a wrapped file to its line and column", async () => {
    const url = await freshDatabase();
    // No position from the server: the failing statement is found by counting completed ones.
    const dir = tempFolder({ "0001_wrapped.sql": "BEGIN;\nCREATE TABLE a (id int PRIMARY KEY);\n\n  INSERT INTO a VALUES (1), (1);\nCOMMIT;\n" });
    const error = (await failure(upMigrations(engineFor(dir, url)))) as MigrationFailedError;
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect(error.code).toBe("23505");
    expect(error.position).toEqual({ line: 4, column: 3 });
    expect(error.message).toContain("0001_wrapped.sql:4:3: migration 0001 (wrapped) failed: duplicate key value");
    expect(await tables(url)).toEqual([]);

    const url2 = await freshDatabase();
    const typo = tempFolder({ "0002_typo.sql": "BEGIN;\nCREATE TABLE b (id int,, x int);\nCOMMIT;\n" });
    const syntax = await failure(upMigrations(engineFor(typo, url2)));
    expect(syntax).toBeInstanceOf(InputError);
    expect(syntax.message).toContain("0002_typo.sql:2:24: syntax error");
  });

  it("refuses a COMMIT inside a transactional file before anything runs, earlier migrations included", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({
      "0001_fine.sql": "CREATE TABLE fine (id int);",
      "0002_split.sql": "CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n",
    });
    const error = await failure(upMigrations(engineFor(dir, url)));
    expect(error).toBeInstanceOf(TransactionControlError);
    expect(error.message).toMatch(/^0002_split\.sql:2:1: `COMMIT` would end the transaction/);
    expect(error.message).toMatch(/Nothing was applied\.$/);
    expect(await tables(url)).toEqual([]);
    expect(await historyExists(url)).toBe(false);
  });

  it("runs a wrapped file as written when it is marked no-transaction", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({ "0001_own.sql": "-- dbpipe:no-transaction\nBEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n" });
    await upMigrations(engineFor(dir, url));
    expect(await tables(url)).toEqual(["a", "b"]);
  });

  it("rehearses a wrapped file without keeping anything, and refuses a COMMIT in the middle without running anything", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({ "0001_wrapped.sql": "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n", "0002_b.sql": "CREATE TABLE b (id int);" });
    const rehearsal = await upMigrations(engineFor(dir, url), { rehearse: true });
    expect(rehearsal.applied.map((a) => a.version)).toEqual(["0001", "0002"]);
    expect(await tables(url)).toEqual([]);

    const split = tempFolder({ "0001_a.sql": "CREATE TABLE a (id int);", "0002_split.sql": "CREATE TABLE b (id int);\nCOMMIT;\nCREATE TABLE c (id int);" });
    const error = await failure(upMigrations(engineFor(split, url), { rehearse: true }));
    expect(error).toBeInstanceOf(TransactionControlError);
    expect(error.message).toContain("0002_split.sql:2:1");
    expect(error.message).toMatch(/Nothing was rehearsed\.$/);
    expect(await tables(url)).toEqual([]);
  });
});
