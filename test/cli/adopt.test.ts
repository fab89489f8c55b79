import * as zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli";
import { freshDatabase, publicTables, withClient } from "../helpers/database";
import { tempFolder, writeFiles } from "../helpers/project";

const INIT = "CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);\n";
const EMAIL = "ALTER TABLE customers ADD COLUMN email text;\n";
const ORDERS = "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));\n";
const crc = (text: string) => zlib.crc32(Buffer.from(text.split("\n").join(""), "utf8")) | 0;

/** A Flyway-migrated database and its project (Flyway's V<n>__ layout). */
async function flywayProject(): Promise<{ url: string; project: string }> {
  const url = await freshDatabase("adoptcli");
  const project = tempFolder({ "migrations/V1__init.sql": INIT, "migrations/V2__add_email.sql": EMAIL }, "dbpipe-project-");
  await withClient(url, async (c) => {
    await c.query(INIT + EMAIL);
    await c.query(`CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL CONSTRAINT flyway_schema_history_pk PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL,
      type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum INTEGER, installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT now(),
      execution_time INTEGER NOT NULL, success BOOLEAN NOT NULL)`);
    await c.query(
      `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES
       (1, '1', 'init', 'SQL', 'V1__init.sql', $1, 'deploy', 10, true), (2, '2', 'add email', 'SQL', 'V2__add_email.sql', $2, 'deploy', 4, true)`,
      [crc(INIT), crc(EMAIL)],
    );
  });
  return { url, project };
}

describe("dbpipe adopt", () => {
  it("lists what it recorded, and `up` then has nothing to run", async () => {
    const { url, project } = await flywayProject();
    const adopt = await runCli(["adopt", "--database-url", url], { cwd: project });
    expect(adopt.stderr).toBe("");
    expect(adopt.code).toBe(0);
    expect(adopt.stdout).toContain("Flyway's history in public.flyway_schema_history");
    expect(adopt.stdout).toContain("flyway layout");
    expect(adopt.stdout).toContain("✓ 1 init recorded, not run (Flyway's checksum matches)");
    expect(adopt.stdout).toContain("✓ 2 add_email recorded, not run (Flyway's checksum matches)");
    expect(adopt.stdout).toContain("Adopted 2 migrations from Flyway");
    const up = await runCli(["up", "--database-url", url], { cwd: project });
    expect(up.code).toBe(0);
    expect(up.stdout).toContain("Nothing to apply");
  });

  it("--json lists the recorded migrations; --dry-run writes nothing", async () => {
    const { url, project } = await flywayProject();
    const dry = await runCli(["adopt", "--dry-run", "--json", "--database-url", url], { cwd: project });
    expect(dry.code).toBe(0);
    const report = JSON.parse(dry.stdout);
    expect(report).toMatchObject({ tool: "flyway", dryRun: true, table: "public.flyway_schema_history" });
    expect(report.recorded.map((r: { version: string; matchedBy: string }) => [r.version, r.matchedBy])).toEqual([
      ["1", "checksum"],
      ["2", "checksum"],
    ]);
    const status = await runCli(["status", "--json", "--database-url", url], { cwd: project });
    expect(JSON.parse(status.stdout).migrations.map((m: { status: string }) => m.status)).toEqual(["pending", "pending"]);
  });

  it("leaves a file Flyway never applied after the newest one pending, says so (text, --json, --dry-run), and `up` applies only it", async () => {
    const { url, project } = await flywayProject();
    writeFiles(project, { "migrations/V3__orders.sql": ORDERS });
    const dry = await runCli(["adopt", "--dry-run", "--database-url", url], { cwd: project });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("left pending: 1 file Flyway never applied — `dbpipe up` applies it: migrations/V3__orders.sql");
    expect(dry.stdout).toContain("Would adopt 2 migrations from Flyway, leaving 1 pending; nothing was written");
    const dryJson = JSON.parse((await runCli(["adopt", "--dry-run", "--json", "--database-url", url], { cwd: project })).stdout);
    expect(dryJson).toMatchObject({ dryRun: true, pending: [{ version: "3", name: "orders", file: "migrations/V3__orders.sql" }] });
    expect(await withClient(url, (c) => c.query("SELECT to_regclass('dbpipe.schema_migrations') AS t"))).toMatchObject({ rows: [{ t: null }] });

    const adopt = await runCli(["adopt", "--json", "--database-url", url], { cwd: project });
    expect(adopt.stderr).toBe("");
    expect(adopt.code).toBe(0);
    const report = JSON.parse(adopt.stdout);
    expect(report).toMatchObject({ tool: "flyway", dryRun: false, pending: [{ version: "3", name: "orders", file: "migrations/V3__orders.sql" }] });
    expect(report.recorded.map((r: { version: string }) => r.version)).toEqual(["1", "2"]);

    const status = await runCli(["status", "--json", "--database-url", url], { cwd: project });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).migrations.map((m: { version: string; status: string }) => [m.version, m.status])).toEqual([
      ["1", "applied"],
      ["2", "applied"],
      ["3", "pending"],
    ]);
    const up = await runCli(["up", "--database-url", url], { cwd: project });
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    expect(up.stdout).toContain("orders");
    expect(await publicTables(url)).toContain("orders");
    const rows = await withClient(url, async (c) => (await c.query("SELECT version, kind FROM dbpipe.schema_migrations ORDER BY version::bigint")).rows);
    expect(rows).toEqual([
      { version: "1", kind: "baseline" },
      { version: "2", kind: "baseline" },
      { version: "3", kind: "migrate" },
    ]);
    const again = await runCli(["up", "--database-url", url], { cwd: project });
    expect(again.stdout).toContain("Nothing to apply");
  });

  it("text output of an adopt that leaves files pending", async () => {
    const { url, project } = await flywayProject();
    writeFiles(project, { "migrations/V3__orders.sql": ORDERS, "migrations/V4__phone.sql": "ALTER TABLE customers ADD COLUMN phone text;\n" });
    const adopt = await runCli(["adopt", "--database-url", url], { cwd: project });
    expect(adopt.code).toBe(0);
    expect(adopt.stdout).toContain("left pending: 2 files Flyway never applied — `dbpipe up` applies them: migrations/V3__orders.sql, migrations/V4__phone.sql");
    expect(adopt.stdout).toContain("Adopted 2 migrations from Flyway: `dbpipe up` runs the 2 files left pending and any added later.");
  });

  it("names the first ten files left pending in text, and every one in --json", async () => {
    const { url, project } = await flywayProject();
    const later = Array.from({ length: 12 }, (_, i) => i + 3);
    writeFiles(project, Object.fromEntries(later.map((v) => [`migrations/V${v}__t${v}.sql`, `CREATE TABLE t${v} (id int);\n`])));
    const adopt = await runCli(["adopt", "--dry-run", "--database-url", url], { cwd: project });
    expect(adopt.code).toBe(0);
    const line = adopt.stdout.split("\n").find((l) => l.startsWith("left pending: "));
    expect(line).toBe(`left pending: 12 files Flyway never applied — \`dbpipe up\` applies them: ${later.slice(0, 10).map((v) => `migrations/V${v}__t${v}.sql`).join(", ")} and 2 more (dbpipe status lists them)`);
    const json = await runCli(["adopt", "--dry-run", "--json", "--database-url", url], { cwd: project });
    expect(JSON.parse(json.stdout).pending.map((m: { version: string }) => m.version)).toEqual(later.map(String));
  });

  it("exits 2, recording nothing, for a file older than the newest one Flyway applied that it never applied", async () => {
    const { url, project } = await flywayProject();
    writeFiles(project, { "migrations/V3__orders.sql": ORDERS });
    await withClient(url, (c) => c.query("DELETE FROM flyway_schema_history WHERE version = '1'"));
    const gap =
      "  - migrations/V1__init.sql: Flyway never applied it, yet it is older than migrations/V2__add_email.sql (version 2), the newest migration Flyway applied: Flyway skipped it, or the file was added out of order. " +
      "Apply it with Flyway first, or rename it to a version above 2 so that `dbpipe up` applies it after the adopted ones; then run adopt again";
    for (const args of [["adopt"], ["adopt", "--dry-run"]]) {
      const refused = await runCli([...args, "--database-url", url], { cwd: project });
      expect(refused.code).toBe(2);
      expect(refused.stdout).toBe("");
      expect(refused.stderr).toContain("error: Flyway's history (public.flyway_schema_history) and the migration files disagree; nothing was recorded:\n" + gap + "\n");
      expect(refused.stderr).not.toContain("V3__orders");
    }
    const json = await runCli(["adopt", "--json", "--database-url", url], { cwd: project });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ exitCode: 2, error: { message: expect.stringContaining(gap) } });
    expect(await withClient(url, (c) => c.query("SELECT to_regclass('dbpipe.schema_migrations') AS t"))).toMatchObject({ rows: [{ t: null }] });
  });

  it("exits 2 naming what disagrees; 2 when no other tool's table; 3 when the database is unreachable", async () => {
    const { url, project } = await flywayProject();
    await withClient(url, (c) => c.query("UPDATE flyway_schema_history SET checksum = checksum + 1 WHERE version = '2'"));
    const refused = await runCli(["adopt", "--database-url", url], { cwd: project });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/error: Flyway's history \(public\.flyway_schema_history\) and the migration files disagree; nothing was recorded:\n {2}- migrations\/V2__add_email\.sql: differs from what Flyway applied/);
    expect(refused.stderr).not.toContain("    at ");

    const empty = await freshDatabase("adoptcli");
    const none = await runCli(["adopt", "--database-url", empty], { cwd: project });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no other tool's history table in this database");

    const down = await runCli(["adopt", "--database-url", "postgres://u:secret-pw@127.0.0.1:1/x"], { cwd: project });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain("cannot connect to postgres://u:***@127.0.0.1:1/x");
    expect(down.stderr).not.toContain("secret-pw");

    await withClient(url, (c) => c.query("ALTER TABLE flyway_schema_history DROP COLUMN installed_rank"));
    const wrongShape = await runCli(["adopt", "--database-url", url], { cwd: project });
    expect(wrongShape.code).toBe(2);
    expect(wrongShape.stderr).toContain("error: public.flyway_schema_history does not have Flyway's columns: installed_rank.");
    expect(wrongShape.stderr).not.toContain("the database failed");

    const badFlag = await runCli(["adopt", "--from", "liquibase", "--database-url", url], { cwd: project });
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain("Allowed choices are prisma, drizzle, alembic, flyway");
  });
});
