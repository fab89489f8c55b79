import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBackupStore } from "../../src/backup/open-store";
import { connectionFor, findPgTool } from "../../src/backup/pg-dump";
import { BackupIntegrityError, HELD_BYTES, restoreBackup } from "../../src/backup/restore";
import { MIN_PART_SIZE, PartUpload, S3Store } from "../../src/backup/s3-store";
import type { BackupManifest, BackupStore, StoredFacts } from "../../src/backup/store";
import { takeBackup } from "../../src/backup/take-backup";
import { freshDatabase, withClient } from "../helpers/database";
import { tempFolder } from "../helpers/project";
import { flippedAt, readDump, tableCounts } from "./table-counts";

/**
 * The S3 store against an S3-protocol server on loopback (s3rver), through the AWS SDK as in the
 * cloud: credentials and endpoint from the environment, multipart uploads, listing, downloads.
 */

const BUCKET = "dbpipe-test-backups";
let server: S3rver;
let endpoint: string;
/** Every request the server received: `METHOD /bucket/key?query`. */
const requests: string[] = [];
const env = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "eu-west-1" };
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: tempFolder(), configureBuckets: [{ name: BUCKET, configs: [] }] });
  const address = await server.run();
  endpoint = `http://127.0.0.1:${address.port}`;
  (server as unknown as { httpServer: import("node:http").Server }).httpServer.on("request", (req) => requests.push(`${req.method} ${req.url}`));
  for (const [k, v] of Object.entries({ ...env, AWS_ENDPOINT_URL_S3: endpoint })) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});

afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await server?.close();
});

function s3(): S3Client {
  return new S3Client({ endpoint, forcePathStyle: true, region: env.AWS_REGION, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
}

async function keys(prefix: string): Promise<string[]> {
  const page = await s3().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (page.Contents ?? []).map((o) => o.Key!).sort();
}

function manifestFor(id: string) {
  return (facts: StoredFacts): BackupManifest => ({
    id,
    stack: "prod",
    createdAt: new Date().toISOString(),
    head: "0004",
    before: [],
    ...facts,
    pgDumpVersion: "15.18",
    serverVersion: "15.18",
    serverMajor: 15,
    format: "custom",
    restore: "dbpipe restore",
  });
}

/** `total` bytes of a deterministic pattern, `chunk` bytes at a time, never all in memory. */
function patternStream(total: number, chunk = 256 * 1024, failAfter?: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (failAfter !== undefined && sent >= failAfter) return void this.destroy(new Error("pg_dump failed (exit 1): connection lost"));
      if (sent >= total) return void this.push(null);
      const n = Math.min(chunk, total - sent);
      const buf = Buffer.alloc(n);
      for (let i = 0; i < n; i += 4096) buf.writeUInt32BE((sent + i) >>> 0, i);
      sent += n;
      this.push(buf);
    },
  });
}

describe("the S3 store", () => {
  it("uploads a dump larger than one part as a multipart upload, then its manifest, and reads it back whole", async () => {
    const store = new S3Store(BUCKET, "prod", { partSize: MIN_PART_SIZE, queueSize: 2 });
    const total = 2 * MIN_PART_SIZE + 12345; // three parts
    const expected = createHash("sha256");
    for await (const c of patternStream(total)) expected.update(c as Buffer);
    const stored = await store.put("prod-big", patternStream(total), manifestFor("prod-big"));
    expect(stored.ref).toBe(`s3://${BUCKET}/prod/prod-big.dump`);
    expect(stored.manifest).toMatchObject({ bytes: total, sha256: expected.digest("hex") });
    expect(await keys("prod/")).toEqual(["prod/prod-big.dump", "prod/prod-big.json"]);
    // As S3 saw it: one multipart upload of three parts, completed.
    const dumpRequests = requests.filter((r) => r.includes("/prod/prod-big.dump"));
    expect(dumpRequests.filter((r) => /^POST .*\?uploads/.test(r))).toHaveLength(1);
    expect(dumpRequests.filter((r) => /^PUT .*partNumber=/.test(r))).toHaveLength(3);
    expect(dumpRequests.filter((r) => /^POST .*uploadId=/.test(r))).toHaveLength(1);
    const { manifest, dump } = await store.open("prod-big");
    expect(manifest).toEqual(stored.manifest);
    const got = createHash("sha256");
    let bytes = 0;
    for await (const c of dump) {
      got.update(c as Buffer);
      bytes += (c as Buffer).length;
    }
    expect({ bytes, sha256: got.digest("hex") }).toEqual({ bytes: total, sha256: manifest.sha256 });
    expect((await store.list()).map((b) => b.manifest.id)).toEqual(["prod-big"]);
  });

  it("holds at most queueSize + 1 part buffers, reused part after part, and doubles the part size as the part count grows", async () => {
    const client = s3();
    const sent: { part: number; bytes: number; buffer: ArrayBufferLike }[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { PartNumber?: number; Body?: Buffer };
        if (context.commandName === "UploadPartCommand" && input.Body) sent.push({ part: input.PartNumber!, bytes: input.Body.length, buffer: input.Body.buffer });
        return next(args);
      },
      { step: "initialize" },
    );
    // Lent chunks, as pg_dump's reader yields them: one 300 KiB buffer refilled for every chunk.
    const total = 4 * MIN_PART_SIZE + 4 * 2 * MIN_PART_SIZE + 777_777;
    const expected = createHash("sha256");
    async function* lent(): AsyncGenerator<Buffer> {
      const buffer = Buffer.alloc(300 * 1024);
      for (let at = 0; at < total; at += buffer.length) {
        const n = Math.min(buffer.length, total - at);
        for (let i = 0; i < n; i++) buffer[i] = ((at + i) * 31) & 0xff;
        expected.update(buffer.subarray(0, n));
        yield buffer.subarray(0, n);
      }
    }
    // One part in flight while the next fills; the size doubles every 4 parts.
    const upload = new PartUpload(client, BUCKET, "parts/lent.dump", MIN_PART_SIZE, 1, 4);
    await upload.run(lent());
    expect(sent.map((s) => [s.part, s.bytes]).sort((a, b) => a[0] - b[0])).toEqual([
      [1, MIN_PART_SIZE],
      [2, MIN_PART_SIZE],
      [3, MIN_PART_SIZE],
      [4, MIN_PART_SIZE],
      [5, 2 * MIN_PART_SIZE],
      [6, 2 * MIN_PART_SIZE],
      [7, 2 * MIN_PART_SIZE],
      [8, 2 * MIN_PART_SIZE],
      [9, 777_777],
    ]);
    // Memory: never more than queueSize + 1 buffers of a size, whatever the number of parts.
    for (const size of [MIN_PART_SIZE, 2 * MIN_PART_SIZE]) expect(new Set(sent.filter((s) => s.bytes === size).map((s) => s.buffer)).size).toBeLessThanOrEqual(2);
    const got = await s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: "parts/lent.dump" }));
    const body = Buffer.from(await got.Body!.transformToByteArray());
    expect({ bytes: body.length, sha256: createHash("sha256").update(body).digest("hex") }).toEqual({ bytes: total, sha256: expected.digest("hex") });
  });

  it("a dump that fails after its first part was uploaded leaves no manifest and no object, and reports the dump's failure", async () => {
    const store = new S3Store(BUCKET, "failing", { partSize: MIN_PART_SIZE, queueSize: 1 });
    const failed = store.put("prod-cut", patternStream(4 * MIN_PART_SIZE, 256 * 1024, MIN_PART_SIZE + 1024 * 1024), manifestFor("prod-cut"));
    await expect(failed).rejects.toThrow(`could not upload backup prod-cut to s3://${BUCKET}/failing`);
    await expect(failed).rejects.toThrow("connection lost");
    expect(requests.filter((r) => /^PUT \/[^ ]*\/failing\/prod-cut\.dump\?.*partNumber=1/.test(r))).toHaveLength(1);
    expect(await keys("failing/")).toEqual([]);
    expect(await store.list()).toEqual([]);
  });

  it("takes a real pg_dump backup into the bucket; lists newest first; deletes", async () => {
    const url = await freshDatabase("s3");
    await withClient(url, (c) => c.query("CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 100)"));
    const store = openBackupStore(`s3://${BUCKET}/dev`);
    const first = await withClient(url, (client) => takeBackup(store, { url, client, stack: "dev", head: null, pending: [] }));
    const second = await withClient(url, (client) => takeBackup(store, { url, client, stack: "dev", head: "0001", pending: [] }));
    expect((await store.list()).map((b) => b.manifest.id)).toEqual([second.manifest.id, first.manifest.id]);
    const { dump } = await store.open(first.manifest.id);
    const body = await readDump(dump);
    expect(body.subarray(0, 5).toString()).toBe("PGDMP");
    expect(createHash("sha256").update(body).digest("hex")).toBe(first.manifest.sha256);
    await store.delete(first.manifest.id);
    expect((await store.list()).map((b) => b.manifest.id)).toEqual([second.manifest.id]);
    await expect(store.open(first.manifest.id)).rejects.toThrow(`there is no backup ${first.manifest.id} in s3://${BUCKET}/dev`);
  });

  it("lists past objects that are not backups: a .json without a dump silently, a damaged or misnamed manifest beside a dump with a warning", async () => {
    const warnings: string[] = [];
    const store = new S3Store(BUCKET, "strangers", { onWarning: (w) => warnings.push(w) });
    await store.put("prod-good", Readable.from([Buffer.from("good")]), manifestFor("prod-good"));
    const put = (key: string, body: string) => s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: `strangers/${key}`, Body: body }));
    await put("notes.json", JSON.stringify({ note: "prod backups live here" }));
    await put("prod-cut.dump", "a dump");
    await put("prod-cut.json", '{"id": "prod-cut", "stack": "pr');
    await put("prod-copy.dump", "another dump");
    const good = await s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: "strangers/prod-good.json" }));
    await put("prod-copy.json", await good.Body!.transformToString());
    expect((await store.list()).map((b) => b.manifest.id)).toEqual(["prod-good"]);
    expect(warnings.sort()).toEqual([
      `s3://${BUCKET}/strangers/prod-copy.dump is not listed as a backup: its manifest s3://${BUCKET}/strangers/prod-copy.json names backup "prod-good"; dbpipe leaves both objects as they are`,
      expect.stringMatching(new RegExp(`^s3://${BUCKET}/strangers/prod-cut\\.dump is not listed as a backup: s3://${BUCKET}/strangers/prod-cut\\.json is not a backup manifest: .+; dbpipe leaves both objects as they are \\(pg_restore can still read the dump by hand\\)$`)),
    ]);
    expect(await keys("strangers/")).toHaveLength(7);
  });

  it("names the missing bucket", async () => {
    const store = new S3Store("no-such-bucket-here", "x");
    await expect(store.list()).rejects.toThrow("could not list the backups in s3://no-such-bucket-here/x: NoSuchBucket");
  });
});


/** A database of `rows` rows of hashes (which compress badly): a dump of about 45 bytes a row. */
async function hashesDatabase(rows: number): Promise<string> {
  const url = await freshDatabase("s3restore");
  await withClient(url, (c) =>
    c.query(`CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, ${rows}) g;
             CREATE TABLE tags (id int REFERENCES notes, tag text); INSERT INTO tags SELECT g, 'tag' || g FROM generate_series(1, 1000) g`),
  );
  return url;
}

describe("restoring from the S3 store while the dump downloads", () => {
  it("restores a dump larger than the bytes it holds back", async () => {
    const url = await hashesDatabase(120_000);
    const store = openBackupStore(`s3://${BUCKET}/streamed`);
    const backup = await withClient(url, (client) => takeBackup(store, { url, client, stack: "dev", head: null, pending: [] }));
    expect(backup.manifest.bytes).toBeGreaterThan(2 * HELD_BYTES);
    const target = await freshDatabase("s3target");
    const phases = new Set<string>();
    const result = await withClient(target, (client) => restoreBackup(store, backup.manifest.id, { to: target, client, onProgress: (p) => phases.add(p.phase) }));
    expect(result.manifest).toEqual(backup.manifest);
    expect([...phases]).toEqual(["restoring"]);
    expect(await tableCounts(target)).toEqual({ "public.notes": 120_000, "public.tags": 1000 });
  });

  it("pg_restore given all of a dump but its last held-back bytes does not commit (the premise of holding them back)", async () => {
    const url = await hashesDatabase(60_000);
    const store = openBackupStore(`s3://${BUCKET}/premise`);
    const backup = await withClient(url, (client) => takeBackup(store, { url, client, stack: "dev", head: null, pending: [] }));
    const whole = await readDump((await store.open(backup.manifest.id)).dump);
    const target = await freshDatabase("s3premise");
    const { dbname, env } = connectionFor(target);
    for (const held of [HELD_BYTES, 1]) {
      const child = spawn(findPgTool("pg_restore", 15).path, ["--no-password", "--no-owner", "--single-transaction", "--exit-on-error", `--dbname=${dbname}`], { env, stdio: ["pipe", "ignore", "pipe"] });
      let err = "";
      child.stderr.on("data", (d) => (err += d));
      child.stdin.on("error", () => undefined);
      child.stdin.end(whole.subarray(0, whole.length - held));
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      expect(code).not.toBe(0);
      expect(err).toMatch(/could not read input file|unexpected end of file|end of file/i);
      expect(await tableCounts(target)).toEqual({});
    }
  });

  it("a dump replaced by another whole backup's is not committed however long its download takes to end: pg_restore waits for the held-back bytes", { timeout: 120_000 }, async () => {
    const store = openBackupStore(`s3://${BUCKET}/held`);
    const backupOf = async (rows: number) => {
      const url = await hashesDatabase(rows);
      return withClient(url, (client) => takeBackup(store, { url, client, stack: "dev", head: null, pending: [] }));
    };
    const [backup, other] = [await backupOf(100_000), await backupOf(70_000)];
    const otherDump = await readDump((await store.open(other.manifest.id)).dump);
    await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: `held/${backup.manifest.id}.dump`, Body: otherDump }));
    const target = await freshDatabase("s3held");
    const database = new URL(target).pathname.slice(1);
    /**
     * The download's end held until pg_restore has committed (what holding back must prevent), or
     * has waited for more input for a while with its transaction open (what it must do instead).
     */
    const heldEnd = async () => {
      let waiting = 0;
      while (waiting < 20) {
        await sleep(50);
        const state = await withClient(target, async (c) => ({
          committed: (await c.query("SELECT 1 FROM pg_stat_user_tables")).rowCount! > 0,
          waiting:
            (await c.query("SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = 'dbpipe-backup' AND xact_start IS NOT NULL AND wait_event = 'ClientRead'", [database]))
              .rowCount! > 0,
        }));
        if (state.committed) return;
        waiting = state.waiting ? waiting + 1 : 0;
      }
    };
    const slow: BackupStore = {
      url: store.url,
      put: (...a) => store.put(...a),
      list: () => store.list(),
      delete: (id) => store.delete(id),
      open: async (id) => {
        const { manifest, dump } = await store.open(id);
        async function* chunks() {
          for await (const chunk of dump) yield chunk as Buffer;
          await heldEnd();
        }
        return { manifest, dump: Readable.from(chunks()) };
      },
    };
    const failed = await withClient(target, (client) => restoreBackup(slow, backup.manifest.id, { to: target, client })).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(BackupIntegrityError);
    expect(await tableCounts(target)).toEqual({});
  });

  it("a dump damaged, cut, lengthened or replaced by another backup's: BackupIntegrityError and nothing restored", { timeout: 120_000 }, async () => {
    const store = openBackupStore(`s3://${BUCKET}/damaged`);
    const backupOf = async (rows: number) => {
      const url = await hashesDatabase(rows);
      return withClient(url, (client) => takeBackup(store, { url, client, stack: "dev", head: null, pending: [] }));
    };
    const [backup, shorter, longer] = [await backupOf(120_000), await backupOf(80_000), await backupOf(160_000)];
    const read = async (id: string) => await readDump((await store.open(id)).dump);
    const whole = await read(backup.manifest.id);
    const [shorterDump, longerDump] = [await read(shorter.manifest.id), await read(longer.manifest.id)];
    expect(shorterDump.length).toBeGreaterThan(2 * HELD_BYTES);
    const flipped = (at: number) => flippedAt(whole, at);
    const cases: [string, Buffer][] = [
      ["its last byte flipped", flipped(whole.length - 1)],
      ["a byte flipped before the held-back bytes", flipped(whole.length - HELD_BYTES - 4096)],
      ["a byte flipped in its table of contents", flipped(200)],
      ["cut short by 100 bytes", whole.subarray(0, whole.length - 100)],
      ["cut to half", whole.subarray(0, Math.floor(whole.length / 2))],
      ["2 MiB appended", Buffer.concat([whole, Buffer.alloc(2 * 1024 * 1024, 7)])],
      ["replaced by a shorter backup's dump", shorterDump],
      ["replaced by a longer backup's dump", longerDump],
    ];
    const key = `damaged/${backup.manifest.id}.dump`;
    for (const [what, body] of cases) {
      await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
      const target = await freshDatabase("s3damaged");
      const failed = await withClient(target, (client) => restoreBackup(store, backup.manifest.id, { to: target, client })).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failed, what).toBeInstanceOf(BackupIntegrityError);
      expect((failed as Error).message, what).toBe(
        `backup ${backup.manifest.id} in s3://${BUCKET}/damaged is damaged: its dump s3://${BUCKET}/${key} has ${body.length} bytes with sha256 ${createHash("sha256").update(body).digest("hex")}, ` +
          `its manifest says ${whole.length} bytes with sha256 ${backup.manifest.sha256}; nothing was restored`,
      );
      expect(await tableCounts(target), what).toEqual({});
    }
    // The dump put back: it restores.
    await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: whole }));
    const target = await freshDatabase("s3repaired");
    await withClient(target, (client) => restoreBackup(store, backup.manifest.id, { to: target, client }));
    expect(await tableCounts(target)).toEqual({ "public.notes": 120_000, "public.tags": 1000 });
  });
});
