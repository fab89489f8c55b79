import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli";
import { freshDatabase, withClient } from "../helpers/database";
import { tempFolder } from "../helpers/project";

/** `dbpipe down` as users run it (the built CLI: `npm run build` first). */

const FILES = {
  "migrations/0001_customers.sql": "CREATE TABLE customers (id int PRIMARY KEY);\n-- dbpipe:down\nDROP TABLE customers;\n",
  "migrations/0002_notes.sql": "ALTER TABLE customers ADD COLUMN notes text;\n-- dbpipe:down\nALTER TABLE customers DROP COLUMN notes;\n",
};

async function state(url: string): Promise<{ tables: string[]; versions: string[] }> {
  return withClient(url, async (c) => ({
    tables: (await c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.tablename),
    versions: (await c.query("SELECT version FROM dbpipe.schema_migrations ORDER BY version")).rows.map((r) => r.version),
  }));
}

describe("dbpipe down", () => {
  it("prod refuses a down part that drops a table without an approval (exit 1), changing nothing", async () => {
    const url = await freshDatabase();
    const project = tempFolder(FILES, "dbpipe-project-");
    expect((await runCli(["up", "--database-url", url], { cwd: project })).code).toBe(0);

    const run = await runCli(["down", "--all", "--stack", "prod", "--database-url", url], { cwd: project });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("stack prod (tier prod) refuses to revert a migration with its down part; nothing was reverted.");
    expect(run.stderr).toContain("migrations/0001_customers.sql:3:1 high drop-table");
    expect(run.stderr).toMatch(/- version: "0001"\n\s+checksum: [0-9a-f]{64}/);
    expect(await state(url)).toEqual({ tables: ["customers"], versions: ["0001", "0002"] });
    expect(fs.existsSync(path.join(project, ".dbpipe/prod/backups"))).toBe(false);
  });

  it("--all reverts everything; --to 0 is refused when a migration has version 0; --to with --all is a usage error", async () => {
    const url = await freshDatabase();
    const project = tempFolder({ "migrations/0000_init.sql": "CREATE TABLE init (id int);\n-- dbpipe:down\nDROP TABLE init;\n", ...FILES }, "dbpipe-project-");
    expect((await runCli(["up", "--database-url", url], { cwd: project })).code).toBe(0);

    const zero = await runCli(["down", "--to", "0", "--database-url", url], { cwd: project });
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain("--to 0 is ambiguous here: migration 0000 (init) has version 0. To revert every migration, 0000 included, use --all");
    const both = await runCli(["down", "--to", "0001", "--all", "--database-url", url], { cwd: project });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("give either --to <version> or --all, not both");
    expect((await state(url)).versions).toEqual(["0000", "0001", "0002"]);

    const all = await runCli(["down", "--all", "--database-url", url], { cwd: project });
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/↶ 0002 notes[\s\S]*↶ 0001 customers[\s\S]*↶ 0000 init/);
    expect(all.stdout).toContain("Reverted 3 migrations; the database is at no migration.");
    expect(await state(url)).toEqual({ tables: [], versions: [] });
  });
});
