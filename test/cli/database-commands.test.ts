import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO, canRunInTerminal, runCli } from "../helpers/cli";
import { freshDatabase, withClient } from "../helpers/database";
import { embeddedDataDir, tempFolder } from "../helpers/project";

/** A project folder with a copy of the repository's sample migrations and nothing else. */
function sampleProject(extra: Record<string, string> = {}): string {
  const files: Record<string, string> = {};
  for (const name of fs.readdirSync(path.join(REPO, "migrations"))) files[`migrations/${name}`] = fs.readFileSync(path.join(REPO, "migrations", name), "utf8");
  return tempFolder({ ...files, ...extra }, "dbpipe-project-");
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[`);
const isRoot = process.getuid?.() === 0;

describe("dbpipe on the embedded PostgreSQL (no database given)", () => {
  it("brings the sample schema up, then a second run applies nothing, and status shows the history", async () => {
    const project = sampleProject();
    const first = await runCli(["up", "--stack", "dev"], { cwd: project });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("embedded PostgreSQL in .dbpipe/dev");
    expect(first.stdout).toMatch(/✓ 0001 create_customers_and_products \d+ms/);
    expect(first.stdout).toMatch(/Applied 5 migrations in \d+ms; the database is at 0005 \(drop_legacy_product_description\)\./);
    expect(fs.existsSync(path.join(project, ".dbpipe/dev"))).toBe(true);

    const second = await runCli(["up"], { cwd: project });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("Nothing to apply: the database is up to date at 0005 (drop_legacy_product_description).");

    const status = await runCli(["status", "--json"], { cwd: project });
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout);
    expect(report.migrations.map((m: { version: string; status: string }) => [m.version, m.status])).toEqual([
      ["0001", "applied"],
      ["0002", "applied"],
      ["0003", "applied"],
      ["0004", "applied"],
      ["0005", "applied"],
    ]);
    expect(report.migrations[0]).toMatchObject({ name: "create_customers_and_products", checksum: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(first.stdout + second.stdout + status.stdout).not.toMatch(ANSI);
    // As root with the project in a private (0700) folder, the data lives elsewhere: the first line says where.
    const firstLine = first.stdout.split("\n")[0];
    if (isRoot) expect(firstLine).toMatch(/embedded PostgreSQL in \.dbpipe\/dev \(data in \/var\/lib\/dbpipe\/[0-9a-f]{16}\)$/);
    else expect(firstLine).toMatch(/embedded PostgreSQL in \.dbpipe\/dev$/);
  });

  it("runs two first up processes at once on a fresh folder: one starts the server, both finish, the last one stops it", async () => {
    const project = sampleProject();
    const [a, b] = await Promise.all([runCli(["up", "--json"], { cwd: project }), runCli(["up", "--json"], { cwd: project })]);
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    expect([JSON.parse(a.stdout).applied.length, JSON.parse(b.stdout).applied.length].sort()).toEqual([0, 5]);

    // Stopped after: no postmaster.pid, nobody registered as using it, no lock left behind.
    const pgdata = embeddedDataDir(project);
    expect(fs.existsSync(path.join(pgdata, "PG_VERSION"))).toBe(true);
    expect(fs.existsSync(path.join(pgdata, "postmaster.pid"))).toBe(false);
    expect(fs.readdirSync(path.join(project, ".dbpipe/dev/users"))).toEqual([]);
    expect(fs.existsSync(path.join(project, ".dbpipe/dev/start.lock"))).toBe(false);

    const status = await runCli(["status", "--json"], { cwd: project });
    expect(status.code, status.stderr).toBe(0);
    const rows = JSON.parse(status.stdout).migrations as { version: string; status: string; kind: string }[];
    expect(rows.map((m) => [m.version, m.status, m.kind])).toEqual(["0001", "0002", "0003", "0004", "0005"].map((v) => [v, "applied", "migrate"]));
    expect(fs.existsSync(path.join(pgdata, "postmaster.pid"))).toBe(false);
  });
});

describe("dbpipe with a database URL", () => {
  it("prints up --json with what this run applied, and an empty list when nothing was pending", async () => {
    const url = await freshDatabase();
    const project = sampleProject();
    const first = await runCli(["up", "--json", "--database-url", url], { cwd: project });
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(report.applied.map((a: { version: string }) => a.version)).toEqual(["0001", "0002", "0003", "0004", "0005"]);
    expect(report.applied[0]).toEqual({ version: "0001", name: "create_customers_and_products", file: "migrations/0001_create_customers_and_products.sql", executionMs: expect.any(Number), risk: null });
    const second = await runCli(["up", "--json", "--database-url", url], { cwd: project });
    expect(JSON.parse(second.stdout).applied).toEqual([]);
  });

  it("prefers DATABASE_URL_DIRECT over DATABASE_URL", async () => {
    const url = await freshDatabase();
    const project = sampleProject();
    const run = await runCli(["up", "--json"], { cwd: project, env: { DATABASE_URL_DIRECT: url, DATABASE_URL: "postgres://pooler:secret-pooled@127.0.0.1:1/nope" } });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).applied).toHaveLength(5);
  });

  it("exits 3 with file, line and column when a migration fails, and --json carries the error", async () => {
    const url = await freshDatabase();
    const project = sampleProject({ "migrations/0006_broken.sql": "-- oops\nALTER TABLE products ADD COLUMN weight numeric;\nALTER TABLE no_such_table ADD COLUMN x int;\n" });
    const run = await runCli(["up", "--database-url", url], { cwd: project });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('error: migrations/0006_broken.sql:3:1: migration 0006 (broken) failed: relation "no_such_table" does not exist [SQLSTATE 42P01]');
    expect(run.stderr).toContain("5 migrations applied before the failure stay applied.");
    expect(run.stderr).not.toContain("    at "); // no stack trace

    const url2 = await freshDatabase();
    const json = await runCli(["up", "--json", "--database-url", url2], { cwd: project });
    expect(json.code).toBe(3);
    const report = JSON.parse(json.stdout);
    expect(report.applied).toHaveLength(5);
    expect(report.error).toMatchObject({ version: "0006", file: "migrations/0006_broken.sql", line: 3, column: 1, sqlstate: "42P01" });
  });

  it("exits 2 when an applied file was tampered with, naming it", async () => {
    const url = await freshDatabase();
    const project = sampleProject();
    expect((await runCli(["up", "--database-url", url], { cwd: project })).code).toBe(0);
    const file = path.join(project, "migrations/0002_create_interactions.sql");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("'chat'", "'chat', 'sms'"));
    const run = await runCli(["up", "--database-url", url], { cwd: project });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("migrations/0002_create_interactions.sql was changed after it was applied");
    expect(run.stderr).toContain("Nothing was applied.");
  });

  it("runs two concurrent up processes on one database without applying anything twice", async () => {
    const url = await freshDatabase();
    const project = sampleProject();
    const [a, b] = await Promise.all([runCli(["up", "--json", "--database-url", url], { cwd: project }), runCli(["up", "--json", "--database-url", url], { cwd: project })]);
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    const counts = [JSON.parse(a.stdout).applied.length, JSON.parse(b.stdout).applied.length].sort();
    expect(counts).toEqual([0, 5]);
    const versions = await withClient(url, async (c) => (await c.query("SELECT version FROM dbpipe.schema_migrations ORDER BY version")).rows.map((r) => r.version));
    expect(versions).toEqual(["0001", "0002", "0003", "0004", "0005"]);
  });

  it("reverts with down --to and re-applies", async () => {
    const url = await freshDatabase();
    const project = sampleProject();
    await runCli(["up", "--database-url", url], { cwd: project });
    const down = await runCli(["down", "--to", "0003", "--database-url", url], { cwd: project });
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/↶ 0005 drop_legacy_product_description[\s\S]*↶ 0004 index_products_by_sku/);
    expect(down.stdout).toContain("Reverted 2 migrations; the database is at 0003.");
    const status = JSON.parse((await runCli(["status", "--json", "--database-url", url], { cwd: project })).stdout);
    expect(status.summary).toEqual({ applied: 3, pending: 2 });
  });
});

describe("baseline", () => {
  it("takes --version as its own flag: records up to it, and up then applies only the later ones", async () => {
    const url = await freshDatabase();
    const project = tempFolder(
      {
        "migrations/0001_a.sql": "CREATE TABLE a (id int);",
        "migrations/0002_b.sql": "CREATE TABLE b (id int);",
        "migrations/0003_c.sql": "CREATE TABLE c (id int);",
      },
      "dbpipe-project-",
    );
    // The database already has what 0001 and 0002 create.
    await withClient(url, (c) => c.query("CREATE TABLE a (id int); CREATE TABLE b (id int)"));

    const baseline = await runCli(["baseline", "--version", "0002", "--database-url", url], { cwd: project });
    expect(baseline.stderr).toBe("");
    expect(baseline.code).toBe(0);
    expect(baseline.stdout).toContain("Baselined 2 migrations up to 0002; `dbpipe up` applies the ones after it.");

    const status = JSON.parse((await runCli(["status", "--json", "--database-url", url], { cwd: project })).stdout);
    expect(status.migrations.map((m: { version: string; status: string; kind: string | null }) => [m.version, m.status, m.kind])).toEqual([
      ["0001", "applied", "baseline"],
      ["0002", "applied", "baseline"],
      ["0003", "pending", null],
    ]);

    const up = await runCli(["up", "--json", "--database-url", url], { cwd: project });
    expect(up.code, up.stderr).toBe(0);
    expect(JSON.parse(up.stdout).applied.map((a: { version: string }) => a.version)).toEqual(["0003"]);
  });

  it("keeps dbpipe's own --version before the command", async () => {
    const version = (JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as { version: string }).version;
    for (const flag of ["--version", "-V"]) {
      const run = await runCli([flag], { cwd: REPO });
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toBe(version);
    }
    const missing = await runCli(["baseline", "--database-url", "postgres://x:y@127.0.0.1:1/z"], { cwd: REPO });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--version <version>' not specified");
  });
});

describe("the stack's verdict on up and plan", () => {
  const HIGH = "migrations/0005_drop_legacy_product_description.sql";

  it("prod refuses an unapproved high-risk migration before touching the database (exit 1)", async () => {
    const url = await freshDatabase();
    const project = sampleProject();
    const run = await runCli(["up", "--stack", "prod", "--database-url", url], { cwd: project });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("stack prod (tier prod) refuses a pending migration; nothing was applied.");
    expect(run.stderr).toContain(`${HIGH}:9:8 high update-without-where`);
    expect(run.stderr).toMatch(/- version: "0005"\n\s+checksum: [0-9a-f]{64}/);
    // Not even the history table was created.
    expect(await withClient(url, async (c) => (await c.query("SELECT to_regclass('dbpipe.schema_migrations') AS t")).rows[0].t)).toBeNull();
    expect(await withClient(url, async (c) => (await c.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'")).rows[0].n)).toBe(0);
  });

  it("plan exits 1 on the embedded server when prod refuses, 0 once Pulumi.prod.yaml approves that exact file", async () => {
    const project = sampleProject();
    const refused = await runCli(["plan", "--stack", "prod", "--json"], { cwd: project });
    expect(refused.code).toBe(1);
    const report = JSON.parse(refused.stdout);
    expect(report.verdict.allowed).toBe(false);
    const m5 = report.migrations.find((m: { version: string }) => m.version === "0005");
    expect(m5).toMatchObject({ version: "0005", status: "pending", risk: "high", approval: "missing", backupRequired: true });
    expect(m5.findings).toContainEqual(expect.objectContaining({ rule: "update-without-where", severity: "high", line: 9, column: 8, acknowledged: false, hint: expect.any(String), message: expect.any(String) }));

    fs.writeFileSync(
      path.join(project, "Pulumi.prod.yaml"),
      `config:\n  aws:region: eu-west-1\n  dbpipe:tier: prod\n  dbpipe:approvals:\n    - version: "0005"\n      checksum: ${m5.checksum}\n      reason: notes purge signed off by the privacy review\n`,
    );
    const approved = await runCli(["plan", "--stack", "prod", "--json"], { cwd: project });
    expect(approved.code).toBe(0);
    const after = JSON.parse(approved.stdout);
    expect(after.verdict).toMatchObject({ allowed: true, backupRequired: true });
    expect(after.migrations.find((m: { version: string }) => m.version === "0005").approval).toBe("approved");

    // Editing the approved file voids the approval.
    fs.appendFileSync(path.join(project, HIGH), "\n-- edited after approval\n");
    const edited = await runCli(["plan", "--stack", "prod"], { cwd: project });
    expect(edited.code).toBe(1);
    expect(edited.stdout).toContain("its approval in Pulumi.prod.yaml is void: the file changed after it was approved");
  });

  it("test takes a pg_dump backup before a high-risk migration and records it in the history", async () => {
    const url = await freshDatabase();
    const project = sampleProject();
    const run = await runCli(["up", "--stack", "test", "--database-url", url], { cwd: project });
    // The database is not the embedded one, and no store outlives this machine: `up` says so.
    expect(run.stderr).toMatch(/^warning: backup test-\S+-before-0001 is only in \.dbpipe\/test\/backups\/ on this machine \([^)]+\): a CI runner's disk is gone when the job ends[^\n]*\n$/);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("backing up first: 0005 (high) reaches the stack's backup threshold");
    expect(run.stdout).toMatch(/✓ 0005 drop_legacy_product_description \d+ms high risk/);
    const folder = path.join(project, ".dbpipe/test/backups");
    const dumps = fs.readdirSync(folder).filter((f) => f.endsWith(".dump"));
    expect(dumps).toHaveLength(1);
    expect(fs.readFileSync(path.join(folder, dumps[0])).subarray(0, 5).toString()).toBe("PGDMP"); // pg_dump's custom format
    // The backup store's manifest: `<id>.json` beside `<id>.dump`.
    const id = dumps[0].replace(/\.dump$/, "");
    const manifest = JSON.parse(fs.readFileSync(path.join(folder, `${id}.json`), "utf8"));
    expect(manifest).toMatchObject({ stack: "test", id, serverMajor: 15, before: expect.arrayContaining([expect.objectContaining({ version: "0005" })]) });
    const refs = await withClient(url, async (c) => (await c.query("SELECT DISTINCT backup_ref, risk FROM dbpipe.schema_migrations WHERE version = '0005'")).rows);
    expect(refs).toEqual([{ backup_ref: `file:.dbpipe/test/backups/${dumps[0]}`, risk: "high" }]);

    // --json names the backup it took, as down --json does.
    const other = await freshDatabase();
    const json = await runCli(["up", "--stack", "test", "--json", "--database-url", other], { cwd: project });
    expect(json.code, json.stderr).toBe(0);
    const printed = JSON.parse(json.stdout) as { backupRef: string | null };
    const recorded = await withClient(other, async (c) => (await c.query("SELECT DISTINCT backup_ref FROM dbpipe.schema_migrations WHERE version = '0005'")).rows[0].backup_ref);
    expect(printed.backupRef).toBe(recorded);
    expect(printed.backupRef).toMatch(/^file:\.dbpipe\/test\/backups\/.+\.dump$/);
  });

  it("dev neither classifies nor backs up on up, and plan still shows the findings", async () => {
    const url = await freshDatabase();
    const project = sampleProject();
    const up = await runCli(["up", "--json", "--database-url", url], { cwd: project });
    expect(JSON.parse(up.stdout).applied.every((a: { risk: unknown }) => a.risk === null)).toBe(true);
    expect(fs.existsSync(path.join(project, ".dbpipe/dev/backups"))).toBe(false);
    const url2 = await freshDatabase();
    const plan = await runCli(["plan", "--database-url", url2], { cwd: project });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(`${HIGH}:9:8 high update-without-where`);
    expect(plan.stdout).toContain("Stack dev (tier dev): allowed.");
  });

  it("a DBPIPE_BACKUP_STORE that is not a URL stops test's up (exit 2, nothing applied) but not dev's, which never backs up", async () => {
    const project = sampleProject();
    const env = { DBPIPE_BACKUP_STORE: "not-a-store" };
    const url = await freshDatabase();
    const refused = await runCli(["up", "--stack", "test", "--database-url", url], { cwd: project, env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('DBPIPE_BACKUP_STORE "not-a-store" is not a URL');
    expect(await withClient(url, async (c) => (await c.query("SELECT to_regclass('dbpipe.schema_migrations') AS t")).rows[0].t)).toBeNull();
    const dev = await runCli(["up", "--json", "--database-url", url], { cwd: project, env });
    expect(dev.code).toBe(0);
    expect(JSON.parse(dev.stdout).applied).toHaveLength(5);
  });

  it("plan --rehearse runs the pending migrations and rolls them back", async () => {
    const url = await freshDatabase();
    const project = sampleProject();
    const run = await runCli(["plan", "--rehearse", "--json", "--database-url", url], { cwd: project });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.rehearsal.passed).toBe(true);
    expect(report.rehearsal.ran.map((r: { version: string }) => r.version)).toEqual(["0001", "0002", "0003", "0005"]);
    expect(report.rehearsal.skipped).toEqual([{ version: "0004", reason: expect.stringContaining("cannot be rehearsed") }]);
    expect(await withClient(url, async (c) => (await c.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname IN ('public', 'dbpipe')")).rows[0].n)).toBe(0);
  });
});

describe("errors people can act on", () => {
  it("never prints the password of a URL it cannot connect to", async () => {
    const project = sampleProject();
    const run = await runCli(["status", "--database-url", "postgres://deploy:Sup3r-S3cret@127.0.0.1:1/crm"], { cwd: project });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("cannot connect to postgres://deploy:***@127.0.0.1:1/crm");
    expect(run.stderr).toContain("check that the server is running and reachable");
    expect(run.stdout + run.stderr).not.toContain("Sup3r-S3cret");
  });

  it("never prints the password when the server refuses it", async () => {
    const url = new URL(await freshDatabase());
    url.password = "wrong-pass-123";
    const run = await runCli(["status", "--database-url", url.toString()], { cwd: sampleProject() });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("password authentication failed");
    expect(run.stdout + run.stderr).not.toContain("wrong-pass-123");
  });

  it("hides a password holding @ and spaces, wherever the URL is printed", async () => {
    const project = sampleProject();
    const url = "postgres://deploy:p@ss w0rd;x@127.0.0.1:1/crm";
    for (const args of [["status"], ["up", "--json"], ["baseline", "--version", "0001"]]) {
      const run = await runCli([...args, "--database-url", url], { cwd: project });
      expect(run.code).toBe(3);
      expect(run.stdout + run.stderr).toContain("postgres://deploy:***@127.0.0.1:1/crm");
      expect(run.stdout + run.stderr).not.toMatch(/ss w0rd|w0rd;x|p@ss|p%40ss/);
    }
  });

  it("never prints a PASSWORD literal of a failing migration, in text or JSON", async () => {
    const project = sampleProject({ "migrations/0006_roles.sql": "-- the app's login\nCREATE ROLE dbpipe_test_app LOGIN PASSWORD 'hunter2secret' VALID UNTIL 'not a date';\n" });
    const url = await freshDatabase();
    const text = await runCli(["up", "--database-url", url], { cwd: project });
    expect(text.code).toBe(3);
    expect(text.stderr).toContain("migrations/0006_roles.sql:2:");
    expect(text.stderr).toContain("CREATE ROLE dbpipe_test_app LOGIN PASSWORD '***' VALID UNTIL 'not a date';");
    const json = await runCli(["up", "--json", "--database-url", url], { cwd: project });
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout).error).toMatchObject({ version: "0006", line: 2 });
    const plan = await runCli(["plan", "--rehearse", "--json", "--database-url", url], { cwd: project });
    for (const run of [text, json, plan]) expect(run.stdout + run.stderr).not.toContain("hunter2secret");
  });

  it("says with --json how far a failing rehearsal got, and puts a failing up's error on stderr too", async () => {
    const project = sampleProject({ "migrations/0006_broken.sql": "SELECT 1;\nSELECT 1 / 0;\n" });
    const url = await freshDatabase();
    const plan = await runCli(["plan", "--rehearse", "--json", "--database-url", url], { cwd: project });
    expect(plan.code).toBe(3);
    const { rehearsal } = JSON.parse(plan.stdout);
    expect(rehearsal.passed).toBe(false);
    expect(rehearsal.ran.map((r: { version: string }) => r.version)).toEqual(["0001", "0002", "0003", "0005"]);
    expect(rehearsal.skipped).toEqual([{ version: "0004", reason: expect.stringContaining("cannot be rehearsed") }]);
    expect(rehearsal.error).toMatchObject({ version: "0006", line: 2, sqlstate: "22012" });
    const up = await runCli(["up", "--json", "--database-url", url], { cwd: project });
    expect(up.code).toBe(3);
    expect(JSON.parse(up.stdout).error).toMatchObject({ version: "0006", line: 2 });
    expect(up.stderr).toMatch(/^error: .*0006_broken\.sql:2:/m);
  });

  it("reports a refused connection as a database failure naming the (redacted) URL, not as a bug", async () => {
    const project = sampleProject();
    for (const args of [["status"], ["lint"], ["up"]]) {
      const run = await runCli([...args, "--database-url", "postgres://u:Sup3r-S3cret@127.0.0.1:1/db"], { cwd: project });
      expect(run.code, args.join(" ")).toBe(3);
      expect(run.stderr).toMatch(/(could not|cannot) connect to postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/db: connect ECONNREFUSED/);
      expect(run.stderr).not.toContain("bug");
      expect(run.stdout + run.stderr).not.toContain("Sup3r-S3cret");
    }
  });

  it("reports an SQL error outside a migration as a database failure, not as a bug", async () => {
    const url = await freshDatabase();
    // The history exists, but the role the command logs in as may not read it: the server refuses.
    const project = sampleProject();
    expect((await runCli(["up", "--database-url", url], { cwd: project })).code).toBe(0);
    const role = `nohistory_${Date.now()}`;
    await withClient(url, (c) => c.query(`CREATE ROLE ${role} LOGIN PASSWORD 'N0Hist0ryPw'; GRANT USAGE ON SCHEMA dbpipe TO ${role}`));
    const asRole = new URL(url);
    asRole.username = role;
    asRole.password = "N0Hist0ryPw";
    const run = await runCli(["status", "--database-url", asRole.toString()], { cwd: project });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^error: the database failed \(postgres:\/\/[^:]+:\*\*\*@[^)]+\): permission denied for table schema_migrations \[SQLSTATE 42501\]/);
    expect(run.stderr).not.toMatch(/bug|N0Hist0ryPw/);
  });

  it("exits 2 for an unknown flag and for a missing required flag", async () => {
    const project = sampleProject();
    const bad = await runCli(["up", "--stak", "dev"], { cwd: project });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown option '--stak'");
    const missing = await runCli(["down"], { cwd: project });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--to <version>' not specified");
  });

  it("exits 2 for broken migration files, listing each file, before touching any database", async () => {
    const project = sampleProject({ "migrations/0003_duplicate.sql": "SELECT 1;", "migrations/notes.sql": "SELECT 2;" });
    const run = await runCli(["up", "--database-url", "postgres://nobody:pw@127.0.0.1:1/none"], { cwd: project });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("2 problems with the migration files");
    expect(run.stderr).toMatch(/0003_(create_attachments|duplicate)\.sql: duplicate version 0003/);
    expect(run.stderr).toContain("migrations/notes.sql: name does not parse as a migration");
  });

  it("exits 2 for a syntax error in the 5th pending file, at its file, line and column, before applying the 1st", async () => {
    const url = await freshDatabase();
    const project = sampleProject({ "migrations/0005_drop_legacy_product_description.sql": "SELECT 1;\nALTER TABLE products DROP COLUMN description,;\n" });
    const run = await runCli(["up", "--database-url", url], { cwd: project });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error: migrations/0005_drop_legacy_product_description.sql:2:46: syntax error at or near ";"');
    expect(run.stderr).not.toContain("    at ");
    expect(run.stdout).not.toContain("✓");
    const tables = await withClient(url, async (c) => (await c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).rows);
    expect(tables).toEqual([]);
  });

  it("exits 2 for a CREATE INDEX CONCURRENTLY in a transactional 4th file, at its file, line and column, before applying the 1st; runs it marked no-transaction", async () => {
    const url = await freshDatabase();
    const files = {
      "migrations/0001_a.sql": "CREATE TABLE a (id int);\n",
      "migrations/0002_b.sql": "CREATE TABLE b (id int);\nCREATE INDEX b_id ON b (id);\n",
      "migrations/0003_c.sql": "CREATE TABLE c (id int);\nREINDEX (CONCURRENTLY false) TABLE c;\n",
    };
    const index = "-- index a.id without blocking writes\n\n  CREATE INDEX CONCURRENTLY a_id ON a (id);\n";
    const project = tempFolder({ ...files, "migrations/0004_a_id.sql": index }, "dbpipe-project-");
    const run = await runCli(["up", "--database-url", url], { cwd: project });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: migrations/0004_a_id.sql:3:3: `CREATE INDEX CONCURRENTLY a_id ON a (id)` cannot run inside a transaction block");
    expect(run.stderr).toContain("Add `-- dbpipe:no-transaction` as the file's first line");
    expect(run.stderr).toMatch(/Nothing was applied\.\n$/);
    expect(run.stdout).not.toContain("✓");
    const state = async () =>
      withClient(url, async (c) => ({
        tables: (await c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.tablename),
        history: (await c.query("SELECT to_regclass('dbpipe.schema_migrations') IS NOT NULL AS t")).rows[0].t ? (await c.query("SELECT version FROM dbpipe.schema_migrations ORDER BY 1")).rows.map((r) => r.version) : [],
      }));
    expect(await state()).toEqual({ tables: [], history: [] });
    // plan (with --rehearse too) and status stop where up does, and say so: exit 2, the same file,
    // line and column, before anything is rehearsed.
    for (const args of [["plan"], ["plan", "--rehearse"], ["status"]]) {
      const said = await runCli([...args, "--database-url", url], { cwd: project });
      expect(said.code, args.join(" ")).toBe(2);
      expect(said.stdout).toContain("migrations/0004_a_id.sql:3:3: `CREATE INDEX CONCURRENTLY a_id ON a (id)` cannot run inside a transaction block");
      expect(said.stdout).toContain("`dbpipe up` refuses the run here, before it applies anything.");
      expect(said.stdout).not.toContain("Rehearsal");
    }
    const json = await runCli(["status", "--json", "--database-url", url], { cwd: project });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).problems).toEqual([{ version: "0004", message: expect.stringMatching(/^migrations\/0004_a_id\.sql:3:3: .*cannot run inside a transaction block/) }]);
    expect(await state()).toEqual({ tables: [], history: [] });

    fs.writeFileSync(path.join(project, "migrations/0004_a_id.sql"), `-- dbpipe:no-transaction\n${index}`);
    const marked = await runCli(["up", "--database-url", url], { cwd: project });
    expect(marked.stderr).toBe("");
    expect(marked.code).toBe(0);
    expect(await state()).toEqual({ tables: ["a", "b", "c"], history: ["0001", "0002", "0003", "0004"] });
    const after = await runCli(["status", "--database-url", url], { cwd: project });
    expect(after.code).toBe(0);
  });

  it("refuses to take the project's migrations from a folder below it that has a migrations folder of its own (a monorepo's service), unless --dir says which", async () => {
    const url = await freshDatabase();
    const project = tempFolder(
      { "Pulumi.yaml": "name: mono\nruntime: nodejs\n", "migrations/0001_root.sql": "CREATE TABLE root_t (id int);\n", "svc/migrations/0001_svc.sql": "CREATE TABLE svc_t (id int);\n", "docs/readme.txt": "x\n" },
      "dbpipe-mono-",
    );
    const svc = path.join(project, "svc");
    const refused = await runCli(["up", "--database-url", url], { cwd: svc });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`error: migrations is here, but the project is ${project} (the nearest Pulumi.yaml up from this folder), whose migrations are ${path.join(project, "migrations")}: give --dir migrations to use this folder`);
    const tables = async () => withClient(url, async (c) => (await c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.tablename));
    expect(await tables()).toEqual([]);
    const lint = await runCli(["lint"], { cwd: svc });
    expect(lint.code).toBe(2);
    // --dir says which; a folder below without migrations of its own uses the project's.
    expect((await runCli(["up", "--dir", "migrations", "--database-url", url], { cwd: svc })).code).toBe(0);
    expect(await tables()).toEqual(["svc_t"]);
    const other = await freshDatabase();
    expect((await runCli(["up", "--database-url", other], { cwd: path.join(project, "docs") })).code).toBe(0);
    expect(await withClient(other, async (c) => (await c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).rows.map((r) => r.tablename))).toEqual(["root_t"]);
  });

  it("exits 2 for bad stack settings, naming the key and its line", async () => {
    const project = sampleProject({ "Pulumi.dev.yaml": "config:\n  dbpipe:tier: dev\n  dbpipe:lockTimout: 5s\n  dbpipe:outOfOrder: maybe\n" });
    const run = await runCli(["status", "--database-url", "postgres://x:y@127.0.0.1:1/z"], { cwd: project });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Pulumi.dev.yaml:3: dbpipe:lockTimout: unknown key (did you mean dbpipe:lockTimeout?)");
    expect(run.stderr).toContain('Pulumi.dev.yaml:4: dbpipe:outOfOrder: must be true or false, got "maybe"');
  });

  it("asks for a settings file for a stack that is not a tier", async () => {
    const run = await runCli(["status", "--stack", "staging"], { cwd: sampleProject() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Pulumi.staging.yaml does not exist");
    expect(run.stderr).toContain("dbpipe env new staging --tier <dev|test|prod>");
  });
});

describe("up's progress and colour", () => {
  it("marks the failing migration with ✗ before the error, and colours nothing off a terminal even without NO_COLOR", async () => {
    const url = await freshDatabase();
    const project = sampleProject({ "migrations/0006_broken.sql": "ALTER TABLE no_such_table ADD COLUMN x int;\n" });
    const run = await runCli(["up", "--database-url", url], { cwd: project, noColor: false });
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/✓ 0005 drop_legacy_product_description \d+ms\n {2}✗ 0006 broken\n$/);
    expect(run.stdout).not.toContain("→");
    expect(run.stderr).toMatch(/^error: migrations\/0006_broken\.sql:1:1: migration 0006 \(broken\) failed/m);
    expect(run.stdout + run.stderr).not.toMatch(ANSI);
  });

  it.skipIf(!canRunInTerminal)("on a terminal, shows the migration running, replaced by its result, in colour", async () => {
    const url = await freshDatabase();
    const project = sampleProject({ "migrations/0006_broken.sql": "ALTER TABLE no_such_table ADD COLUMN x int;\n" });
    const run = await runCli(["up", "--database-url", url], { cwd: project, noColor: false, terminal: true });
    expect(run.code).toBe(3);
    const esc = String.fromCharCode(27);
    const clear = `\r${esc}[2K`;
    expect(run.stdout).toContain(`${clear}  ${esc}[36m→${esc}[39m 0001 create_customers_and_products…${clear}  ${esc}[32m✓${esc}[39m 0001 create_customers_and_products`);
    expect(run.stdout).toContain(`${clear}  ${esc}[36m→${esc}[39m 0006 broken…${clear}  ${esc}[31m✗${esc}[39m 0006 broken\r\n`);
    expect(run.stdout).toContain(`${esc}[31merror:${esc}[39m migrations/0006_broken.sql:1:1`);
  });
});

describe("help", () => {
  it("documents the shared flags and the exit codes", async () => {
    const run = await runCli(["up", "--help"], { cwd: REPO });
    expect(run.code).toBe(0);
    for (const flag of ["--stack <name>", "--database-url <url>", "--dir <folder>", "--json", "--rehearse"]) expect(run.stdout).toContain(flag);
    const top = await runCli(["--help"], { cwd: REPO });
    expect(top.stdout).toContain("Exit codes: 0 done, 1 refused by policy, 2 invalid input");
  });
});

describe("a project where no folder can be made (a working directory under /proc)", () => {
  it.runIf(fs.existsSync("/proc/self"))("the embedded server's .dbpipe/<stack>/ fails at once, naming it; lint, whose cache it cannot write, still lints", () => {
    const migrations = path.join(sampleProject(), "migrations");
    // The built CLI in a process of its own, killed after 20 s: fs.mkdirSync(..., { recursive: true }) looped there forever.
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [path.join(REPO, "bin/dbpipe.js"), ...args, "--dir", migrations], {
        cwd: "/proc/self",
        encoding: "utf8",
        timeout: 20_000,
        env: { ...process.env, NO_COLOR: "1", DATABASE_URL: "", DATABASE_URL_DIRECT: "" },
      });
    const status = run("status");
    expect(status.signal).toBeNull();
    expect(status.stderr).toMatch(
      /^error: the embedded PostgreSQL's folder \/proc\/(\d+)\/\.dbpipe\/dev cannot be created: \/proc\/\1 takes no new folders \(a virtual file system such as \/proc or \/sys\): mkdir \/proc\/\1\/\.dbpipe says "no such file or directory" although \/proc\/\1 exists \(ENOENT\)\n$/,
    );
    expect(status.status).toBe(3);
    const lint = run("lint");
    expect(lint.signal).toBeNull();
    expect(lint.stderr).toBe("");
    expect(lint.status).toBe(0);
  });
});
