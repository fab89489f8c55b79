import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { MigrationFilesError, loadMigrations } from "../../src/migrate/files";
import { runCli } from "../helpers/cli";
import { freshDatabase, withClient } from "../helpers/database";
import { tempFolder } from "../helpers/project";

function refusal(dir: string): string {
  try {
    loadMigrations(dir, { displayBase: dir });
  } catch (error) {
    expect(error).toBeInstanceOf(MigrationFilesError);
    return (error as Error).message;
  }
  throw new Error("expected the files to be refused");
}
const refused = (files: Record<string, string | Buffer>) => {
  const dir = tempFolder();
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return { dir, message: refusal(dir) };
};

describe("directives", () => {
  it.each([
    ["CREATE TABLE a(i int);\n-- DBPIPE:DOWN\nDROP TABLE a;\n", 2, "-- dbpipe:down"],
    ["CREATE TABLE a(i int);\n-- dbpipe:Down\nDROP TABLE a;\n", 2, "-- dbpipe:down"],
    ["CREATE TABLE a(i int);\n/* dbpipe:down */\nDROP TABLE a;\n", 2, "-- dbpipe:down"],
    ["CREATE TABLE a(i int);\nSELECT 1; -- dbpipe:down\nDROP TABLE a;\n", 2, "-- dbpipe:down"],
    ["-- dbpipe:no_transaction\nCREATE INDEX CONCURRENTLY i ON t(x);\n", 1, "-- dbpipe:no-transaction"],
    ["CREATE TABLE a(i int);\n-- dbpipe: down\n", 2, "-- dbpipe:down"],
  ])("refuses the near-miss in %j naming file and line, with a did-you-mean", (sql, line, guess) => {
    const { message } = refused({ "0001_a.sql": sql });
    expect(message).toContain(`0001_a.sql:${line}:`);
    expect(message).toContain(`did you mean ${guess}`);
  });

  it("reads -- dbpipe:down inside a dollar-quoted body or a block comment as text", () => {
    const body = "CREATE FUNCTION f() RETURNS int AS $$\n-- dbpipe:down\nSELECT 1\n$$ LANGUAGE sql;\n/* note:\n-- dbpipe:down\n*/\nSELECT 'x\n-- dbpipe:down\n';\n";
    const dir = tempFolder({ "0001_f.sql": `${body}-- dbpipe:down\nDROP FUNCTION f();\n` });
    const [m] = loadMigrations(dir, { displayBase: dir }).migrations;
    expect(m.up.text).toBe(body.replace(/\n$/, ""));
    expect(m.down?.text.trim()).toBe("DROP FUNCTION f();");
  });

  it("up refuses `-- DBPIPE:DOWN` with exit 2 and runs nothing", async () => {
    const url = await freshDatabase();
    const project = tempFolder({ "d/0001_a.sql": "CREATE TABLE a(i int);\n-- DBPIPE:DOWN\nDROP TABLE a;\n" }, "dbpipe-project-");
    const result = await runCli(["up", "--dir", "d", "--database-url", url], { cwd: project });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("0001_a.sql:2:");
    expect(result.stderr).toContain("did you mean -- dbpipe:down");
    const tables = await withClient(url, (c) => c.query("SELECT to_regclass('public.a') AS a"));
    expect(tables.rows[0].a).toBeNull();
  });
});

describe("every problem of every file at once", () => {
  it("reports the encoding, NUL, directive and dbpipe:allow problems of every file together, in file order", () => {
    const { message } = refused({
      "0001_utf16.sql": Buffer.from("\uFEFFCREATE TABLE a (id int);\n", "utf16le"),
      "0002_nul.sql": "CREATE TABLE b (id int);\0\n",
      "0003_two_downs.sql": "CREATE TABLE c (id int);\n-- dbpipe:down\nDROP TABLE c;\n-- dbpipe:down\nDROP TABLE c;\n",
      "0004_allow_noreason.sql": "CREATE TABLE d (id int);\n-- dbpipe:allow drop-table\nDROP TABLE d;\n",
      "0005_allow_typo.sql": "CREATE TABLE e (id int);\n-- dbpipe:allow drop-tabel because\nDROP TABLE e;\n",
      "0006_allow_dangling.sql": "DROP TABLE f; -- dbpipe:allow drop-table it stands beside its statement\n-- dbpipe:allow drop-table but this one acknowledges nothing\n",
      "0007_ok.sql": "CREATE TABLE g (id int);\n",
    });
    expect(message).toMatchInlineSnapshot(`
      "6 problems with the migration files:
        0001_utf16.sql:1:1: is not valid UTF-8 (byte 0xff at byte 1): save it as UTF-8
        0002_nul.sql:1:25: holds a NUL byte, which PostgreSQL cannot take in SQL text: remove it
        0003_two_downs.sql:4: a second -- dbpipe:down (the first is on line 2)
        0004_allow_noreason.sql:2:1: dbpipe:allow drop-table needs a reason: -- dbpipe:allow drop-table <why this is safe here>
        0005_allow_typo.sql:2:1: dbpipe:allow names unknown rule "drop-tabel" (did you mean drop-table?); \`dbpipe lint\` prints rule ids beside each finding
        0006_allow_dangling.sql:2:1: dbpipe:allow is not followed by a statement: put it on the line before the statement it acknowledges"
    `);
  });

  it("reads dbpipe:allow where the linter does: before, inside or at the end of a statement, in a line or a block comment", () => {
    const dir = tempFolder({
      "0001_a.sql": "CREATE TABLE s (id int);\n/* dbpipe:allow drop-table sessions moved to Redis;\n   nothing reads this table */\nDROP TABLE s;\n",
      "0002_b.sql": "CREATE TABLE t (id int,\n  -- dbpipe:allow not-null-column-without-default the table is empty\n  n int NOT NULL);\nDROP TABLE t; -- dbpipe:allow drop-table made above\n",
      "0003_c.sql": "SELECT 1;\n-- dbpipe:down\n-- only the up part's directives are read\n",
    });
    expect(loadMigrations(dir, { displayBase: dir }).migrations.map((m) => m.version)).toEqual(["0001", "0002", "0003"]);
    // The same words in a string, a dollar-quoted body or a block comment are no directive.
    expect(loadMigrations(tempFolder({ "0001_a.sql": "SELECT '-- dbpipe:allow drop-tabel';\nDO $$ BEGIN -- dbpipe:allow x\nEND $$;\n/* -- dbpipe:allow y */ SELECT 2;\n" })).migrations).toHaveLength(1);
  });
});

describe("text that is not what it seems", () => {
  it("refuses invalid UTF-8 naming line and column, even beside a real U+FFFD", () => {
    const { message } = refused({ "0001_a.sql": Buffer.concat([Buffer.from("SELECT '\uFFFD';\nSELECT 'ab"), Buffer.from([0xff]), Buffer.from("';\n")]) });
    expect(message).toMatch(/0001_a\.sql:2:11: is not valid UTF-8/);
  });

  it("accepts a literal U+FFFD written on purpose", () => {
    const dir = tempFolder({ "0001_a.sql": "SELECT '\uFFFD';\n" });
    expect(loadMigrations(dir, { displayBase: dir }).migrations).toHaveLength(1);
  });

  it("refuses a NUL byte naming line and column", () => {
    const { message } = refused({ "0001_a.sql": "SELECT 1;\nSELECT 'a\0';\n" });
    expect(message).toMatch(/0001_a\.sql:2:10: holds a NUL byte/);
  });

  it.each(["\u00a0\u2003\n", "\x0b\x0c\n"])("refuses a file of only whitespace %j as empty, in lint as in up", async (content) => {
    expect(refused({ "0001_a.sql": content }).message).toContain("is empty");
    const project = tempFolder({ "d/0001_a.sql": content }, "dbpipe-project-");
    const lint = await runCli(["lint", "d"], { cwd: project });
    expect(lint.code).toBe(2);
    expect(lint.stderr).toContain("is empty");
  });
});

describe("files that are not plain files", () => {
  const cases: [string, (dir: string) => void, string, RegExp][] = [
    ["a dangling symlink", (d) => fs.symlinkSync("nowhere.sql", path.join(d, "0002_x.sql")), "0002_x.sql", /does not exist/],
    ["a symlink loop", (d) => fs.symlinkSync("0002_x.sql", path.join(d, "0002_x.sql")), "0002_x.sql", /loops/],
    ["a directory", (d) => fs.mkdirSync(path.join(d, "0002_x.sql")), "0002_x.sql", /is a folder/],
    ["a symlink to a directory", (d) => (fs.mkdirSync(path.join(d, "sub")), fs.symlinkSync("sub", path.join(d, "0002_x.sql"))), "0002_x.sql", /symbolic link to a folder/],
    ["a FIFO", (d) => execFileSync("mkfifo", [path.join(d, "0002_x.sql")]), "0002_x.sql", /named pipe/],
  ];
  it.each(cases)("refuses %s naming the path", (_what, make, name, why) => {
    const dir = tempFolder({ "0001_a.sql": "SELECT 1;\n" });
    make(dir);
    const message = refusal(dir);
    expect(message).toContain(name);
    expect(message).toMatch(why);
  });

  it.each(["null", "[]", '{"entries":5}'])("refuses a Drizzle journal %s as not a journal", (journal) => {
    const { message } = refused({ "0000_a.sql": "SELECT 1;\n", "meta/_journal.json": journal });
    expect(message).toContain("_journal.json: is not a Drizzle journal");
  });

  it("lint exits 2 for a dangling symlink", async () => {
    const project = tempFolder({ "d/0001_a.sql": "SELECT 1;\n" }, "dbpipe-project-");
    fs.symlinkSync("nowhere.sql", path.join(project, "d", "0002_x.sql"));
    const lint = await runCli(["lint", "d"], { cwd: project });
    expect(lint.code).toBe(2);
    expect(lint.stderr).toContain("0002_x.sql");
    expect(lint.stderr).not.toContain("bug in dbpipe");
  });

  const folders: [string, (at: string) => void, RegExp][] = [
    ["a symlink loop", (at) => fs.symlinkSync(path.basename(at), at), /: is a symbolic link that loops back on itself: fix or remove the link$/],
    ["a dangling symlink", (at) => fs.symlinkSync("nowhere", at), /: is a symbolic link to nowhere, which does not exist: fix or remove the link$/],
    ["a FIFO", (at) => execFileSync("mkfifo", [at]), /: is a named pipe, not a folder of migrations$/],
    ["a file", (at) => fs.writeFileSync(at, "SELECT 1;\n"), /: is a file, not a folder of migrations$/],
    ["a symlink to a file", (at) => (fs.writeFileSync(`${at}.sql`, "SELECT 1;\n"), fs.symlinkSync(`${path.basename(at)}.sql`, at)), /: is a symbolic link to a file, not a folder of migrations$/],
    ["missing", () => undefined, /: no such folder: create it, or point dbpipe at your migrations \(dbpipe:migrationsDir in the stack file, or --dir\)$/],
  ];
  it.each(folders)("refuses a migrations folder that is %s, naming it", (_what, make, why) => {
    const dir = tempFolder();
    const at = path.join(dir, "migrations");
    make(at);
    let message = "";
    try {
      loadMigrations(at, { displayBase: dir });
    } catch (error) {
      expect(error).toBeInstanceOf(MigrationFilesError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/^migrations: /);
    expect(message).toMatch(why);
  });

  it.each([["up"], ["status"], ["down", "--to", "0"]])("%s --dir on a missing folder refuses it before the embedded server starts", async (...command) => {
    const project = tempFolder({ "d/0001_a.sql": "SELECT 1;\n" }, "dbpipe-project-");
    const run = await runCli([...command, "--dir", "nosuch"], { cwd: project });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("nosuch: no such folder");
    expect(fs.existsSync(path.join(project, ".dbpipe")), "the embedded server's folder").toBe(false);
  });

  it.each([["up"], ["plan"], ["baseline", "--version", "1"]])("%s refuses a bad file before the embedded server starts", async (...command) => {
    const project = tempFolder({ "migrations/0001_a.sql": "SELECT 1;\n", "migrations/0002_b.sql": "SELECT 1;\n-- dbpipe:Down\nSELECT 2;\n" }, "dbpipe-project-");
    const run = await runCli(command, { cwd: project });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("migrations/0002_b.sql:2:");
    expect(run.stderr).toContain("did you mean -- dbpipe:down");
    expect(fs.existsSync(path.join(project, ".dbpipe")), "the embedded server's folder").toBe(false);
  });

  it("plan --dir on a symlink loop names it: exit 2, never a database failure", async () => {
    const project = tempFolder({ "d/0001_a.sql": "SELECT 1;\n" }, "dbpipe-project-");
    fs.symlinkSync("loop", path.join(project, "loop"));
    const plan = await runCli(["plan", "--dir", "loop", "--database-url", "postgres://nobody@127.0.0.1:9/none"], { cwd: project });
    expect(plan.code).toBe(2);
    expect(plan.stderr).toContain("loop: is a symbolic link that loops back on itself");
    expect(plan.stderr).not.toMatch(/database|bug in dbpipe|ELOOP/);
  });

  const targets: [string, (dir: string) => void, string, RegExp][] = [
    ["a symlink loop", (d) => fs.symlinkSync("0002_x.sql", path.join(d, "0002_x.sql")), "0002_x.sql", /loops back on itself/],
    ["a dangling symlink", (d) => fs.symlinkSync("nowhere.sql", path.join(d, "0002_x.sql")), "0002_x.sql", /symbolic link to nowhere\.sql, which does not exist/],
    ["a dangling symlink without .sql", (d) => fs.symlinkSync("nowhere", path.join(d, "more")), "more", /symbolic link to nowhere, which does not exist/],
    ["a FIFO (reading it would hang)", (d) => execFileSync("mkfifo", [path.join(d, "0002_x.sql")]), "0002_x.sql", /is a named pipe, not a plain file/],
    ["a missing .sql file", () => undefined, "0002_x.sql", /0002_x\.sql: no such file$/m],
    ["a missing folder", () => undefined, "more", /more: no such folder/],
  ];
  it.each(targets)("lint given %s as its target names it: exit 2, never a database failure", async (_what, make, name, why) => {
    const project = tempFolder({ "d/0001_a.sql": "SELECT 1;\n" }, "dbpipe-project-");
    make(path.join(project, "d"));
    const lint = await runCli(["lint", path.join("d", name)], { cwd: project });
    expect(lint.code).toBe(2);
    expect(lint.stderr).toContain(`d/${name}`);
    expect(lint.stderr).toMatch(why);
    expect(lint.stderr).not.toMatch(/database|bug in dbpipe|ELOOP/);
  });
});
