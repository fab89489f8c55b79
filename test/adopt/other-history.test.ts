import { describe, expect, it } from "vitest";
import { adoptHistory } from "../../src/adopt/adopt";
import type { OtherTool } from "../../src/adopt/other-history";
import { InputError } from "../../src/errors";
import { readHistory } from "../../src/migrate/history";
import { failure, freshDatabase, withClient } from "../helpers/database";
import { engineFor, tempFolder } from "../helpers/project";

/**
 * Reading another tool's history table: a table that is not that tool's, or holds what the tool
 * never writes, is invalid input (the CLI's exit 2) naming the table, never a database failure.
 */

const INIT = "CREATE TABLE customers (id bigint PRIMARY KEY);\n";

/** A database with `ddl` run in it, and a folder with one migration in `files`' layout. */
async function databaseWith(ddl: string, files: Record<string, string> = { "0001_init.sql": INIT }): Promise<{ url: string; dir: string }> {
  const url = await freshDatabase("adopt");
  await withClient(url, (c) => c.query(ddl));
  return { url, dir: tempFolder(files) };
}

/** The error adopting fails with, after checking that it is invalid input and that nothing was recorded. */
async function adoptFailure(db: { url: string; dir: string }, run: { from?: OtherTool; table?: string } = {}): Promise<string> {
  const error = await failure(adoptHistory(engineFor(db.dir, db.url), run));
  expect(error).toBeInstanceOf(InputError);
  expect(await withClient(db.url, readHistory)).toEqual([]);
  return error.message;
}

describe("a history table without the tool's columns", () => {
  it("Alembic's: names the table and the columns it lacks", async () => {
    const db = await databaseWith("CREATE TABLE alembic_version (rev text)");
    expect(await adoptFailure(db)).toBe(
      "public.alembic_version does not have Alembic's columns: version_num. Is it Alembic's history table? (--from and --table say which tool's table to read)",
    );
  });

  it("Prisma's, without migration_name", async () => {
    const db = await databaseWith(
      'CREATE TABLE "_prisma_migrations" (id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL, finished_at timestamptz, logs text, rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now())',
    );
    expect(await adoptFailure(db)).toMatch(/^public\._prisma_migrations does not have Prisma Migrate's columns: migration_name\. /);
  });

  it("Flyway's, whose installed_rank was dropped", async () => {
    const db = await databaseWith(
      `CREATE TABLE flyway_schema_history (installed_rank int, version varchar(50), description varchar(200) NOT NULL, type varchar(20) NOT NULL, script varchar(1000) NOT NULL,
        checksum integer, installed_by varchar(100) NOT NULL, installed_on timestamp NOT NULL DEFAULT now(), execution_time integer NOT NULL, success boolean NOT NULL);
       ALTER TABLE flyway_schema_history DROP COLUMN installed_rank`,
      { "V1__init.sql": INIT },
    );
    expect(await adoptFailure(db)).toMatch(/^public\.flyway_schema_history does not have Flyway's columns: installed_rank\. /);
  });

  it("another tool's table named with --table: every column the tool's has and it lacks", async () => {
    const db = await databaseWith("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('1a2b3c4d5e6f')");
    expect(await adoptFailure(db, { from: "flyway", table: "alembic_version" })).toMatch(
      /^public\.alembic_version does not have Flyway's columns: installed_rank, version, description, type, script, checksum, installed_by, installed_on, execution_time, success\. Is it Flyway's history table\?/,
    );
  });
});

describe("Drizzle's created_at", () => {
  /** Drizzle's table as drizzle-orm's PostgreSQL migrator creates it, but created_at of `type`, and two rows. */
  const drizzleTable = (type: string, values: [string, string]) =>
    `CREATE SCHEMA drizzle; CREATE TABLE drizzle.__drizzle_migrations (id serial PRIMARY KEY, hash text NOT NULL, created_at ${type});
     INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('abc', ${values[0]}), ('def', ${values[1]})`;
  const journal = JSON.stringify({ version: "7", dialect: "postgresql", entries: [{ idx: 0, version: "7", when: 1_700_000_000_000, tag: "0000_init", breakpoints: true }] });

  it("that is not a number: names the row, the column and what Drizzle writes there", async () => {
    const db = await databaseWith(drizzleTable("text", ["'1700000000000'", "'yesterday'"]), { "0000_init.sql": INIT, "meta/_journal.json": journal });
    expect(await adoptFailure(db)).toBe(
      "drizzle.__drizzle_migrations: created_at must be a whole number of milliseconds since 1970, the migration's journal `when`, as Drizzle writes it in a bigint column " +
        "(this table's created_at is text):\n  - row id 2: created_at is 'yesterday'",
    );
  });

  it("that is a timestamptz (no Drizzle migrator creates one): every row", async () => {
    const db = await databaseWith(drizzleTable("timestamptz", ["'2024-01-01 00:00:00+00'", "'2024-01-02 00:00:00+00'"]), { "0000_init.sql": INIT, "meta/_journal.json": journal });
    expect(await adoptFailure(db)).toMatch(
      /as Drizzle writes it in a bigint column \(this table's created_at is timestamp with time zone\):\n {2}- row id 1: created_at is '20\d\d-\d\d-\d\d [\d:]+[+-][\d:]+'\n {2}- row id 2: created_at is '20/,
    );
  });
});

describe("--table", () => {
  it("refuses a name of more than two parts, instead of dropping the third", async () => {
    const db = await databaseWith("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)");
    expect(await adoptFailure(db, { from: "alembic", table: "public.alembic_version.x" })).toBe(
      "--table public.alembic_version.x: expected [schema.]name, a table name with at most one dot between the schema and the table",
    );
  });

  it("refuses an empty part", async () => {
    const db = await databaseWith("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)");
    expect(await adoptFailure(db, { from: "alembic", table: "public." })).toMatch(/^--table public\.: expected \[schema\.\]name/);
  });
});
