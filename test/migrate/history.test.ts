import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { loadMigrations } from "../../src/migrate/files";
import type { CliRun } from "../helpers/cli";
import { runCliInProcess } from "../helpers/cli-in-process";
import { freshDatabase, withClient } from "../helpers/database";
import { tempFolder } from "../helpers/project";

/** The table that the database has before dbpipe knows it, made by hand. */
const BY_HAND = "CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL)";
const WHO = { DBPIPE_APPLIED_BY: "ci:baseline-rows" };

/** Every column of the history rows, with the server's clock around the command that wrote them. */
async function rowsWritten(url: string, command: () => Promise<CliRun>) {
  const now = async () => withClient(url, async (c) => (await c.query<{ now: Date }>("SELECT clock_timestamp() AS now")).rows[0].now);
  const before = await now();
  const run = await command();
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  const after = await now();
  const rows = await withClient(url, async (c) => (await c.query("SELECT * FROM dbpipe.schema_migrations ORDER BY version")).rows);
  for (const row of rows) {
    expect(row.applied_at.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(row.applied_at.getTime()).toBeLessThanOrEqual(after.getTime());
  }
  return rows.map(({ applied_at: _, ...rest }) => rest);
}

describe("a migration recorded as applied without running it", () => {
  it("gets the same history row from diff --mark-applied, baseline and adopt", async () => {
    const project = tempFolder({ "migrations/.keep": "" }, "dbpipe-project-");
    // diff --mark-applied writes the migration for what was made by hand and records it.
    const drafted = await freshDatabase("hist");
    await withClient(drafted, (c) => c.query(BY_HAND));
    const fromDiff = await rowsWritten(drafted, () =>
      runCliInProcess(["diff", "--name", "customers", "--mark-applied", "--database-url", drafted, "--scratch-url", inject("adminUrl")], { cwd: project, env: WHO }),
    );
    const file = loadMigrations(path.join(project, "migrations"), { layout: "dbpipe" }).migrations;
    expect(file.map((m) => m.file)).toEqual([path.join(project, "migrations", "0001_customers.sql")]);
    expect(fs.readFileSync(file[0].file, "utf8")).toContain("CREATE TABLE public.customers");

    // baseline, on a database that has the same table.
    const baselined = await freshDatabase("hist");
    await withClient(baselined, (c) => c.query(BY_HAND));
    const fromBaseline = await rowsWritten(baselined, () => runCliInProcess(["baseline", "--version", "0001", "--database-url", baselined], { cwd: project, env: WHO }));

    // adopt, on a database that Alembic migrated to revision 0001 (Alembic records neither who nor when).
    const adopted = await freshDatabase("hist");
    await withClient(adopted, async (c) => {
      await c.query(BY_HAND);
      await c.query("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)); INSERT INTO alembic_version VALUES ('0001')");
    });
    const fromAdopt = await rowsWritten(adopted, () => runCliInProcess(["adopt", "--database-url", adopted], { cwd: project, env: WHO }));

    const expected = [
      { version: "0001", name: "customers", checksum: file[0].checksum, applied_by: "ci:baseline-rows", execution_ms: 0, success: true, kind: "baseline", risk: null, backup_ref: null, error: null },
    ];
    expect(fromDiff).toEqual(expected);
    expect(fromBaseline).toEqual(expected);
    expect(fromAdopt).toEqual(expected);
  });

  it("keeps who applied it, when and how long it took where the other tool's history says (Flyway)", async () => {
    const project = tempFolder({ "migrations/V1__customers.sql": `${BY_HAND};\n` }, "dbpipe-project-");
    const [m] = loadMigrations(path.join(project, "migrations"), { layout: "flyway" }).migrations;
    const url = await freshDatabase("hist");
    await withClient(url, async (c) => {
      await c.query(BY_HAND);
      // Flyway's own table, filled as Flyway fills it; no checksum, so matched by version.
      await c.query(`CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL,
        script VARCHAR(1000) NOT NULL, checksum INTEGER, installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT now(), execution_time INTEGER NOT NULL, success BOOLEAN NOT NULL)`);
      await c.query("INSERT INTO flyway_schema_history VALUES (1, '1', 'customers', 'SQL', 'V1__customers.sql', NULL, 'flyway_admin', '2024-03-01 10:00:00', 42, true)");
    });
    const run = await runCliInProcess(["adopt", "--database-url", url], { cwd: project, env: WHO });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const rows = await withClient(url, async (c) => (await c.query("SELECT version, name, checksum, to_char(applied_at AT TIME ZONE current_setting('TimeZone'), 'YYYY-MM-DD HH24:MI') AS applied_at, applied_by, execution_ms, success, kind FROM dbpipe.schema_migrations")).rows);
    expect(rows).toEqual([{ version: "1", name: "customers", checksum: m.checksum, applied_at: "2024-03-01 10:00", applied_by: "flyway_admin", execution_ms: 42, success: true, kind: "baseline" }]);
  });
});

describe("a table named like dbpipe's history that is not dbpipe's", () => {
  it("is refused by every command that reads the history (exit 2), and nothing is written to it", async () => {
    const url = await freshDatabase();
    await withClient(url, (c) => c.query("CREATE SCHEMA dbpipe; CREATE TABLE dbpipe.schema_migrations (version int, foo text); INSERT INTO dbpipe.schema_migrations VALUES (1, 'x')"));
    const dir = tempFolder({ "migrations/0001_a.sql": "CREATE TABLE a (id int);\n" });
    for (const command of [["status"], ["up"], ["plan"], ["repair"], ["baseline", "--version", "0001"]]) {
      const run = await runCliInProcess([...command, "--database-url", url], { cwd: dir });
      expect({ command, code: run.code }).toEqual({ command, code: 2 });
      expect(run.stderr).toContain('error: dbpipe.schema_migrations is not dbpipe\'s history table (column "name" does not exist)');
    }
    await withClient(url, async (c) => {
      expect((await c.query("SELECT * FROM dbpipe.schema_migrations")).rows).toEqual([{ version: 1, foo: "x" }]);
      expect((await c.query("SELECT to_regclass('public.a') AS a")).rows[0].a).toBeNull();
    });
  });
});
