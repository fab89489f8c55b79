import * as zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli";
import { freshDatabase, migratorUrl, withClient } from "../helpers/database";
import { tempFolder, writeFiles } from "../helpers/project";

/**
 * `up` and `plan` on a database that another tool migrated and dbpipe has no history of (the built
 * CLI: `npm run build` first), as the role that runs migrations: refused before anything runs, with
 * `dbpipe adopt` and `--ignore-other-history` as the two ways on.
 */

const SEED = "CREATE TABLE IF NOT EXISTS settings (key text, value text);\nINSERT INTO settings VALUES ('theme', 'dark');\n";
const LATER = "ALTER TABLE settings ADD COLUMN updated_at timestamptz;\n";
const crc = (text: string) => zlib.crc32(Buffer.from(text.split("\n").join(""), "utf8")) | 0;
const FLYWAY_TABLE = `CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL CONSTRAINT flyway_schema_history_pk PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL,
  type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum INTEGER, installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT now(),
  execution_time INTEGER NOT NULL, success BOOLEAN NOT NULL)`;

const REFUSAL =
  "this database has Flyway's migration history (public.flyway_schema_history) but no dbpipe history (dbpipe.schema_migrations is missing or empty): " +
  "`up` would run every migration, those Flyway applied included. To take over Flyway's history, run `dbpipe adopt`, which records what Flyway applied, running nothing; " +
  "`up` then runs only the migrations added since. If that table is stale and every migration should run here, run `dbpipe up --ignore-other-history`.";

/** A database that Flyway migrated with sql/V1__seed.sql, as its migrator role; the project's folder is `sql/`. */
async function flywayDatabase(): Promise<{ url: string; project: string }> {
  const url = await migratorUrl(await freshDatabase("otherhist"), "Migr4tor-other-history");
  const project = tempFolder({ "sql/V1__seed.sql": SEED }, "dbpipe-project-");
  await withClient(url, async (c) => {
    await c.query(SEED);
    await c.query(FLYWAY_TABLE);
    await c.query(
      `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
       VALUES (1, '1', 'seed', 'SQL', 'V1__seed.sql', $1, 'deploy', 7, true)`,
      [crc(SEED)],
    );
  });
  return { url, project };
}

async function seedRows(url: string): Promise<number> {
  return withClient(url, async (c) => Number((await c.query("SELECT count(*) AS n FROM settings")).rows[0].n));
}

async function dbpipeSchema(url: string): Promise<boolean> {
  return withClient(url, async (c) => (await c.query("SELECT to_regnamespace('dbpipe') IS NOT NULL AS present")).rows[0].present);
}

describe("up and plan on a database another tool migrated", () => {
  it("up refuses (exit 2) before anything runs, naming the tool and the table, and says what to do", async () => {
    const { url, project } = await flywayDatabase();
    const up = await runCli(["up", "--dir", "sql", "--database-url", url], { cwd: project });
    expect(up.code).toBe(2);
    expect(up.stderr).toBe(`error: ${REFUSAL}\nNothing was applied.\n`);
    expect(up.stdout).not.toContain("✓");
    expect(await seedRows(url)).toBe(1);
    // Nothing was written: not even dbpipe's schema.
    expect(await dbpipeSchema(url)).toBe(false);

    const rehearsal = await runCli(["up", "--rehearse", "--dir", "sql", "--database-url", url], { cwd: project });
    expect(rehearsal.code).toBe(2);
    expect(rehearsal.stderr).toContain(REFUSAL);

    const json = await runCli(["up", "--json", "--dir", "sql", "--database-url", url], { cwd: project });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ applied: [], error: { message: `${REFUSAL}\nNothing was applied.` } });
    expect(await seedRows(url)).toBe(1);
  });

  it("plan says the same (exit 2), in text and in --json's problems; status says it too", async () => {
    const { url, project } = await flywayDatabase();
    const plan = await runCli(["plan", "--dir", "sql", "--database-url", url], { cwd: project });
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain(`1 migration: 1 pending.\n\n\`up\` would stop before applying anything:\n  ✗ ${REFUSAL}\n`);
    expect(plan.stdout).not.toContain("allowed");

    const json = await runCli(["plan", "--json", "--dir", "sql", "--database-url", url], { cwd: project });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).problems).toEqual([{ message: REFUSAL }]);

    const status = await runCli(["status", "--dir", "sql", "--database-url", url], { cwd: project });
    expect(status.code).toBe(2);
    expect(status.stdout).toContain(`  ✗ ${REFUSAL}`);
    const statusJson = await runCli(["status", "--json", "--dir", "sql", "--database-url", url], { cwd: project });
    expect(JSON.parse(statusJson.stdout).problems).toEqual([{ message: REFUSAL }]);
    expect(await dbpipeSchema(url)).toBe(false);
  });

  it("adopt takes the history over: up then runs only what is newer, and the seed runs once", async () => {
    const { url, project } = await flywayDatabase();
    expect((await runCli(["adopt", "--dir", "sql", "--database-url", url], { cwd: project })).code).toBe(0);
    writeFiles(project, { "sql/V2__later.sql": LATER });
    const plan = await runCli(["plan", "--dir", "sql", "--database-url", url], { cwd: project });
    expect(plan.code).toBe(0);
    const up = await runCli(["up", "--dir", "sql", "--database-url", url], { cwd: project });
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    expect(up.stdout).toContain("Applied 1 migration");
    expect(up.stdout).toContain("✓ 2 later");
    expect(await seedRows(url)).toBe(1);
  });

  it("--ignore-other-history plans and applies every migration: for a table that is stale", async () => {
    const { url, project } = await flywayDatabase();
    // Flyway's table stayed, what it applied did not (a database restored without the schema, say).
    await withClient(url, (c) => c.query("DROP TABLE settings"));
    const plan = await runCli(["plan", "--ignore-other-history", "--dir", "sql", "--database-url", url], { cwd: project });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("Stack dev (tier dev): allowed.");
    const up = await runCli(["up", "--ignore-other-history", "--json", "--dir", "sql", "--database-url", url], { cwd: project });
    expect(up.code).toBe(0);
    expect(JSON.parse(up.stdout).applied.map((a: { version: string }) => a.version)).toEqual(["1"]);
    expect(await seedRows(url)).toBe(1);
    // Once dbpipe has history, the other table no longer matters.
    const again = await runCli(["up", "--dir", "sql", "--database-url", url], { cwd: project });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Nothing to apply");
  });

  it("is refused with dbpipe's history table there but empty, as a first up that failed leaves it", async () => {
    const { url, project } = await flywayDatabase();
    await withClient(url, async (c) => {
      await c.query("DROP TABLE settings");
      await c.query("CREATE SCHEMA dbpipe");
      await c.query("CREATE TABLE dbpipe.schema_migrations (version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), applied_by text NOT NULL DEFAULT session_user, execution_ms integer NOT NULL DEFAULT 0, success boolean NOT NULL, kind text NOT NULL DEFAULT 'migrate', risk text, backup_ref text, error text)");
    });
    const up = await runCli(["up", "--dir", "sql", "--database-url", url], { cwd: project });
    expect(up.code).toBe(2);
    expect(up.stderr).toContain(REFUSAL);
    expect(await withClient(url, async (c) => (await c.query("SELECT to_regclass('settings') IS NULL AS gone")).rows[0].gone)).toBe(true);
  });

  it("finds the table in any schema, and with several tools says which to adopt with --from", async () => {
    const url = await migratorUrl(await freshDatabase("otherhist"), "Migr4tor-other-history");
    const project = tempFolder({ "migrations/0001_seed.sql": SEED }, "dbpipe-project-");
    await withClient(url, async (c) => {
      await c.query("CREATE SCHEMA meta; CREATE TABLE meta.alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY); INSERT INTO meta.alembic_version VALUES ('0001')");
    });
    const alembic = await runCli(["up", "--database-url", url], { cwd: project });
    expect(alembic.code).toBe(2);
    expect(alembic.stderr).toContain("error: this database has Alembic's migration history (meta.alembic_version) but no dbpipe history");

    await withClient(url, (c) => c.query(FLYWAY_TABLE));
    const both = await runCli(["plan", "--json", "--database-url", url], { cwd: project });
    expect(both.code).toBe(2);
    const [problem] = JSON.parse(both.stdout).problems as { message: string }[];
    expect(problem.message).toContain("the migration history of other tools (Alembic's meta.alembic_version, Flyway's public.flyway_schema_history)");
    expect(problem.message).toContain("run `dbpipe adopt --from alembic|flyway` for the tool whose history is current");
    expect(await dbpipeSchema(url)).toBe(false);
  });

  it("documents --ignore-other-history in up's and plan's --help", async () => {
    const project = tempFolder({}, "dbpipe-project-");
    const up = await runCli(["up", "--help"], { cwd: project });
    expect(up.stdout.replace(/\s+/g, " ")).toContain(
      "--ignore-other-history on a database with no dbpipe history, apply every migration even though another tool's history table (Flyway, Alembic, Prisma Migrate, Drizzle) is there",
    );
    const plan = await runCli(["plan", "--help"], { cwd: project });
    expect(plan.stdout.replace(/\s+/g, " ")).toContain("--ignore-other-history show what `dbpipe up --ignore-other-history` would do");
  });
});

