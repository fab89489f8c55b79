import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { runCli } from "../helpers/cli";
import { freshDatabase, withClient } from "../helpers/database";
import { tempFolder } from "../helpers/project";

const MIGRATIONS = {
  "migrations/0001_customers.sql": "CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, score integer);\n",
  "migrations/0002_index.sql": "CREATE INDEX customers_email_idx ON customers (email);\n",
};

async function migrated(): Promise<{ url: string; project: string; scratch: string[] }> {
  const url = await freshDatabase("verifycli");
  const project = tempFolder(MIGRATIONS, "dbpipe-project-");
  const up = await runCli(["up", "--database-url", url], { cwd: project });
  expect(up.code).toBe(0);
  return { url, project, scratch: ["--scratch-url", inject("adminUrl")] };
}

describe("dbpipe verify", () => {
  it("exits 0 on an untouched database; 1 with the old and new type of a column changed by hand", async () => {
    const { url, project, scratch } = await migrated();
    const clean = await runCli(["verify", "--database-url", url, ...scratch], { cwd: project });
    expect(clean.stderr).toBe("");
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain("compared with 2 migrations applied to a scratch database on the --scratch-url server");
    expect(clean.stdout).toContain("No drift");

    await withClient(url, (c) => c.query("ALTER TABLE customers ALTER COLUMN score TYPE bigint"));
    const drifted = await runCli(["verify", "--database-url", url, ...scratch], { cwd: project });
    expect(drifted.code).toBe(1);
    expect(drifted.stdout).toContain("changed column public.customers.score type: integer → bigint");
    expect(drifted.stdout).toContain("1 difference: the database has drifted from its migrations.");

    const json = await runCli(["verify", "--json", "--database-url", url, ...scratch], { cwd: project });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      drift: true,
      applied: ["0001", "0002"],
      differences: [{ kind: "column", name: "public.customers.score", change: "changed", attribute: "type", expected: "integer", actual: "bigint" }],
    });

    const sql = await runCli(["verify", "--sql", "--database-url", url, ...scratch], { cwd: project });
    expect(sql.code).toBe(1);
    expect(sql.stdout).toContain("ALTER TABLE public.customers ALTER COLUMN score TYPE integer USING score::integer;");
    // --sql never runs it.
    const still = await runCli(["verify", "--database-url", url, ...scratch], { cwd: project });
    expect(still.code).toBe(1);
  });

  it("refuses (2), as status does, when an applied migration's file was changed or is gone, and prints no SQL from it", async () => {
    const { url, project, scratch } = await migrated();
    const file = path.join(project, "migrations/0002_index.sql");
    fs.writeFileSync(file, "DROP TABLE customers;\n");
    const status = await runCli(["status", "--database-url", url], { cwd: project });
    expect(status.code).toBe(2);
    const changed = /migrations\/0002_index\.sql was changed after it was applied on [^\n]*/.exec(status.stdout)![0];

    const sql = await runCli(["verify", "--sql", "--database-url", url, ...scratch], { cwd: project });
    expect(sql.code).toBe(2);
    expect(sql.stdout).toBe("");
    expect(sql.stderr).toContain(changed);
    expect(sql.stderr).toContain("Nothing was compared");
    const json = await runCli(["verify", "--json", "--database-url", url, ...scratch], { cwd: project });
    expect(json.code).toBe(2);
    expect(json.stdout).not.toContain("DROP TABLE");

    fs.rmSync(file);
    const gone = await runCli(["verify", "--database-url", url, ...scratch], { cwd: project });
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/version 0002 \(index\) was applied on .* but its file is gone/);

    fs.writeFileSync(file, MIGRATIONS["migrations/0002_index.sql"]);
    expect((await runCli(["verify", "--database-url", url, ...scratch], { cwd: project })).code).toBe(0);
  });

  it("wrong input: a bad --scratch-url (2), an unreachable one (3), a missing migrations folder (2), an unreachable database (3)", async () => {
    const { url, project } = await migrated();
    const bad = await runCli(["verify", "--database-url", url, "--scratch-url", "mysql://x"], { cwd: project });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--scratch-url must be a postgres:// or postgresql:// URL");

    const gone = await runCli(["verify", "--database-url", url, "--scratch-url", "postgres://u:scratch-pw@127.0.0.1:1/postgres"], { cwd: project });
    expect(gone.code).toBe(3);
    expect(gone.stderr).toContain("cannot connect to postgres://u:***@127.0.0.1:1/postgres");
    expect(gone.stderr).not.toContain("scratch-pw");

    const noDir = await runCli(["verify", "--database-url", url, "--dir", "nope", "--scratch-url", inject("adminUrl")], { cwd: project });
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toContain("nope: no such folder");

    const down = await runCli(["verify", "--database-url", "postgres://u:pw@127.0.0.1:1/x", "--scratch-url", inject("adminUrl")], { cwd: project });
    expect(down.code).toBe(3);
  });
});
