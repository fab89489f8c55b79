import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO, runCli } from "../helpers/cli";
import { freshDatabase, withClient } from "../helpers/database";
import { tempFolder } from "../helpers/project";

/** A project folder with a copy of the repository's sample migrations and nothing else. */
function sampleProject(extra: Record<string, string> = {}): string {
  const files: Record<string, string> = {};
  for (const name of fs.readdirSync(path.join(REPO, "migrations"))) files[`migrations/${name}`] = fs.readFileSync(path.join(REPO, "migrations", name), "utf8");
  return tempFolder({ ...files, ...extra }, "dbpipe-project-");
}

const ANSI = /\u001b\[/;

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
    expect(run.stderr).toContain("no Pulumi.staging.yaml in");
    expect(run.stderr).toContain("dbpipe env new staging --tier <dev|test|prod>");
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
