import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { FolderStore } from "../../src/backup/folder-store";
import { FailureError } from "../../src/errors";
import { openBackupStore } from "../../src/backup/open-store";
import { S3Store } from "../../src/backup/s3-store";
import type { BackupManifest, StoredFacts } from "../../src/backup/store";
import { tempFolder } from "../helpers/project";
import { readDump } from "./table-counts";

const DAY = 24 * 60 * 60 * 1000;

function manifestFor(id: string, createdAt: Date, stack = "dev") {
  return (facts: StoredFacts): BackupManifest => ({
    id,
    stack,
    createdAt: createdAt.toISOString(),
    head: "0003",
    before: [],
    ...facts,
    pgDumpVersion: "15.18",
    serverVersion: "15.18",
    serverMajor: 15,
    format: "custom",
    restore: "dbpipe restore",
  });
}

describe("the local folder store", () => {
  it("lists only backups with a manifest, newest first, and opens one by id", async () => {
    const folder = tempFolder();
    const store = new FolderStore(folder);
    await store.put("dev-a", Readable.from([Buffer.from("first")]), manifestFor("dev-a", new Date("2026-11-01T00:00:00Z")));
    await store.put("dev-b", Readable.from([Buffer.from("second")]), manifestFor("dev-b", new Date("2026-11-02T00:00:00Z")));
    fs.writeFileSync(path.join(folder, "dev-c.dump"), "a dump whose manifest was never written");
    expect((await store.list()).map((b) => b.manifest.id)).toEqual(["dev-b", "dev-a"]);
    const opened = await store.open("dev-a");
    expect(opened.manifest).toMatchObject({ bytes: 5, sha256: "a7937b64b8caa58f03721bb6bacf5c78cb235febe0e70b1b84cd99541461a08e" });
    expect((await readDump(opened.dump)).toString()).toBe("first");
    await expect(store.open("dev-c")).rejects.toThrow(`there is no backup dev-c in file://${folder} (dbpipe backups lists them)`);
    await expect(store.put("dev-a", Readable.from([Buffer.from("again")]), manifestFor("dev-a", new Date()))).rejects.toThrow("backup dev-a already exists");
    await expect(store.open("../etc/passwd")).rejects.toThrow('"../etc/passwd" is not a backup id');
  });

  it("a dump that fails part way leaves no manifest and no partial file", async () => {
    const folder = tempFolder();
    const store = new FolderStore(folder);
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(64 * 1024, 1));
        this.destroy(new Error("pg_dump died"));
      },
    });
    await expect(store.put("dev-x", failing, manifestFor("dev-x", new Date()))).rejects.toThrow("pg_dump died");
    expect(fs.readdirSync(folder)).toEqual([]);
  });

  it("removes the partial files of dead runs on the next backup or listing, never those of a live run or another machine", async () => {
    const folder = tempFolder();
    const store = new FolderStore(folder);
    const host = os.hostname().replace(/[^A-Za-z0-9-]+/g, "-");
    const ended = spawnSync(process.execPath, ["-e", "0"]).pid!;
    const files = {
      dead: `dev-killed.dump.${ended}-12345-${host}.partial`,
      // A pid a new process took after the writer died: its start time is not the writer's.
      reused: `dev-reused.dump.${process.pid}-1-${host}.partial`,
      deadManifest: `dev-killed2.json.${ended}-12345-${host}.partial`,
      otherMachine: `dev-elsewhere.dump.${ended}-12345-another-host.partial`,
      olderNaming: "dev-old.dump.partial",
    };
    for (const name of Object.values(files)) fs.writeFileSync(path.join(folder, name), "left by a run");
    expect(await store.list()).toEqual([]);
    expect(fs.readdirSync(folder).sort()).toEqual([files.olderNaming, files.otherMachine].sort());

    // A backup being written now in another process (this one, here) is left alone.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* slowDump(): AsyncGenerator<Buffer> {
      yield Buffer.from("half ");
      await gate;
      yield Buffer.from("whole");
    }
    const writing = store.put("dev-live", slowDump(), manifestFor("dev-live", new Date()));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const live = fs.readdirSync(folder).filter((n) => n.startsWith("dev-live.dump.") && n.endsWith(".partial"));
    expect(live).toHaveLength(1);
    expect(await new FolderStore(folder).list()).toEqual([]);
    await new FolderStore(folder).put("dev-other", Readable.from([Buffer.from("another")]), manifestFor("dev-other", new Date()));
    expect(fs.existsSync(path.join(folder, live[0]))).toBe(true);
    release();
    await writing;
    expect((await store.list()).map((b) => b.manifest.id).sort()).toEqual(["dev-live", "dev-other"]);
    expect(fs.readFileSync(path.join(folder, "dev-live.dump"), "utf8")).toBe("half whole");
  });

  it("prunes backups older than the retention days after storing a new one", async () => {
    const folder = tempFolder();
    const now = new Date("2026-12-01T12:00:00Z").getTime();
    const store = new FolderStore(folder, { retentionDays: 7, now: () => now });
    const old = new FolderStore(folder);
    await old.put("dev-old", Readable.from([Buffer.from("8 days old")]), manifestFor("dev-old", new Date(now - 8 * DAY)));
    await old.put("dev-recent", Readable.from([Buffer.from("6 days old")]), manifestFor("dev-recent", new Date(now - 6 * DAY)));
    fs.writeFileSync(path.join(folder, "dev-killed.dump.partial"), "left by a killed run");
    fs.utimesSync(path.join(folder, "dev-killed.dump.partial"), new Date(now - 9 * DAY), new Date(now - 9 * DAY));
    await store.put("dev-new", Readable.from([Buffer.from("today")]), manifestFor("dev-new", new Date(now)));
    expect((await store.list()).map((b) => b.manifest.id)).toEqual(["dev-new", "dev-recent"]);
    expect(fs.readdirSync(folder).sort()).toEqual(["dev-new.dump", "dev-new.json", "dev-recent.dump", "dev-recent.json"]);
  });
});

describe("a folder shared by several stacks", () => {
  it("each stack's retention deletes only its own backups", async () => {
    const folder = tempFolder();
    const now = new Date("2026-12-01T12:00:00Z").getTime();
    const shared = new FolderStore(folder);
    await shared.put("test-10d", Readable.from([Buffer.from("test, 10 days old")]), manifestFor("test-10d", new Date(now - 10 * DAY), "test"));
    await shared.put("prod-20d", Readable.from([Buffer.from("prod, 20 days old")]), manifestFor("prod-20d", new Date(now - 20 * DAY), "prod"));
    await shared.put("dev-8d", Readable.from([Buffer.from("dev, 8 days old")]), manifestFor("dev-8d", new Date(now - 8 * DAY), "dev"));
    const dev = new FolderStore(folder, { retentionDays: 7, now: () => now });
    await dev.put("dev-new", Readable.from([Buffer.from("dev, today")]), manifestFor("dev-new", new Date(now), "dev"));
    expect((await shared.list()).map((b) => b.manifest.id)).toEqual(["dev-new", "test-10d", "prod-20d"]);
    const test = new FolderStore(folder, { retentionDays: 14, now: () => now });
    await test.put("test-new", Readable.from([Buffer.from("test, today")]), manifestFor("test-new", new Date(now), "test"));
    expect((await shared.list()).map((b) => b.manifest.id)).toEqual(["test-new", "dev-new", "test-10d", "prod-20d"]);
  });
});

describe("files in the folder that are not backups", () => {
  /** A folder with one backup, notes.json, a manifest cut short beside its dump, and a manifest copied under another backup's name. */
  async function folderWithStrangers(): Promise<{ folder: string; good: string }> {
    const folder = tempFolder();
    const now = Date.now();
    const store = new FolderStore(folder);
    await store.put("dev-good", Readable.from([Buffer.from("good")]), manifestFor("dev-good", new Date(now - 30 * DAY)));
    await store.put("dev-cut", Readable.from([Buffer.from("cut")]), manifestFor("dev-cut", new Date(now - 30 * DAY)));
    const cut = path.join(folder, "dev-cut.json");
    fs.writeFileSync(cut, fs.readFileSync(cut, "utf8").slice(0, 40));
    fs.writeFileSync(path.join(folder, "notes.json"), JSON.stringify({ note: "dev backups live here" }));
    fs.writeFileSync(path.join(folder, "dev-copy.dump"), "another dump");
    fs.copyFileSync(path.join(folder, "dev-good.json"), path.join(folder, "dev-copy.json"));
    return { folder, good: "dev-good" };
  }

  it("lists past them: a .json without a dump silently, a damaged or misnamed manifest beside a dump with a warning", async () => {
    const { folder } = await folderWithStrangers();
    const warnings: string[] = [];
    const store = new FolderStore(folder, { onWarning: (w) => warnings.push(w) });
    expect((await store.list()).map((b) => b.manifest.id)).toEqual(["dev-good"]);
    expect(warnings.sort()).toEqual([
      `${folder}/dev-copy.dump is not listed as a backup: its manifest ${folder}/dev-copy.json names backup "dev-good"; dbpipe leaves both files as they are`,
      expect.stringMatching(new RegExp(`^${folder}/dev-cut\\.dump is not listed as a backup: ${folder}/dev-cut\\.json is not a backup manifest: .+; dbpipe leaves both files as they are \\(pg_restore can still read the dump by hand\\)$`)),
    ]);
  });

  it("a backup into such a folder succeeds, and its retention deletes none of what it cannot read", async () => {
    const { folder } = await folderWithStrangers();
    const before = fs.readdirSync(folder).sort();
    const store = new FolderStore(folder, { retentionDays: 7 });
    const stored = await store.put("dev-new", Readable.from([Buffer.from("new")]), manifestFor("dev-new", new Date()));
    expect(stored.manifest.id).toBe("dev-new");
    // dev-good is 30 days old: retention deletes it, and nothing else.
    expect(fs.readdirSync(folder).sort()).toEqual([...before.filter((n) => !n.startsWith("dev-good.")), "dev-new.dump", "dev-new.json"].sort());
  });
});

describe("a backup folder that cannot be one", () => {
  it("a file where the folder, or a folder above it, should be: a FailureError naming it, before anything is dumped", async () => {
    const file = path.join(tempFolder(), "afile");
    fs.writeFileSync(file, "not a folder");
    let dumped = false;
    async function* dump(): AsyncGenerator<Buffer> {
      dumped = true;
      yield Buffer.from("x");
    }
    const atFile = await new FolderStore(file).put("dev-a", dump(), manifestFor("dev-a", new Date())).catch((e: unknown) => e);
    expect(atFile).toBeInstanceOf(FailureError);
    expect((atFile as Error).message).toBe(`the backup folder ${file} cannot be written: it is a file, not a folder (EEXIST)`);
    const below = await new FolderStore(path.join(file, "sub")).put("dev-a", dump(), manifestFor("dev-a", new Date())).catch((e: unknown) => e);
    expect(below).toBeInstanceOf(FailureError);
    expect((below as Error).message).toBe(`the backup folder ${file}/sub cannot be written: ${file} is a file, not a folder (ENOTDIR)`);
    expect(dumped).toBe(false);
    await expect(new FolderStore(file).list()).rejects.toThrow(`the backup folder ${file} cannot be read: it is a file, not a folder (ENOTDIR)`);
    expect(fs.readFileSync(file, "utf8")).toBe("not a folder");
  });

  it("a folder this user may not write: a FailureError saying so", () => {
    const parent = tempFolder();
    fs.chmodSync(parent, 0o555);
    // As root every folder is writable: the check runs as nobody then.
    const script = `
      const { Readable } = require("node:stream");
      const { FolderStore } = require("./src/backup/folder-store");
      new FolderStore(${JSON.stringify(path.join(parent, "backups"))})
        .put("dev-a", Readable.from([Buffer.from("x")]), () => { throw new Error("dumped"); })
        .then(() => console.log("stored"), (e) => console.log(e.constructor.name + ": " + e.message));`;
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const run = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { cwd: path.resolve(__dirname, "../.."), encoding: "utf8", ...asNobody });
    expect(run.stderr).toBe("");
    expect(run.stdout.trim()).toBe(`FailureError: the backup folder ${parent}/backups cannot be written: permission denied: this user may not create it in ${parent} (EACCES)`);
  });

  it.runIf(fs.existsSync("/proc/self"))("a folder under /proc, which takes no new folders: a FailureError saying so, at once, before anything is dumped", () => {
    // In a child process, killed after 20 s: fs.mkdirSync(..., { recursive: true }) spun there forever at 100% CPU.
    const script = `
      const { Readable } = require("node:stream");
      const { FolderStore } = require("./src/backup/folder-store");
      new FolderStore("/proc/forbidden/backups")
        .put("dev-a", Readable.from([Buffer.from("x")]), () => { throw new Error("dumped"); })
        .then(() => console.log("stored"), (e) => console.log(e.constructor.name + ": " + e.message));`;
    const run = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { cwd: path.resolve(__dirname, "../.."), encoding: "utf8", timeout: 20_000 });
    expect(run.signal).toBeNull();
    expect(run.stderr).toBe("");
    expect(run.stdout.trim()).toBe(
      'FailureError: the backup folder /proc/forbidden/backups cannot be written: /proc takes no new folders (a virtual file system such as /proc or /sys): mkdir /proc/forbidden says "no such file or directory" although /proc exists (ENOENT)',
    );
  });
});

describe("a backup folder someone named that does not exist", () => {
  it("is a FailureError naming the folder and who named it, when listed or opened: a mistyped path is not an empty store", async () => {
    const missing = path.join(tempFolder(), "no", "such");
    const store = new FolderStore(missing, { namedBy: "--store" });
    const message = `the backup folder ${missing} (--store) does not exist: check the path (a backup creates the folder it is given; listing and restoring only read one)`;
    const listed = await store.list().catch((e: unknown) => e);
    expect(listed).toBeInstanceOf(FailureError);
    expect((listed as Error).message).toBe(message);
    await expect(store.open("dev-a")).rejects.toThrow(message);
    expect(fs.existsSync(missing)).toBe(false);
  });

  it("is made by the first backup into it, and lists from then on", async () => {
    const missing = path.join(tempFolder(), "no", "such");
    const store = new FolderStore(missing, { namedBy: "DBPIPE_BACKUP_STORE" });
    await store.put("dev-a", Readable.from([Buffer.from("x")]), manifestFor("dev-a", new Date()));
    expect((await store.list()).map((b) => b.manifest.id)).toEqual(["dev-a"]);
    await expect(store.open("dev-b")).rejects.toThrow(`there is no backup dev-b in ${store.url} (dbpipe backups lists them)`);
  });

  it("a folder nobody named (the CLI's own .dbpipe/<stack>/backups/) lists as empty until its first backup", async () => {
    const missing = path.join(tempFolder(), ".dbpipe", "dev", "backups");
    expect(await new FolderStore(missing).list()).toEqual([]);
    await expect(new FolderStore(missing).open("dev-a")).rejects.toThrow(`there is no backup dev-a in ${pathToFileURL(missing)} (dbpipe backups lists them)`);
  });

  it("openBackupStore: a store URL given with its source is one someone named", async () => {
    const missing = path.join(tempFolder(), "typo");
    await expect(openBackupStore(pathToFileURL(missing).toString(), { source: "DBPIPE_BACKUP_STORE" }).list()).rejects.toThrow(
      `the backup folder ${missing} (DBPIPE_BACKUP_STORE) does not exist`,
    );
    expect(await openBackupStore(pathToFileURL(missing).toString()).list()).toEqual([]);
  });
});

describe("openBackupStore", () => {
  it("opens file:// and s3:// URLs", () => {
    const folder = openBackupStore("file:///var/backups/dbpipe/");
    expect(folder).toBeInstanceOf(FolderStore);
    expect(folder.url).toBe("file:///var/backups/dbpipe");
    const bucket = openBackupStore("s3://acme-dbpipe-prod-backups/prod/");
    expect(bucket).toBeInstanceOf(S3Store);
    expect(bucket.url).toBe("s3://acme-dbpipe-prod-backups/prod");
    expect(openBackupStore("s3://acme-backups").url).toBe("s3://acme-backups");
  });

  it("refuses what it cannot open, naming where the URL came from", () => {
    const open = (url: string) => () => openBackupStore(url, { source: "--store" });
    expect(open("backups/")).toThrow('--store "backups/" is not a URL: expected file:///absolute/folder or s3://bucket/prefix');
    expect(open("file://backups/dev")).toThrow('--store "file://backups/dev" names a host: a folder is file:///absolute/folder (three slashes)');
    // A relative path would parse as a folder at the root (file:relative is /relative).
    for (const url of ["file:relative", "file:./backups", "file:backups/dev"]) {
      expect(open(url), url).toThrow(`--store ${JSON.stringify(url)} is not an absolute folder URL: a folder is file:///absolute/folder`);
    }
    expect(openBackupStore("file:///tmp/x").url).toBe("file:///tmp/x");
    expect(openBackupStore("FILE:///tmp/x").url).toBe("file:///tmp/x");
    expect(openBackupStore("file:/tmp/x").url).toBe("file:///tmp/x");
    expect(open("gs://bucket/x")).toThrow('--store "gs://bucket/x" has an unknown scheme "gs:"');
    expect(open("s3://Bad_Bucket/x")).toThrow('"Bad_Bucket" is not an S3 bucket name');
    expect(open("s3://AKIAKEY:s3cretKey@bucket/x")).toThrow("--store: an s3:// URL takes no credentials");
    expect(() => openBackupStore("s3://AKIAKEY:s3cretKey@bucket/x")).not.toThrow(/s3cretKey/);
  });
});
