import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { FolderStore } from "../../src/backup/folder-store";
import { findPgDump, findPgTool } from "../../src/backup/pg-dump";
import { BackupIntegrityError, HELD_BYTES, restoreBackup } from "../../src/backup/restore";
import { takeBackup } from "../../src/backup/take-backup";
import { freshDatabase, withClient } from "../helpers/database";
import { tempFolder } from "../helpers/project";
import { flippedAt, tableCounts } from "./table-counts";

/** A database with a table of `rows` rows. */
async function seededDatabase(rows: number): Promise<string> {
  const url = await freshDatabase("bk");
  await withClient(url, (c) => c.query(`CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes SELECT g, md5(g::text) FROM generate_series(1, ${rows}) g`));
  return url;
}

describe("takeBackup into a local folder", () => {
  it("streams pg_dump -Fc into the folder with a manifest that matches the dump and holds no password", async () => {
    const url = await seededDatabase(2000);
    const password = decodeURIComponent(new URL(url).password);
    const folder = path.join(tempFolder(), "backups");
    const store = new FolderStore(folder);
    const seen: number[] = [];
    const backup = await withClient(url, (client) =>
      takeBackup(store, {
        url,
        client,
        stack: "test",
        head: "0004",
        pending: [{ version: "0005", name: "drop_notes", checksum: "c".repeat(64) }],
        onProgress: (p) => seen.push(p.bytes),
      }),
    );
    const { manifest } = backup;
    expect(manifest.id).toMatch(/^test-\d{8}T\d{6}\.\d{3}Z-before-0005$/);
    const dump = fs.readFileSync(path.join(folder, `${manifest.id}.dump`));
    expect(dump.subarray(0, 5).toString()).toBe("PGDMP"); // pg_dump's custom format
    expect(manifest).toMatchObject({ stack: "test", head: "0004", format: "custom", serverMajor: 15, bytes: dump.length });
    expect(manifest.sha256).toBe(createHash("sha256").update(dump).digest("hex"));
    expect(manifest.before).toEqual([{ version: "0005", name: "drop_notes", checksum: "c".repeat(64) }]);
    expect(manifest.serverVersion).toMatch(/^15\.\d+/);
    expect(seen.at(-1)).toBe(dump.length);
    expect(backup.ref).toBe(`file:${path.join(folder, `${manifest.id}.dump`)}`);
    const manifestText = fs.readFileSync(path.join(folder, `${manifest.id}.json`), "utf8");
    expect(password.length).toBeGreaterThan(3);
    expect(manifestText).not.toContain(password);
    expect(JSON.parse(manifestText)).toEqual(manifest);
    expect(fs.statSync(path.join(folder, `${manifest.id}.dump`)).mode & 0o777).toBe(0o600);
    expect((await store.list()).map((b) => b.manifest.id)).toEqual([manifest.id]);
  });

  it("leaves no manifest and no partial dump when pg_dump fails, and says why without the password", async () => {
    const url = await seededDatabase(1);
    const password = decodeURIComponent(new URL(url).password);
    const missing = new URL(url);
    missing.pathname = "/no_such_database_here";
    const folder = path.join(tempFolder(), "backups");
    const store = new FolderStore(folder);
    const failed = withClient(url, (client) => takeBackup(store, { url: missing.toString(), client, stack: "test", head: null, pending: [] }));
    await expect(failed).rejects.toThrow(/pg_dump failed \(exit 1\): .*no_such_database_here/);
    const message = await failed.catch((e: Error) => e.message);
    expect(message).not.toContain(password);
    expect(fs.readdirSync(folder)).toEqual([]);
    expect(await store.list()).toEqual([]);
  });

  it("says exactly what to install when pg_dump is older than the server", () => {
    const pgDump = findPgDump(15);
    expect(() => findPgDump(pgDump.major + 1)).toThrow(
      `pg_dump ${pgDump.version} (${pgDump.path}) cannot dump a PostgreSQL ${pgDump.major + 1} server: pg_dump's major version must be at least the server's. ` +
        `Install the PostgreSQL ${pgDump.major + 1} client (Debian and Ubuntu: apt-get install postgresql-client-${pgDump.major + 1}; macOS: brew install libpq), or set DBPIPE_PG_DUMP to its pg_dump`,
    );
    expect(() => findPgTool("pg_restore", 15, { PATH: "", DBPIPE_PG_RESTORE: "/nowhere/pg_restore" })).toThrow(
      "pg_restore is needed to restore a backup and was not found at DBPIPE_PG_RESTORE=/nowhere/pg_restore: install the PostgreSQL 15 client",
    );
  });
});

describe("restoreBackup from a local folder", () => {
  it("a dump damaged before or within its held-back bytes, or cut short, restores nothing and names its file; the intact dump restores with progress", { timeout: 120_000 }, async () => {
    const url = await freshDatabase("bkfolder");
    // Hashes compress badly: a dump of several MiB, more than the bytes held back.
    await withClient(url, (c) => c.query("CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 120000) g"));
    const folder = path.join(tempFolder(), "backups");
    const store = new FolderStore(folder);
    const backup = await withClient(url, (client) => takeBackup(store, { url, client, stack: "test", head: null, pending: [] }));
    const file = path.join(folder, `${backup.manifest.id}.dump`);
    const whole = fs.readFileSync(file);
    expect(whole.length).toBeGreaterThan(2 * HELD_BYTES);
    const flipped = (at: number) => flippedAt(whole, at);
    const cases: [string, Buffer][] = [
      ["a byte flipped before the held-back bytes", flipped(whole.length - HELD_BYTES - 4096)],
      ["its last byte flipped", flipped(whole.length - 1)],
      ["cut short by 100 bytes", whole.subarray(0, whole.length - 100)],
    ];
    for (const [what, body] of cases) {
      fs.writeFileSync(file, body);
      const target = await freshDatabase("bkfolderbad");
      const failed = await withClient(target, (client) => restoreBackup(store, backup.manifest.id, { to: target, client })).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failed, what).toBeInstanceOf(BackupIntegrityError);
      expect((failed as Error).message, what).toBe(
        `backup ${backup.manifest.id} in ${store.url} is damaged: its dump ${file} has ${body.length} bytes with sha256 ${createHash("sha256").update(body).digest("hex")}, ` +
          `its manifest says ${whole.length} bytes with sha256 ${backup.manifest.sha256}; nothing was restored`,
      );
      expect(await tableCounts(target), what).toEqual({});
    }
    fs.writeFileSync(file, whole);
    const target = await freshDatabase("bkfolderok");
    const seen: { phase: string; bytes: number; total: number }[] = [];
    await withClient(target, (client) => restoreBackup(store, backup.manifest.id, { to: target, client, onProgress: ({ phase, bytes, total }) => seen.push({ phase, bytes, total }) }));
    expect(await tableCounts(target)).toEqual({ "public.notes": 120_000 });
    // Every byte came through the restore's fixed buffer (several MiB through 2 MiB) unchanged.
    const digest = (db: string) => withClient(db, async (c) => (await c.query<{ d: string }>("SELECT md5(string_agg(id || ':' || body, ',' ORDER BY id)) AS d FROM notes")).rows[0].d);
    expect(await digest(target)).toBe(await digest(url));
    expect(new Set(seen.map((p) => p.phase))).toEqual(new Set(["restoring"]));
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)).toEqual({ phase: "restoring", bytes: whole.length, total: whole.length });
  });
});
