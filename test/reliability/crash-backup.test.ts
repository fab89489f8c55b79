import * as fs from "node:fs";
import * as path from "node:path";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli";
import { withClient } from "../helpers/database";
import { tempFolder } from "../helpers/project";
import { startCli } from "./helpers/cli-process";
import { historyOf, roundDatabase, runLockAfter, tablesOf } from "./helpers/round-database";
import { reliabilitySeed, seeded } from "./helpers/seeded";

/**
 * A run killed with SIGKILL while it streams a backup into the store: `dbpipe up` on a stack whose
 * tier backs up before every migration, and `dbpipe backup`, into the local folder and into an S3
 * bucket (s3rver on loopback). The store must hold no manifest
 * for the cut-short dump (so nothing lists or restores it), pg_dump must not live on, no migration
 * runs, and the next run backs up again, whole. The next listing or backup removes the killed run's
 * partial dump, but never the partial dump of a backup running now in another process. The kill
 * comes once the dump has reached a seeded number of bytes; the seed is printed.
 */

const SEED = reliabilitySeed();
const random = seeded(SEED);
// eslint-disable-next-line no-console -- the seed, to replay a failure
console.info(`crash-backup: seed ${SEED} (replay: RELIABILITY_SEED=${SEED} npx vitest run test/reliability/crash-backup.test.ts)`);

const ROUNDS = 3;
/** A stack that is not a tier's own, backing up before every migration. */
const STAGING = "config:\n  dbpipe:tier: test\n  dbpipe:backupBefore: low\n";
const MIGRATIONS = {
  "migrations/0001_create_orders.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, filler_id bigint);\n",
  "migrations/0002_create_order_lines.sql": "CREATE TABLE order_lines (id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders (id));\n",
};

/** A database with enough rows (about 25 MB of hex text) that pg_dump takes a while. */
async function databaseWithData(): Promise<string> {
  const url = await roundDatabase("relbackup");
  await withClient(url, (c) => c.query("CREATE TABLE filler AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) AS note FROM generate_series(1, 200000) g"));
  return url;
}

/** The names in the backup folder (none when it was never made). */
function storeFiles(folder: string): string[] {
  return fs.existsSync(folder) ? fs.readdirSync(folder).sort() : [];
}

/** The partial dumps in `folder` (`<id>.dump.<writer>.partial`). */
function partials(folder: string): string[] {
  return storeFiles(folder).filter((name) => /\.dump\.[^.]+\.partial$/.test(name));
}

/** The size of the dump being written in `folder`, 0 while there is none. */
function partialBytes(folder: string): number {
  for (const name of partials(folder)) {
    try {
      return fs.statSync(path.join(folder, name)).size;
    } catch {
      return 0;
    }
  }
  return 0;
}

/** Starts `args` and kills it once the dump in `folder` has `bytes` bytes; says whether it was still running then. */
async function killDuringDump(args: string[], cwd: string, folder: string, bytes: number): Promise<{ killed: boolean; output: string }> {
  const run = startCli(args, { cwd });
  for (;;) {
    if (run.child.exitCode !== null) break;
    if (partialBytes(folder) >= Math.max(1, bytes)) break;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const ended = await run.kill();
  return { killed: ended.signal === "SIGKILL", output: ended.stdout + ended.stderr };
}

/** Waits (bounded) until no pg_dump of dbpipe's is connected to `url`'s database. */
async function backupSessionsAfter(url: string, limitMs: number): Promise<number> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const n = await withClient(url, async (c) => (await c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'dbpipe-backup'")).rows[0].n as number);
    if (n === 0 || Date.now() > deadline) return n;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function manifests(folder: string): { id: string; before: { version: string }[]; bytes: number }[] {
  return storeFiles(folder)
    .filter((n) => n.endsWith(".json"))
    .map((n) => JSON.parse(fs.readFileSync(path.join(folder, n), "utf8")));
}

describe("dbpipe up killed while it takes the backup its tier asks for", () => {
  for (let round = 1; round <= ROUNDS; round++) {
    const bytes = random.int(0, 3_000_000);
    it(`round ${round}/${ROUNDS} (seed ${SEED}): killed at ${bytes} bytes of dump; no manifest, nothing applied, the next up backs up again`, { timeout: 120_000 }, async () => {
      const url = await databaseWithData();
      const project = tempFolder({ ...MIGRATIONS, "Pulumi.staging.yaml": STAGING }, "dbpipe-rel-backup-");
      const folder = path.join(project, ".dbpipe/staging/backups");
      const up = ["up", "--stack", "staging", "--database-url", url];

      const { killed, output } = await killDuringDump(up, project, folder, bytes);
      const context = `seed ${SEED}, round ${round}, kill at ${bytes} bytes; it printed:\n${output}\nstore: ${storeFiles(folder).join(", ")}`;
      expect(killed, `${context}\nthe run ended before the kill: the dump is too small for this test`).toBe(true);
      expect(manifests(folder), context).toEqual([]);
      expect(storeFiles(folder).every((n) => n.endsWith(".partial")), context).toBe(true);
      expect(await backupSessionsAfter(url, 60_000), `${context}\npg_dump still connected`).toBe(0);
      expect(await runLockAfter(url, 60_000), context).toEqual([]);
      // The backup comes before any migration: none ran.
      expect(await historyOf(url)).toEqual([]);
      expect(await tablesOf(url)).toEqual(["filler"]);
      const listed = await runCli(["backups", "--stack", "staging"], { cwd: project });
      expect(listed.code, listed.stdout + listed.stderr).toBe(0);
      expect(listed.stdout).toContain("No backups in ");
      // The killed run's partial dump is gone with that listing.
      expect(storeFiles(folder), context).toEqual([]);

      const next = await runCli(up, { cwd: project });
      expect(next.code, `${context}\nnext up:\n${next.stdout}${next.stderr}`).toBe(0);
      expect(next.stdout).toContain("backing up first: ");
      expect(next.stdout).toContain("Applied 2 migrations in ");
      const [manifest, ...others] = manifests(folder);
      expect(others).toEqual([]);
      expect(manifest.before.map((b) => b.version)).toEqual(["0001", "0002"]);
      expect(fs.statSync(path.join(folder, `${manifest.id}.dump`)).size).toBe(manifest.bytes);
      const refs = await withClient(url, async (c) => (await c.query("SELECT DISTINCT backup_ref FROM dbpipe.schema_migrations")).rows.map((r) => r.backup_ref));
      expect(refs).toEqual([`file:${path.join(".dbpipe/staging/backups", `${manifest.id}.dump`)}`]);
      const listedAfter = await runCli(["backups", "--stack", "staging", "--json"], { cwd: project });
      expect(JSON.parse(listedAfter.stdout).backups.map((b: { id: string }) => b.id)).toEqual([manifest.id]);
      // eslint-disable-next-line no-console -- the size the kill moments are drawn against
      if (round === 1) console.info(`crash-backup: a whole dump is ${manifest.bytes} bytes`);
    });
  }
});

describe("dbpipe backup killed part-way", () => {
  for (let round = 1; round <= ROUNDS; round++) {
    const bytes = random.int(0, 3_000_000);
    it(`round ${round}/${ROUNDS} (seed ${SEED}): killed at ${bytes} bytes of dump; no manifest, the next backup is whole`, { timeout: 120_000 }, async () => {
      const url = await databaseWithData();
      const project = tempFolder({ ...MIGRATIONS }, "dbpipe-rel-backup-cmd-");
      const store = tempFolder({}, "dbpipe-rel-backup-store-");
      const args = ["backup", "--database-url", url, "--store", `file://${store}`];

      const { killed, output } = await killDuringDump(args, project, store, bytes);
      const context = `seed ${SEED}, round ${round}, kill at ${bytes} bytes; it printed:\n${output}\nstore: ${storeFiles(store).join(", ")}`;
      expect(killed, `${context}\nthe run ended before the kill: the dump is too small for this test`).toBe(true);
      expect(manifests(store), context).toEqual([]);
      expect(await backupSessionsAfter(url, 60_000), `${context}\npg_dump still connected`).toBe(0);
      const listed = await runCli(["backups", "--store", `file://${store}`], { cwd: project });
      expect(listed.stdout, context).toContain("No backups in ");
      expect(storeFiles(store), context).toEqual([]);

      const next = await runCli(args, { cwd: project });
      expect(next.code, `${context}\nnext backup:\n${next.stdout}${next.stderr}`).toBe(0);
      const [manifest, ...others] = manifests(store);
      expect(others).toEqual([]);
      expect(fs.statSync(path.join(store, `${manifest.id}.dump`)).size).toBe(manifest.bytes);
      expect(next.stdout).toContain(`restore it with: dbpipe restore ${manifest.id} --to <url>`);
    });
  }
});

describe("a backup running in another process while the folder is listed and backed up into", () => {
  it("keeps its partial dump: the other runs leave it, and it finishes whole", { timeout: 120_000 }, async () => {
    const url = await databaseWithData();
    const project = tempFolder({ ...MIGRATIONS }, "dbpipe-rel-backup-live-");
    const store = tempFolder({}, "dbpipe-rel-backup-live-store-");
    const args = ["backup", "--json", "--database-url", url, "--store", `file://${store}`];
    const running = startCli(args, { cwd: project });
    while (running.child.exitCode === null && partialBytes(store) === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    // Held still (SIGSTOP) while the others run, so they surely meet its partial dump.
    running.child.kill("SIGSTOP");
    try {
      const [live] = partials(store);
      expect(live, `store: ${storeFiles(store).join(", ")}`).toBeDefined();
      const listed = await runCli(["backups", "--store", `file://${store}`], { cwd: project });
      expect(listed.stdout).toContain("No backups in ");
      const other = await runCli(args, { cwd: project });
      expect(other.code, other.stdout + other.stderr).toBe(0);
      expect(partials(store)).toEqual([live]);
    } finally {
      running.child.kill("SIGCONT");
    }
    const ended = await running.done;
    expect(ended.code, ended.stdout + ended.stderr).toBe(0);
    const ids = manifests(store).map((m) => m.id);
    expect(ids).toHaveLength(2);
    expect(ids).toContain((JSON.parse(ended.stdout) as { id: string }).id);
    for (const m of manifests(store)) expect(fs.statSync(path.join(store, `${m.id}.dump`)).size).toBe(m.bytes);
    expect(partials(store)).toEqual([]);
  });
});

describe("dbpipe backup to an S3 bucket killed part-way", () => {
  const bucket = "dbpipe-rel-backups";
  let server: S3rver;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: tempFolder({}, "dbpipe-rel-s3-"), configureBuckets: [{ name: bucket, configs: [] }] });
    const address = await server.run();
    env = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "eu-west-1", AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${address.port}` };
  });

  afterAll(async () => {
    await server?.close();
  });

  async function objects(prefix: string): Promise<string[]> {
    const s3 = new S3Client({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL_S3, forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
    try {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (listed.Contents ?? []).map((o) => o.Key!).sort();
    } finally {
      s3.destroy();
    }
  }

  for (let round = 1; round <= 2; round++) {
    const delayMs = random.int(0, 150);
    it(`round ${round}/2 (seed ${SEED}): killed ${delayMs}ms into the dump; nothing in the bucket, the next backup is whole`, { timeout: 120_000 }, async () => {
      const url = await databaseWithData();
      const project = tempFolder({ ...MIGRATIONS }, "dbpipe-rel-backup-s3-");
      const prefix = `round-${round}-${SEED}`;
      const store = `s3://${bucket}/${prefix}`;
      const args = ["backup", "--database-url", url, "--store", store];

      const run = startCli(args, { cwd: project, env });
      const dumping = async () =>
        (await withClient(url, async (c) => (await c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'dbpipe-backup'")).rows[0].n)) > 0;
      while (run.child.exitCode === null && !(await dumping())) await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      const ended = await run.kill();
      const context = `seed ${SEED}, round ${round}, killed ${delayMs}ms into the dump; it printed:\n${ended.stdout}${ended.stderr}`;
      expect(ended.signal, `${context}\nthe run ended before the kill: the dump is too small for this test`).toBe("SIGKILL");
      expect(await backupSessionsAfter(url, 60_000), `${context}\npg_dump still connected`).toBe(0);
      // Neither a manifest nor a dump: an upload never completed is no object.
      expect(await objects(`${prefix}/`), context).toEqual([]);
      const listed = await runCli(["backups", "--store", store], { cwd: project, env });
      expect(listed.code, listed.stdout + listed.stderr).toBe(0);
      expect(listed.stdout, context).toContain("No backups in ");

      const next = await runCli(args, { cwd: project, env });
      expect(next.code, `${context}\nnext backup:\n${next.stdout}${next.stderr}`).toBe(0);
      const keys = await objects(`${prefix}/`);
      expect(keys).toHaveLength(2);
      expect(keys.filter((k) => k.endsWith(".json"))).toHaveLength(1);
      const after = await runCli(["backups", "--store", store, "--json"], { cwd: project, env });
      expect(JSON.parse(after.stdout).backups).toHaveLength(1);
    });
  }
});
