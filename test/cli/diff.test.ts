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
