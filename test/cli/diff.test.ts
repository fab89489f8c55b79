import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { runCli } from "../helpers/cli";
import { freshDatabase, withClient } from "../helpers/database";
import { tempFolder } from "../helpers/project";

async function migrated(files: Record<string, string>): Promise<{ url: string; project: string; args: string[] }> {
  const url = await freshDatabase("diffcli");
  const project = tempFolder(files, "dbpipe-project-");
  const args = ["--database-url", url, "--scratch-url", inject("adminUrl")];
  expect((await runCli(["up", "--database-url", url], { cwd: project })).code).toBe(0);
  return { url, project, args };
}

describe("dbpipe diff", () => {
  it("writes the changes by hand as the next migration, lints it, and --mark-applied leaves nothing to run or verify", async () => {
    const { url, project, args } = await migrated({ "migrations/0001_customers.sql": "CREATE TABLE customers (id bigint PRIMARY KEY, score integer);\n" });
    await withClient(url, (c) => c.query("ALTER TABLE customers ALTER COLUMN score TYPE bigint; CREATE INDEX customers_score_idx ON customers (score)"));

    const dry = await runCli(["diff", "--dry-run", ...args], { cwd: project });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("changed column public.customers.score type: integer → bigint");
    expect(dry.stdout).toContain("Would write migrations/0002_changes_by_hand.sql:");
    expect(fs.existsSync(path.join(project, "migrations/0002_changes_by_hand.sql"))).toBe(false);

    const run = await runCli(["diff", "--name", "score_bigint", "--mark-applied", ...args], { cwd: project });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const written = fs.readFileSync(path.join(project, "migrations/0002_score_bigint.sql"), "utf8");
    expect(written).toContain("ALTER TABLE public.customers ALTER COLUMN score TYPE bigint USING score::bigint;");
    expect(written).toContain("CREATE INDEX customers_score_idx ON public.customers USING btree (score);");
    // The same risk rules as any migration.
    expect(run.stdout).toMatch(/migrations\/0002_score_bigint\.sql:\d+:\d+ high change-column-type/);
    expect(run.stdout).toMatch(/create-index-without-concurrently/);
    expect(run.stdout).toContain("Recorded 0002 as applied");

    expect((await runCli(["verify", ...args], { cwd: project })).code).toBe(0);
    expect((await runCli(["up", "--json", ...args.slice(0, 2)], { cwd: project })).stdout).toContain('"applied": []');
    const again = await runCli(["diff", ...args], { cwd: project });
    expect(again.stdout).toContain("No changes by hand");
  });

  it("refuses to write another migration while one is pending (2), and the hint it prints after writing one works as written", async () => {
    const { url, project, args } = await migrated({ "migrations/0001_customers.sql": "CREATE TABLE customers (id bigint PRIMARY KEY, total integer);\n" });
    await withClient(url, (c) => c.query("ALTER TABLE customers ALTER COLUMN total TYPE bigint; ALTER TABLE customers ADD COLUMN phone text"));
    const first = await runCli(["diff", "--name", "keep_phone", ...args], { cwd: project });
    expect(first.code).toBe(0);
    expect(fs.existsSync(path.join(project, "migrations/0002_keep_phone.sql"))).toBe(true);

    const again = await runCli(["diff", "--name", "again", ...args], { cwd: project });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("1 migration(s) (migrations/0002_keep_phone.sql) are not applied to this database yet");
    expect(again.stderr).toContain("Apply it with `dbpipe up` if the database should get it");
    expect(again.stderr).toContain("delete migrations/0002_keep_phone.sql instead");
    expect(fs.readdirSync(path.join(project, "migrations"))).toEqual(["0001_customers.sql", "0002_keep_phone.sql"]);
    // A dry run writes nothing either way, and says that the real run refuses.
    const dry = await runCli(["diff", "--dry-run", ...args], { cwd: project });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("without --dry-run, diff refuses to write it while migrations are pending");

    // The hint, followed word for word (with this test's --database-url and --scratch-url).
    const hint = /To record it as applied here instead, delete (\S+), then run `dbpipe ([^`]+)` with the same --database-url and --scratch-url\./.exec(first.stdout);
    expect(hint, first.stdout).not.toBeNull();
    expect(hint![2]).toBe("diff --name keep_phone --mark-applied");
    fs.rmSync(path.join(project, hint![1]));
    const marked = await runCli([...hint![2].split(" "), ...args], { cwd: project });
    expect(marked.stderr).toBe("");
    expect(marked.code).toBe(0);
    expect(marked.stdout).toContain("Recorded 0002 as applied");
    expect(fs.readFileSync(path.join(project, "migrations/0002_keep_phone.sql"), "utf8")).toContain("ALTER TABLE public.customers ADD COLUMN phone text;");
    expect((await runCli(["up", "--json", ...args.slice(0, 2)], { cwd: project })).stdout).toContain('"applied": []');
    expect((await runCli(["verify", ...args], { cwd: project })).code).toBe(0);
  });

  it("refuses (2) when an applied migration's file was changed, writing nothing", async () => {
    const { url, project, args } = await migrated({ "migrations/0001_customers.sql": "CREATE TABLE customers (id bigint PRIMARY KEY);\n" });
    await withClient(url, (c) => c.query("ALTER TABLE customers ADD COLUMN phone text"));
    fs.writeFileSync(path.join(project, "migrations/0001_customers.sql"), "CREATE TABLE customers (id bigint PRIMARY KEY, phone text);\n");
    const run = await runCli(["diff", ...args], { cwd: project });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("migrations/0001_customers.sql was changed after it was applied");
    expect(fs.readdirSync(path.join(project, "migrations"))).toEqual(["0001_customers.sql"]);
  });

  it("refuses (2) on a database without dbpipe's history, whose migrations are all pending there, writing nothing", async () => {
    const url = await freshDatabase("diffnohist");
    const project = tempFolder({ "migrations/0001_t1.sql": "CREATE TABLE t1 (id int);\n", "migrations/0002_t2.sql": "CREATE TABLE t2 (id int);\n" }, "dbpipe-project-");
    const args = ["--database-url", url, "--scratch-url", inject("adminUrl")];
    const run = await runCli(["diff", ...args], { cwd: project });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain("the database has no dbpipe history, so its 2 migration(s) are all pending there, and a migration drafted now would undo or repeat their changes. Apply them with `dbpipe up`; or, if the database already has their schema, record them with `dbpipe baseline --version 0002`.");
    expect(fs.readdirSync(path.join(project, "migrations"))).toEqual(["0001_t1.sql", "0002_t2.sql"]);
    const dry = await runCli(["diff", "--dry-run", ...args], { cwd: project });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("without --dry-run, diff refuses to write it while the database has no dbpipe history");
    // What it says works: after `up`, nothing to write.
    expect((await runCli(["up", "--database-url", url], { cwd: project })).code).toBe(0);
    expect((await runCli(["diff", ...args], { cwd: project })).code).toBe(0);
    expect(fs.readdirSync(path.join(project, "migrations"))).toEqual(["0001_t1.sql", "0002_t2.sql"]);
  });

  it("refuses (2), as status does, while a migration is recorded as failed part way: verify and diff compare nothing", async () => {
    const url = await freshDatabase("difffailed");
    const project = tempFolder({ "migrations/0001_a.sql": "CREATE TABLE a (id int);\n", "migrations/0002_nt.sql": "-- dbpipe:no-transaction\nCREATE TABLE c1 (id int);\nSELECT 1/0;\n" }, "dbpipe-project-");
    const args = ["--database-url", url, "--scratch-url", inject("adminUrl")];
    expect((await runCli(["up", "--database-url", url], { cwd: project })).code).toBe(3);
    fs.writeFileSync(path.join(project, "migrations/0002_nt.sql"), "-- dbpipe:no-transaction\nCREATE TABLE c1 (id int);\nCREATE TABLE c3 (id int);\n");
    for (const command of ["verify", "diff"]) {
      const run = await runCli([command, ...args], { cwd: project });
      expect({ command, code: run.code }).toEqual({ command, code: 2 });
      expect(run.stderr).toContain("migrations/0002_nt.sql failed on");
      expect(run.stderr).toContain("then run `dbpipe repair` to clear the failed record");
      expect(run.stderr).toContain("Nothing was compared: a migration that stopped part way leaves a schema that no replay of the files gives.");
    }
    expect(fs.readdirSync(path.join(project, "migrations"))).toEqual(["0001_a.sql", "0002_nt.sql"]);
  });

  it("follows the folder's layout: a Prisma folder gets a timestamped folder; a bad --name is refused", async () => {
    const { url, project, args } = await migrated({
      "migrations/migration_lock.toml": 'provider = "postgresql"\n',
      "migrations/20240101120000_init/migration.sql": "CREATE TABLE notes (id int PRIMARY KEY);\n",
    });
    await withClient(url, (c) => c.query("ALTER TABLE notes ADD COLUMN body text"));
    const bad = await runCli(["diff", "--name", "add body!", ...args], { cwd: project });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--name "add body!": use letters, digits and _ only');
    const run = await runCli(["diff", "--name", "add_body", "--json", ...args], { cwd: project });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.file).toMatch(/^migrations\/\d{14}_add_body\/migration\.sql$/);
    expect(report.sql).toEqual(["ALTER TABLE public.notes ADD COLUMN body text;"]);
    expect(report.lint.verdict.allowed).toBe(true);
    expect(fs.readFileSync(path.join(project, report.file), "utf8")).toContain("ALTER TABLE public.notes ADD COLUMN body text;");
  });
});
