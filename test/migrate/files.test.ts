import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { MigrationFilesError, checksumOf, loadMigrationFile, loadMigrations } from "../../src/migrate/files";
import { tempFolder } from "../helpers/project";

function load(files: Record<string, string>, layout?: "auto" | "dbpipe" | "plain" | "drizzle" | "prisma" | "flyway") {
  const dir = tempFolder(files);
  return loadMigrations(dir, { layout, displayBase: dir });
}

function problemsOf(files: Record<string, string>, layout?: "dbpipe" | "plain" | "flyway"): string {
  try {
    load(files, layout);
  } catch (error) {
    expect(error).toBeInstanceOf(MigrationFilesError);
    return (error as Error).message;
  }
  throw new Error("expected the files to be refused");
}

describe("loading migrations", () => {
  it("orders versions numerically, not as text", () => {
    const { migrations } = load({
      "10_ten.sql": "SELECT 10;",
      "2_two.sql": "SELECT 2;",
      "1_one.sql": "SELECT 1;",
    });
    expect(migrations.map((m) => m.version)).toEqual(["1", "2", "10"]);
  });

  it("reads timestamp versions and names", () => {
    const { migrations, layout } = load({ "20251106123000_create_products.sql": "CREATE TABLE p (id int);" });
    expect(layout).toBe("dbpipe");
    expect(migrations[0]).toMatchObject({ version: "20251106123000", name: "create_products", order: 20251106123000n, noTransaction: false });
  });

  it("splits the down part at -- dbpipe:down and keeps file line numbers", () => {
    const { migrations } = load({ "0001_a.sql": "-- up\nCREATE TABLE a (id int);\n-- dbpipe:down\nDROP TABLE a;\n" });
    expect(migrations[0].up).toEqual({ text: "-- up\nCREATE TABLE a (id int);", line: 1 });
    expect(migrations[0].down).toEqual({ text: "DROP TABLE a;\n", line: 4 });
  });

  it("marks a no-transaction file", () => {
    const { migrations } = load({ "0001_idx.sql": "-- dbpipe:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);" });
    expect(migrations[0].noTransaction).toBe(true);
  });

  it("gives CRLF and LF files the same checksum", () => {
    const lf = load({ "0001_a.sql": "CREATE TABLE a (id int);\nSELECT 1;\n" }).migrations[0];
    const crlf = load({ "0001_a.sql": "CREATE TABLE a (id int);\r\nSELECT 1;\r\n" }).migrations[0];
    expect(crlf.checksum).toBe(lf.checksum);
    expect(lf.checksum).toBe(checksumOf("CREATE TABLE a (id int);\nSELECT 1;\n"));
    expect(lf.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it("changes the checksum when the content changes", () => {
    const a = load({ "0001_a.sql": "CREATE TABLE a (id int);" }).migrations[0];
    const b = load({ "0001_a.sql": "CREATE TABLE a (id bigint);" }).migrations[0];
    expect(a.checksum).not.toBe(b.checksum);
  });

  it("reports every problem at once, each naming its file", () => {
    const message = problemsOf({
      "0001_a.sql": "SELECT 1;",
      "1_again.sql": "SELECT 2;",
      "create_things.sql": "SELECT 3;",
      "0003_empty.sql": "  -- nothing here\n/* nor here */\n",
      "0004_typo.sql": "-- dbpipe:no-transacton\nSELECT 4;",
      "README.md": "not a migration, ignored",
    });
    expect(message).toContain("4 problems with the migration files");
    expect(message).toContain("1_again.sql: duplicate version 1: 0001_a.sql has the same version");
    expect(message).toContain("create_things.sql: name does not parse as a migration: expected <version>_<name>.sql");
    expect(message).toContain("0003_empty.sql: is empty: a migration needs at least one statement");
    expect(message).toContain('0004_typo.sql:1: unknown directive "dbpipe:no-transacton"');
    expect(message).not.toContain("README.md");
  });

  it("refuses a file with nothing before its down part", () => {
    expect(problemsOf({ "0001_a.sql": "-- dbpipe:down\nDROP TABLE a;" })).toContain("0001_a.sql: has no SQL before -- dbpipe:down");
  });

  it("says so when the folder does not exist", () => {
    const dir = tempFolder();
    expect(() => loadMigrations(path.join(dir, "nope"), { displayBase: dir })).toThrow("nope: no such folder: create it, or point dbpipe at your migrations (dbpipe:migrationsDir in the stack file, or --dir)");
  });

  it("reads plain numbered SQL with dashes", () => {
    const { layout, migrations } = load({ "001-create-products-table.sql": "CREATE TABLE p (id int);", "002-add-index.sql": "CREATE INDEX ON p (id);" });
    expect(layout).toBe("plain");
    expect(migrations.map((m) => [m.version, m.name])).toEqual([
      ["001", "create-products-table"],
      ["002", "add-index"],
    ]);
  });

  it("reads Prisma's folders", () => {
    const { layout, migrations } = load({
      "migration_lock.toml": 'provider = "postgresql"\n',
      "20240101120000_init/migration.sql": '-- CreateTable\nCREATE TABLE "User" ("id" SERIAL NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));\n',
      "20240202120000_add_posts/migration.sql": 'CREATE TABLE "Post" ("id" SERIAL NOT NULL);\n',
    });
    expect(layout).toBe("prisma");
    expect(migrations.map((m) => [m.version, m.name, m.file])).toEqual([
      ["20240101120000", "init", path.join("20240101120000_init", "migration.sql")],
      ["20240202120000", "add_posts", path.join("20240202120000_add_posts", "migration.sql")],
    ]);
  });

  it("names a .sql file that a Prisma layout would never run, and a flat folder read as Prisma", () => {
    expect(problemsOf({ "20240101120000_init/migration.sql": "SELECT 1;", "hotfix.sql": "SELECT 2;" })).toContain(
      "hotfix.sql: is a .sql file beside Prisma migration folders, where Prisma never runs it",
    );
    const dir = tempFolder({ "0001_a.sql": "SELECT 1;" });
    expect(() => loadMigrations(dir, { layout: "prisma", displayBase: path.dirname(dir) })).toThrow(
      `${path.basename(dir)}: is read as the prisma layout (--layout, or dbpipe:migrationsLayout), but holds .sql files and no Prisma migration folder (<timestamp>_<name>/migration.sql): give its real layout (dbpipe, plain, drizzle or flyway), or leave the layout out to have it detected`,
    );
  });

  it("names a Prisma-like folder without migration.sql that auto-detect did not read as Prisma, instead of skipping it", () => {
    expect(problemsOf({ "0001_a.sql": "SELECT 1;", "20240101120000_init/README.md": "notes" })).toBe(
      "20240101120000_init: is a folder named like a Prisma migration (<timestamp>_<name>/) but holds no migration.sql, so it is not a migration: add its migration.sql, or remove the folder",
    );
    const dir = tempFolder({ "0001_a.sql": "SELECT 1;", "20240101120000_init/migration.sql": "SELECT 2;" });
    expect(() => loadMigrations(dir, { layout: "dbpipe", displayBase: dir })).toThrow(/20240101120000_init: is a Prisma migration folder in a folder read as the dbpipe layout, where it never runs: give the layout with --layout prisma/);
  });

  it("names a subfolder holding migrations that would never run, and leaves other subfolders alone", () => {
    const base = tempFolder({
      "db/0001_a.sql": "SELECT 1;",
      "db/2024/0002_b.sql": "SELECT 2;",
      "db/2024/q3/0003_c.sql": "SELECT 3;",
      "db/seeds/users.sql": "INSERT INTO u VALUES (1);",
      "db/notes/README.md": "notes",
    });
    expect(() => loadMigrations(path.join(base, "db"), { displayBase: base })).toThrow(
      new MigrationFilesError([
        {
          file: path.join("db", "2024"),
          message: `holds 2 files named like dbpipe migrations (${path.join("db", "2024", "0002_b.sql")}, …), which never run: dbpipe reads only the files directly in db. Move them up into that folder, or the folder out of it`,
        },
      ]),
    );
    const flyway = tempFolder({ "V1__init.sql": "SELECT 1;", "archive/V0__old.sql": "SELECT 0;" });
    expect(() => loadMigrations(flyway, { layout: "flyway", displayBase: path.dirname(flyway) })).toThrow(/archive: holds a file named like flyway migrations \(.*V0__old\.sql\), which never runs/);
    // A folder of seeds or notes beside the migrations is not theirs to judge.
    expect(load({ "0001_a.sql": "SELECT 1;", "seeds/users.sql": "SELECT 2;", "meta/notes.md": "x" }).migrations.map((m) => m.version)).toEqual(["0001"]);
  });

  it("reads Drizzle's files and checks them against its journal", () => {
    const journal = { version: "7", dialect: "postgresql", entries: [{ idx: 0, version: "7", when: 1, tag: "0000_clever_name", breakpoints: true }] };
    const ok = load({
      "meta/_journal.json": JSON.stringify(journal),
      "0000_clever_name.sql": 'CREATE TABLE "users" ("id" serial PRIMARY KEY);\n--> statement-breakpoint\nCREATE INDEX "i" ON "users" ("id");',
    });
    expect(ok.layout).toBe("drizzle");
    expect(ok.migrations[0]).toMatchObject({ version: "0000", name: "clever_name" });

    const message = problemsOf({
      "meta/_journal.json": JSON.stringify(journal),
      "0000_clever_name.sql": "SELECT 1;",
      "0001_stray.sql": "SELECT 2;",
    });
    expect(message).toContain("0001_stray.sql: is not in meta/_journal.json");
  });

  it("reads one file on its own, its version from its name", () => {
    const dir = tempFolder({ "0007_add_notes.sql": "ALTER TABLE t ADD COLUMN notes text;" });
    const m = loadMigrationFile(path.join(dir, "0007_add_notes.sql"), { displayBase: dir });
    expect(m).toMatchObject({ version: "0007", name: "add_notes", file: "0007_add_notes.sql" });
  });

  it("accepts the .sql extension in any case, in every layout", () => {
    const dbpipe = load({ "0003_a.sql": "SELECT 3;", "0004_x.SQL": "SELECT 4;", "0005_y.Sql": "SELECT 5;" });
    expect(dbpipe.layout).toBe("dbpipe");
    expect(dbpipe.migrations.map((m) => [m.version, m.name, m.file])).toEqual([
      ["0003", "a", "0003_a.sql"],
      ["0004", "x", "0004_x.SQL"],
      ["0005", "y", "0005_y.Sql"],
    ]);

    const plain = load({ "001-create-things.SQL": "SELECT 1;", "002_more.sql": "SELECT 2;" });
    expect(plain.layout).toBe("plain");
    expect(plain.migrations.map((m) => [m.version, m.name])).toEqual([
      ["001", "create-things"],
      ["002", "more"],
    ]);

    const journal = { entries: [{ idx: 0, tag: "0000_init" }] };
    const drizzle = load({ "meta/_journal.json": JSON.stringify(journal), "0000_init.SQL": "SELECT 1;" });
    expect(drizzle.layout).toBe("drizzle");
    expect(drizzle.migrations.map((m) => [m.version, m.name])).toEqual([["0000", "init"]]);

    const prisma = load({ "20240101120000_init/MIGRATION.SQL": "SELECT 1;" });
    expect(prisma.layout).toBe("prisma");
    expect(prisma.migrations.map((m) => [m.version, m.name, m.file])).toEqual([["20240101120000", "init", path.join("20240101120000_init", "MIGRATION.SQL")]]);

    const dir = tempFolder({ "0007_add_notes.SQL": "SELECT 7;" });
    expect(loadMigrationFile(path.join(dir, "0007_add_notes.SQL"), { displayBase: dir })).toMatchObject({ version: "0007", name: "add_notes" });
  });

  it("takes the layout when given instead of detecting it", () => {
    // A dash-named file is a problem for the dbpipe layout, which wants <version>_<name>.sql.
    expect(() => load({ "001-a.sql": "SELECT 1;" }, "dbpipe")).toThrow("001-a.sql: name does not parse as a migration");
  });
});

describe("detecting the layout", () => {
  const four = { "0001_wrapped.sql": "SELECT 1;", "0002_wrapped.sql": "SELECT 2;", "0003_wrapped.sql": "SELECT 3;", "0004_wrapped.sql": "SELECT 4;" };

  it("follows most of the files: a stray Flyway name is named, not the files that were right", () => {
    expect(problemsOf({ ...four, "V8__flyway_style.sql": "SELECT 8;" })).toBe(
      "V8__flyway_style.sql: is named for the flyway layout, but the folder's 4 other migrations (0001_wrapped.sql … 0004_wrapped.sql) are named for the dbpipe layout, which the folder is read as: rename it 0008_flyway_style.sql",
    );
  });

  it("names a stray dash name in a dbpipe folder instead of reading the folder as plain, and reads it as plain when told", () => {
    expect(problemsOf({ ...four, "0008-dash.sql": "SELECT 8;" })).toBe(
      "0008-dash.sql: is named for the plain layout, but the folder's 4 other migrations (0001_wrapped.sql … 0004_wrapped.sql) are named for the dbpipe layout, which the folder is read as: rename it 0008_dash.sql, or, if the folder is meant as the plain layout (which takes - and _ alike), give --layout plain (or dbpipe:migrationsLayout: plain)",
    );
    expect(load({ ...four, "0008-dash.sql": "SELECT 8;" }, "plain").migrations.map((m) => m.name)).toEqual(["wrapped", "wrapped", "wrapped", "wrapped", "dash"]);
  });

  it("names a stray numbered name in a Flyway folder, with its Flyway name", () => {
    expect(problemsOf({ "V1__a.sql": "SELECT 1;", "V2__b.sql": "SELECT 2;", "V3__c.sql": "SELECT 3;", "0004_d.sql": "SELECT 4;" })).toBe(
      "0004_d.sql: is named for the dbpipe layout, but the folder's 3 other migrations (V1__a.sql … V3__c.sql) are named for the flyway layout, which the folder is read as: rename it V4__d.sql",
    );
  });

  it("refuses a folder with as many files named for one layout as for another, naming both groups", () => {
    expect(problemsOf({ "V1__a.sql": "SELECT 1;", "V2__b.sql": "SELECT 2;", "0003_c.sql": "SELECT 3;", "0004_d.sql": "SELECT 4;" })).toMatch(
      /^[^\n]+: mixes two layouts, as many files named for each: 2 named for the flyway layout \(V1__a\.sql, V2__b\.sql\) and 2 named for the dbpipe layout \(0003_c\.sql, 0004_d\.sql\), so neither can be told to be the odd ones out: rename one group as the other is named, or give the layout with --layout \(or dbpipe:migrationsLayout\) to read the folder as that one$/,
    );
  });

  it("keeps reading every clean folder as the layout it was read as", () => {
    expect(load(four).layout).toBe("dbpipe");
    expect(load({ "001-a.sql": "SELECT 1;", "002-b.sql": "SELECT 2;", "003_c.sql": "SELECT 3;" }).layout).toBe("plain");
    expect(load({ "001-a.sql": "SELECT 1;", "002_b.sql": "SELECT 2;" }).layout).toBe("plain");
    expect(load({ "V1__init.sql": "SELECT 1;", "V2__more.sql": "SELECT 2;" }).layout).toBe("flyway");
    expect(load({ "20240101000000_a.sql": "SELECT 1;" }).layout).toBe("dbpipe");
    expect(load({}).layout).toBe("dbpipe");
  });

  it("lists the problems in the files' order, versions as numbers", () => {
    expect(problemsOf({ "10_b.sql": "\0", "9_a.sql": "\0", "2_c.sql": "SELECT 1;", "2_d.sql": "SELECT 2;" }).split("\n").slice(1)).toEqual([
      "  2_d.sql: duplicate version 2: 2_c.sql has the same version; give one of them a new, higher version",
      "  9_a.sql:1:1: holds a NUL byte, which PostgreSQL cannot take in SQL text: remove it",
      "  10_b.sql:1:1: holds a NUL byte, which PostgreSQL cannot take in SQL text: remove it",
    ]);
  });
});

describe("names", () => {
  it("refuses whitespace in dbpipe and plain names, with the name to use", () => {
    expect(problemsOf({ "0011_ok.sql": "SELECT 1;", "0012_has space.sql": "SELECT 2;" })).toBe(
      '0012_has space.sql: name "has space" holds whitespace, which dbpipe names do not (a file name with a space needs quoting in every shell and script, and the history records the name as it is): rename it 0012_has_space.sql',
    );
    expect(problemsOf({ "001-ok.sql": "SELECT 1;", "002-has space.sql": "SELECT 2;" })).toContain("002-has space.sql: name \"has space\" holds whitespace, which plain names do not");
    expect(problemsOf({ "001-ok.sql": "SELECT 1;", "002-has space.sql": "SELECT 2;" })).toContain("rename it 002-has-space.sql");
  });

  it("reads a Flyway description with spaces, as Flyway does (V2__Add a new table.sql)", () => {
    expect(load({ "V1__init.sql": "SELECT 1;", "V2__Add a new table.sql": "SELECT 2;" }).migrations.map((m) => [m.version, m.name])).toEqual([
      ["1", "init"],
      ["2", "Add a new table"],
    ]);
  });

  it("refuses a control character in any layout's name", () => {
    expect(problemsOf({ "0001_a\tb.sql": "SELECT 1;" })).toBe("0001_a\tb.sql: name holds a control character (U+0009), which a migration's name cannot: rename the file");
    expect(problemsOf({ "V1__a\tb.sql": "SELECT 1;" })).toContain("name holds a control character (U+0009)");
  });

  it("names what a lone file should be called in its folder's layout, or the one given", () => {
    const dbpipe = tempFolder({ "0001_a.sql": "SELECT 1;", "adhoc.sql": "SELECT 2;" });
    expect(() => loadMigrationFile(path.join(dbpipe, "adhoc.sql"), { displayBase: dbpipe })).toThrow(
      "adhoc.sql: name does not parse as a migration: expected <version>_<name>.sql, e.g. 0001_create_products.sql or 20251106123000_create_products.sql (the version is digits)",
    );
    expect(() => loadMigrationFile(path.join(dbpipe, "adhoc.sql"), { displayBase: dbpipe, layout: "flyway" })).toThrow("adhoc.sql: name does not parse as a migration: expected V<version>__<description>.sql");
    const flyway = tempFolder({ "V1__a.sql": "SELECT 1;", "V2__b.sql": "SELECT 2;" });
    expect(loadMigrationFile(path.join(flyway, "V2__b.sql"), { displayBase: flyway })).toMatchObject({ version: "2", name: "b" });
    const plain = tempFolder({ "001-a.sql": "SELECT 1;", "002-b.sql": "SELECT 2;" });
    expect(loadMigrationFile(path.join(plain, "002-b.sql"), { displayBase: plain })).toMatchObject({ version: "002", name: "b" });
  });
});
