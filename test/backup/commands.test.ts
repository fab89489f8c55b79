import * as fs from "node:fs";
import * as path from "node:path";
import S3rver from "s3rver";
import { describe, expect, it } from "vitest";
import { REPO, runCli } from "../helpers/cli";
import { freshDatabase, withClient } from "../helpers/database";
import { tempFolder } from "../helpers/project";
import { tableCounts } from "./table-counts";

/**
 * `dbpipe backup`, `dbpipe backups` and `dbpipe restore` as a user runs them: the built CLI, real
 * pg_dump and pg_restore, a real PostgreSQL.
 */

/** A project with the sample migrations. */
function sampleProject(): string {
  const files: Record<string, string> = {};
  for (const name of fs.readdirSync(path.join(REPO, "migrations"))) files[`migrations/${name}`] = fs.readFileSync(path.join(REPO, "migrations", name), "utf8");
  return tempFolder(files, "dbpipe-backup-");
}

/** A database with the sample schema (migrated with `dbpipe up`) and some rows of our own. */
async function migratedDatabase(project: string): Promise<string> {
  const url = await freshDatabase("bkcli");
  const up = await runCli(["up", "--database-url", url], { cwd: project });
  expect(up.code).toBe(0);
  await withClient(url, (c) => c.query("CREATE TABLE public.drill_notes (id int PRIMARY KEY, body text); INSERT INTO public.drill_notes SELECT g, repeat('x', 100) FROM generate_series(1, 1500) g"));
  return url;
}

function passwordOf(url: string): string {
  return decodeURIComponent(new URL(url).password);
}

describe("dbpipe backup, backups and restore on a local folder", () => {
  it("backs up, lists and restores into an empty database: same tables, same rows; no password anywhere", async () => {
    const project = sampleProject();
    const url = await migratedDatabase(project);
    // Nothing names a store that outlives this machine (no Pulumi CLI here, or a stack never
    // deployed), and the database is not the embedded one: the backup says it is on this machine only.
    const backup = await runCli(["backup", "--database-url", url], { cwd: project });
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/✓ dev-\d{8}T\d{6}\.\d{3}Z \d+\.\d KiB in \d+(\.\d)?m?s/);
    expect(backup.stderr).toMatch(
      /^warning: backup dev-\S+ is only in \.dbpipe\/dev\/backups\/ on this machine \(no --store, no DBPIPE_BACKUP_STORE, and [^)]+\): a CI runner's disk is gone when the job ends.*give --store or DBPIPE_BACKUP_STORE/s,
    );
    // Given a store, nothing to say.
    const given = await runCli(["backup", "--database-url", url, "--store", new URL(`file://${path.join(project, "kept")}`).toString()], { cwd: project });
    expect(given.code).toBe(0);
    expect(given.stderr).toBe("");
    const folder = path.join(project, ".dbpipe/dev/backups");
    const [manifestFile] = fs.readdirSync(folder).filter((f) => f.endsWith(".json"));
    const manifest = JSON.parse(fs.readFileSync(path.join(folder, manifestFile), "utf8"));
    expect(manifest).toMatchObject({ stack: "dev", head: "0005", before: [], format: "custom", serverMajor: 15 });

    const list = await runCli(["backups", "--json"], { cwd: project });
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).backups).toEqual([{ ...manifest, ref: `file:.dbpipe/dev/backups/${manifest.id}.dump` }]);
    const listText = await runCli(["backups"], { cwd: project });
    expect(listText.stdout).toContain(`  ${manifest.id}  `);
    expect(listText.stdout).toContain("1 backup.");

    const target = await freshDatabase("bkto");
    const restore = await runCli(["restore", manifest.id, "--to", target], { cwd: project });
    expect(restore.stderr).toBe("");
    expect(restore.code).toBe(0);
    expect(restore.stdout).toContain("✓ sha256 matches the manifest");
    expect(restore.stdout).toContain(`Restored ${manifest.id} (stack dev,`);
    expect(await tableCounts(target)).toEqual(await tableCounts(url));
    expect((await tableCounts(target))["public.drill_notes"]).toBe(1500);

    for (const run of [backup, list, listText, restore]) {
      expect(run.stdout + run.stderr).not.toContain(passwordOf(url));
      expect(run.stdout + run.stderr).not.toContain(passwordOf(target));
    }
    expect(fs.readFileSync(path.join(folder, manifestFile), "utf8")).not.toContain(passwordOf(url));
  });

  it("refuses a database that is not empty unless --force, and changes nothing when it refuses", async () => {
    const project = sampleProject();
    const url = await migratedDatabase(project);
    const backup = await runCli(["backup", "--json", "--database-url", url], { cwd: project });
    const { id } = JSON.parse(backup.stdout);
    const target = await freshDatabase("bkfull");
    await withClient(target, (c) => c.query("CREATE TABLE keep_me (id int); INSERT INTO keep_me VALUES (1); CREATE TABLE public.drill_notes (id int)"));
    const refused = await runCli(["restore", id, "--to", target], { cwd: project });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("error: the target database is not empty (public.drill_notes (table), public.keep_me (table)): restore into an empty database, or add --force");
    expect(await tableCounts(target)).toEqual({ "public.drill_notes": 0, "public.keep_me": 1 });

    const forced = await runCli(["restore", id, "--to", target, "--force"], { cwd: project });
    expect(forced.stderr).toBe("");
    expect(forced.code).toBe(0);
    const counts = await tableCounts(target);
    expect(counts["public.drill_notes"]).toBe(1500);
    expect(counts["public.keep_me"]).toBe(1);
  });

  it("refuses a dump whose sha256 does not match its manifest, before restoring anything", async () => {
    const project = sampleProject();
    const url = await migratedDatabase(project);
    const { id } = JSON.parse((await runCli(["backup", "--json", "--database-url", url], { cwd: project })).stdout);
    const dump = path.join(project, ".dbpipe/dev/backups", `${id}.dump`);
    const bytes = fs.readFileSync(dump);
    bytes[bytes.length - 100] ^= 0xff;
    fs.writeFileSync(dump, bytes);
    const target = await freshDatabase("bkbad");
    const run = await runCli(["restore", id, "--to", target], { cwd: project });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`error: backup ${id} in file://\\S+ is damaged: its dump ${dump.replace(/[.]/g, "\\.")} has ${bytes.length} bytes with sha256 [0-9a-f]{64}, its manifest says ${bytes.length} bytes with sha256 [0-9a-f]{64}; nothing was restored`));
    expect(await tableCounts(target)).toEqual({});
  });

  it("drills a backup taken before a migration: the history's rows differ by design, its head is what must match", async () => {
    const project = tempFolder({ "migrations/0001_p.sql": "CREATE TABLE p (id int PRIMARY KEY, legacy text);\nINSERT INTO p SELECT g, 'x' FROM generate_series(1, 40) g;\n" }, "dbpipe-drill-");
    fs.writeFileSync(path.join(project, "Pulumi.test.yaml"), "config:\n  dbpipe:tier: test\n");
    const url = await freshDatabase("bkdrill");
    const store = new URL(`file://${path.join(project, "store")}`).toString();
    expect((await runCli(["up", "--stack", "test", "--database-url", url], { cwd: project, env: { DBPIPE_BACKUP_STORE: store } })).code).toBe(0);
    fs.writeFileSync(path.join(project, "migrations/0002_drop_legacy.sql"), "ALTER TABLE p DROP COLUMN legacy;\nUPDATE p SET id = id;\n");
    const up = await runCli(["up", "--stack", "test", "--database-url", url], { cwd: project, env: { DBPIPE_BACKUP_STORE: store } });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain("backing up first: 0002 (high)");
    const drill = await runCli(["restore", "--drill", "--stack", "test", "--store", store, "--database-url", url], { cwd: project });
    expect(drill.stderr).toBe("");
    expect(drill.code).toBe(0);
    expect(drill.stdout).toMatch(/dbpipe\.schema_migrations\s+ends at 0001, as the manifest says\s+✓/);
    expect(drill.stdout).toMatch(/public\.p\s+40\s+40\s+✓/);
    expect(drill.stdout).toContain("its migration history ends where the manifest says.");
  });

  it("drills: restores the newest backup into a scratch database, reports matching row counts, drops it", async () => {
    const project = sampleProject();
    const url = await migratedDatabase(project);
    await runCli(["backup", "--database-url", url], { cwd: project });
    const drill = await runCli(["restore", "--drill", "--json", "--database-url", url], { cwd: project });
    expect(drill.stderr).toBe("");
    expect(drill.code).toBe(0);
    const report = JSON.parse(drill.stdout);
    const { "dbpipe.schema_migrations": historyRows, ...source } = await tableCounts(url);
    expect(historyRows).toBe(5);
    expect(report.matches).toBe(true);
    // dbpipe's own history is compared by its head, not its rows.
    expect(report.tables).toEqual(Object.entries(source).map(([table, n]) => ({ table, sourceRows: n, restoredRows: n })));
    expect(report.history).toEqual({ table: "dbpipe.schema_migrations", manifestHead: "0005", restoredHead: "0005" });
    expect(report.tables.find((t: { table: string }) => t.table === "public.drill_notes")).toEqual({ table: "public.drill_notes", sourceRows: 1500, restoredRows: 1500 });
    const scratch = await withClient(url, async (c) => (await c.query("SELECT datname FROM pg_database WHERE datname = $1", [report.scratchDatabase])).rows);
    expect(scratch).toEqual([]);

    // Rows written since the backup: the drill reports the difference and fails.
    await withClient(url, (c) => c.query("DELETE FROM public.drill_notes WHERE id > 1000"));
    const stale = await runCli(["restore", "--drill", "--database-url", url], { cwd: project });
    expect(stale.code).toBe(3);
    expect(stale.stdout).toMatch(/public\.drill_notes\s+1000\s+1500\s+✗ differs/);
    expect(stale.stdout).toContain("Drill found 1 table that differs from the source.");
  });

  it("says what is wrong with the flags", async () => {
    const project = sampleProject();
    const noTarget = await runCli(["restore", "dev-20261201T000000.000Z"], { cwd: project });
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toContain("error: --to <url> is required: the database to restore dev-20261201T000000.000Z into");
    const missing = await runCli(["restore", "dev-20261201T000000.000Z", "--to", "postgres://u:hunter22@127.0.0.1:1/x"], { cwd: project });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("error: there is no backup dev-20261201T000000.000Z in file://");
    expect(missing.stderr).not.toContain("hunter22");
    const badStore = await runCli(["backups", "--store", "backups/"], { cwd: project });
    expect(badStore.code).toBe(2);
    expect(badStore.stderr).toContain('error: --store "backups/" is not a URL: expected file:///absolute/folder or s3://bucket/prefix');
    const nothing = await runCli(["restore", "--drill", "--database-url", await freshDatabase("bkempty")], { cwd: project });
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain("error: there is no backup to drill in file://");
  });
});

describe("dbpipe backup and restore with an S3 bucket", () => {
  it("backs up into the bucket given by --store, lists it, and restores from it", async () => {
    const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: tempFolder(), configureBuckets: [{ name: "acme-dev-backups", configs: [] }] });
    const { port } = await server.run();
    try {
      const env = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1", AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}` };
      const project = sampleProject();
      const url = await migratedDatabase(project);
      const backup = await runCli(["backup", "--json", "--store", "s3://acme-dev-backups/backups", "--database-url", url], { cwd: project, env });
      expect(backup.stderr).toBe("");
      expect(backup.code).toBe(0);
      const { id, ref } = JSON.parse(backup.stdout);
      expect(ref).toBe(`s3://acme-dev-backups/backups/${id}.dump`);
      expect(fs.existsSync(path.join(project, ".dbpipe/dev/backups"))).toBe(false);
      const list = await runCli(["backups", "--json"], { cwd: project, env: { ...env, DBPIPE_BACKUP_STORE: "s3://acme-dev-backups/backups" } });
      expect(JSON.parse(list.stdout).backups.map((b: { id: string }) => b.id)).toEqual([id]);
      const target = await freshDatabase("bks3");
      const restore = await runCli(["restore", id, "--to", target, "--store", "s3://acme-dev-backups/backups"], { cwd: project, env });
      expect(restore.stderr).toBe("");
      expect(restore.code).toBe(0);
      expect(await tableCounts(target)).toEqual(await tableCounts(url));
    } finally {
      await server.close();
    }
  });
});
