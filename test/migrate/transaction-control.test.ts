import { describe, expect, it } from "vitest";
import { upMigrations } from "../../src/migrate/verbs/up";
import { InputError } from "../../src/errors";
import { MigrationFailedError } from "../../src/migrate/sql-error";
import { TransactionControlError, withoutTransactionControl } from "../../src/migrate/transaction-control";
import { loadParser, parseSection } from "../../src/sql/parse";
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

  it("lets the server report SQL the parser cannot read (nothing of a batch that does not parse runs)", async () => {
    const section = { text: "CREATE TABLE a (id int,, x int);\nCOMMIT;", line: 1 };
    expect(await withoutTransactionControl(section, FILE, "")).toBe(section);
  });
});

describe("transaction control on a real database", () => {
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
