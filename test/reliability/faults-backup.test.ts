import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli";
import { freshDatabase, withClient } from "../helpers/database";
import { tempFolder } from "../helpers/project";

/**
 * The backup store failing under `dbpipe backup`: the S3 server failing part way through a
 * multipart upload, and the local folder's disk full. Each time: exit 3 naming the store, no
 * manifest (nothing lists as a backup), and the next run, with the store back, backs up.
 */

const BUCKET = "dbpipe-rel-faults";
let url: string;
let password: string;

beforeAll(async () => {
  url = await freshDatabase("relbackup");
  password = decodeURIComponent(new URL(url).password);
  // About 20 MB of dump, hex digits that compress to about half: more than one 16 MiB part.
  await withClient(url, (c) =>
    c.query("CREATE TABLE ledger AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) AS line FROM generate_series(1, 400000) g"),
  );
}, 120_000);

describe("the S3 store failing mid-upload", () => {
  let s3rver: S3rver;
  let proxy: http.Server;
  let endpoint: string;
  let direct: S3Client;
  /** The proxy in front of s3rver fails every request once it has seen the upload's second part, until healed. */
  const fault = { armed: true, failing: false, parts: 0 };

  beforeAll(async () => {
    s3rver = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: tempFolder(), configureBuckets: [{ name: BUCKET, configs: [] }] });
    const address = await s3rver.run();
    const target = `http://127.0.0.1:${address.port}`;
    direct = new S3Client({ endpoint: target, forcePathStyle: true, region: "eu-west-1", credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
    proxy = http.createServer((req, res) => {
      if (/partNumber=/.test(req.url ?? "")) fault.parts++;
      if (fault.armed && /partNumber=2\b/.test(req.url ?? "")) fault.failing = true;
      if (fault.failing) {
        req.socket.destroy();
        return;
      }
      const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    endpoint = `http://127.0.0.1:${(proxy.address() as import("node:net").AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => proxy?.close(resolve));
    await s3rver?.close();
  });

  async function keys(): Promise<string[]> {
    const page = await direct.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "backups/" }));
    return (page.Contents ?? []).map((o) => o.Key!).sort();
  }

  it("the upload cut after its first part: exit 3 naming the store, no manifest; the next run backs up", { timeout: 120_000 }, async () => {
    const dir = tempFolder({ "migrations/0001_noop.sql": "SELECT 1;\n" }, "dbpipe-rel-s3-");
    const env = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "eu-west-1", AWS_ENDPOINT_URL_S3: endpoint, AWS_MAX_ATTEMPTS: "2" };
    const store = `s3://${BUCKET}/backups`;
    const failed = await runCli(["backup", "--database-url", url, "--store", store], { cwd: dir, env });
    expect(fault.failing, "the upload reached its second part").toBe(true);
    expect(failed.code, failed.stdout + failed.stderr).toBe(3);
    expect(failed.stderr).toContain(`could not upload backup`);
    expect(failed.stderr).toContain(store);
    expect(failed.stderr).not.toMatch(/\n\s+at |looks like a bug/);
    expect(failed.stdout + failed.stderr).not.toContain(password);
    expect((await keys()).filter((k) => k.endsWith(".json"))).toEqual([]);

    fault.failing = false;
    fault.armed = false;
    const listed = await runCli(["backups", "--store", store, "--json"], { cwd: dir, env });
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(listed.stdout))).not.toMatch(/"id"/);

    const next = await runCli(["backup", "--database-url", url, "--store", store, "--json"], { cwd: dir, env });
    expect(next.code, next.stderr).toBe(0);
    const stored = await keys();
    expect(stored.filter((k) => k.endsWith(".json"))).toHaveLength(1);
    expect(stored.filter((k) => k.endsWith(".dump"))).toHaveLength(1);
  });
});

/** Whether a tmpfs can be mounted here (root, and mount allowed); the reason when not. */
function tmpfsRefusal(): string | undefined {
  if (process.getuid?.() !== 0) return "not root: mounting a tmpfs needs root";
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-rel-tmpfs-probe-"));
  try {
    const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe], { encoding: "utf8" });
    if (mounted.status !== 0) return `mount -t tmpfs refused: ${(mounted.stderr || mounted.error?.message || "").trim()}`;
    spawnSync("umount", [probe]);
    return undefined;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

const refusal = tmpfsRefusal();

describe("a full disk for the local backup folder", () => {
  it.skipIf(refusal !== undefined)(
    `a 2 MB tmpfs: exit 3 naming the folder, no manifest, no partial file; with space, the next run backs up${refusal ? ` (skipped: ${refusal})` : ""}`,
    { timeout: 120_000 },
    async () => {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-rel-full-"));
      expect(spawnSync("mount", ["-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", folder]).status).toBe(0);
      try {
        const dir = tempFolder({ "migrations/0001_noop.sql": "SELECT 1;\n" }, "dbpipe-rel-disk-");
        const store = `file://${folder}`;
        const failed = await runCli(["backup", "--database-url", url, "--store", store], { cwd: dir });
        expect(failed.code, failed.stdout + failed.stderr).toBe(3);
        expect(failed.stderr).toContain(folder);
        expect(failed.stderr).toMatch(/ENOSPC|no space/i);
        expect(failed.stderr).not.toMatch(/\n\s+at |looks like a bug/);
        expect(failed.stdout + failed.stderr).not.toContain(password);
        expect(fs.readdirSync(folder)).toEqual([]);

        expect(spawnSync("mount", ["-o", "remount,size=256m", folder]).status).toBe(0);
        const next = await runCli(["backup", "--database-url", url, "--store", store], { cwd: dir });
        expect(next.code, next.stderr).toBe(0);
        const files = fs.readdirSync(folder).sort();
        expect(files.filter((f) => f.endsWith(".json"))).toHaveLength(1);
        expect(files.filter((f) => f.endsWith(".dump"))).toHaveLength(1);
        expect(files.filter((f) => f.endsWith(".partial"))).toEqual([]);
      } finally {
        spawnSync("umount", [folder]);
        fs.rmSync(folder, { recursive: true, force: true });
      }
    },
  );
});
