import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { withClient } from "../helpers/database";
import { tempFolder, writeFiles } from "../helpers/project";
import { DynamicProvider, cloneProject, migrationSetUrn, registerMigrationSet } from "../infra/migration-set-harness";
import { historyOf, roundDatabase, runLockAfter } from "./helpers/round-database";
import { reliabilitySeed, seeded } from "./helpers/seeded";

/**
 * The MigrationSet provider host (the plugin `pulumi up` starts) killed with SIGKILL while it takes
 * the pre-migration backup prod's tier asks for, before a medium-risk migration: into a local folder
 * and into an S3 bucket (s3rver on loopback). The store must hold no manifest for the cut-short dump,
 * pg_dump must not live on, no migration may have run, and the next `pulumi up` (a new host: Diff,
 * then Update with the same inputs) backs up again, whole, and converges. Seeded kill moments; the
 * seed is printed.
 */

// The SDK's notice about its future Node.js releases: noise in the test's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const SEED = reliabilitySeed();
const random = seeded(SEED);
// eslint-disable-next-line no-console -- the seed, to replay a failure
console.info(`crash-backup-provider: seed ${SEED} (replay: RELIABILITY_SEED=${SEED} npx vitest run test/reliability/crash-backup-provider.test.ts)`);

const URN = migrationSetUrn("prod");
const ID = "prod:dbpipe.schema_migrations";
const PASSWORD = "Rel-Backup-Migr4tor-9c1e";
const BUCKET = "dbpipe-rel-provider-backups";
const FIRST = { "migrations/0001_create_orders.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamptz);\n" };
/** Medium risk: prod backs up before it. */
const SECOND = { "migrations/0002_rename_note.sql": "ALTER TABLE filler RENAME COLUMN note TO remark;\n" };

let clone: string;
let migrator: string;
let s3rver: S3rver;
let awsEnv: Record<string, string>;
/** The host of the next `pulumi up`, after each kill. */
let next: DynamicProvider;

beforeAll(async () => {
  migrator = `rel_backup_migrator_${randomBytes(4).toString("hex")}`;
  await withClient(inject("adminUrl"), (c) => c.query(`CREATE ROLE ${migrator} LOGIN PASSWORD '${PASSWORD}'`));
  s3rver = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: tempFolder({}, "dbpipe-rel-provider-s3-"), configureBuckets: [{ name: BUCKET, configs: [] }] });
  const address = await s3rver.run();
  awsEnv = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "eu-west-1", AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${address.port}` };
  clone = cloneProject();
  next = await DynamicProvider.start(clone, awsEnv);
}, 300_000);

afterAll(async () => {
  await next?.stop();
  await s3rver?.close();
  if (clone) fs.rmSync(clone, { recursive: true, force: true });
  if (migrator) await withClient(inject("adminUrl"), (c) => c.query(`DROP ROLE IF EXISTS ${migrator}`));
});

/** A database the migrator owns, with enough rows (about 25 MB of hex text, the migrator's table) that pg_dump takes a while; its URL as the migrator. */
async function databaseWithData(): Promise<{ url: string; asMigrator: string }> {
  const url = await roundDatabase("relmsbackup");
  await withClient(url, async (c) => {
    await c.query(`ALTER DATABASE ${new URL(url).pathname.slice(1)} OWNER TO ${migrator}`);
    await c.query("CREATE TABLE filler AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) AS note FROM generate_series(1, 200000) g");
    await c.query(`ALTER TABLE filler OWNER TO ${migrator}`);
  });
  const asMigrator = new URL(url);
  asMigrator.username = migrator;
  asMigrator.password = PASSWORD;
  return { url, asMigrator: asMigrator.toString() };
}

/** The inputs `pulumi preview` sends for the folder as it is now, checked by `host`. */
async function preview(host: DynamicProvider, databaseUrl: string, migrationsDir: string, backup: string): Promise<Record<string, unknown>> {
  const registered = await registerMigrationSet("prod", { databaseUrl, migrationsDir, backup });
  const { inputs, failures } = await host.check(URN, {}, registered.inputs);
  expect(failures).toEqual([]);
  return inputs;
}

/** How many of dbpipe's pg_dump sessions are connected to `url`'s database, after waiting (bounded) for none. */
async function backupSessionsAfter(url: string, limitMs: number): Promise<number> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const n = await dumping(url);
    if (n === 0 || Date.now() > deadline) return n;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function dumping(url: string): Promise<number> {
  return withClient(url, async (c) => (await c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'dbpipe-backup'")).rows[0].n as number);
}

async function columnsOf(url: string, table: string): Promise<string[]> {
  return withClient(url, async (c) => (await c.query("SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position", [table])).rows.map((r) => r.column_name as string));
}

/** What a store holds, as the test inspects it. */
interface StoreView {
  /** The store's URL, for the MigrationSet's `backup` input. */
  url: string;
  /** Every file or object name in it, sorted. */
  names(): Promise<string[]>;
  /** The bytes of the partial dump being written, 0 while there is none (only the folder can tell). */
  partialBytes(): number;
  /** The manifest named `id`. */
  manifest(id: string): Promise<{ id: string; bytes: number; before: { version: string }[] }>;
  /** The size of the dump of `id`. */
  dumpBytes(id: string): Promise<number>;
}

function folderStore(): StoreView {
  const folder = tempFolder({}, "dbpipe-rel-msbackup-store-");
  const names = () => (fs.existsSync(folder) ? fs.readdirSync(folder).sort() : []);
  return {
    url: pathToFileURL(folder).href,
    names: async () => names(),
    partialBytes: () => {
      const partial = names().find((n) => /\.dump\.[^.]+\.partial$/.test(n));
      return partial ? (fs.statSync(path.join(folder, partial), { throwIfNoEntry: false })?.size ?? 0) : 0;
    },
    manifest: async (id) => JSON.parse(fs.readFileSync(path.join(folder, `${id}.json`), "utf8")),
    dumpBytes: async (id) => fs.statSync(path.join(folder, `${id}.dump`)).size,
  };
}

function bucketStore(prefix: string): StoreView {
  const client = () => new S3Client({ region: awsEnv.AWS_REGION, endpoint: awsEnv.AWS_ENDPOINT_URL_S3, forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
  const get = async (key: string) => {
    const s3 = client();
    try {
      return Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${key}` }))).Body!.transformToByteArray());
    } finally {
      s3.destroy();
    }
  };
  return {
    url: `s3://${BUCKET}/${prefix}`,
    names: async () => {
      const s3 = client();
      try {
        const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/` }));
        return (listed.Contents ?? []).map((o) => o.Key!.slice(prefix.length + 1)).sort();
      } finally {
        s3.destroy();
      }
    },
    partialBytes: () => 0,
    manifest: async (id) => JSON.parse((await get(`${id}.json`)).toString("utf8")),
    dumpBytes: async (id) => (await get(`${id}.dump`)).length,
  };
}

const ROUNDS: { store: "folder" | "bucket"; killAtBytes: number; delayMs: number }[] = [
  { store: "folder", killAtBytes: random.int(1, 3_000_000), delayMs: 0 },
  { store: "folder", killAtBytes: random.int(1, 3_000_000), delayMs: 0 },
  { store: "bucket", killAtBytes: 0, delayMs: random.int(0, 150) },
];

describe("the provider host killed while it backs up before a migration", () => {
  ROUNDS.forEach(({ store: kind, killAtBytes, delayMs }, i) => {
    const round = i + 1;
    const moment = kind === "folder" ? `at ${killAtBytes} bytes of dump` : `${delayMs}ms into the dump`;
    it(`round ${round}/${ROUNDS.length} (seed ${SEED}), ${kind === "folder" ? "a local folder" : "an S3 bucket"}: killed ${moment}; no manifest, nothing applied, the next pulumi up backs up again and converges`, { timeout: 180_000 }, async () => {
      const { url, asMigrator } = await databaseWithData();
      const project = tempFolder({}, "dbpipe-rel-msbackup-");
      const migrationsDir = path.join(project, "migrations");
      const store = kind === "folder" ? folderStore() : bucketStore(`round-${round}-${SEED}`);

      // The resource exists with a low-risk migration applied (prod takes no backup before it)...
      writeFiles(project, FIRST);
      const created = await next.create(URN, await preview(next, asMigrator, migrationsDir, store.url));
      expect(created.outputs.head).toBe("0001_create_orders");
      expect(created.outputs.backupKey).toBeNull();
      expect(await store.names()).toEqual([]);
      const before = created.outputs;

      // ...then a medium-risk one is added, and the host is killed while it dumps before it.
      writeFiles(project, SECOND);
      const news = await preview(next, asMigrator, migrationsDir, store.url);
      const victim = await DynamicProvider.start(clone, awsEnv);
      let settled = false;
      const update = victim.update(URN, ID, before, news).then(
        () => "finished",
        (error: { details?: string; message: string }) => error.details ?? error.message,
      );
      void update.finally(() => (settled = true));
      if (kind === "folder") {
        while (!settled && store.partialBytes() < killAtBytes) await new Promise((resolve) => setTimeout(resolve, 2));
      } else {
        while (!settled && (await dumping(url)) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
      await victim.kill();
      const outcome = await update;
      const context = `seed ${SEED}, round ${round}, killed ${moment}; the update: ${outcome}\nstore: ${(await store.names()).join(", ")}\nhost stderr:\n${victim.stderr}`;
      expect(outcome, `${context}\nthe update ended before the kill: the dump is too small for this test`).not.toBe("finished");

      // No manifest for the cut-short dump (in the bucket, no object at all), pg_dump gone, the lock
      // released, and no migration ran.
      const left = await store.names();
      expect(left.filter((n) => n.endsWith(".json")), context).toEqual([]);
      if (kind === "bucket") expect(left, context).toEqual([]);
      else expect(left.every((n) => n.endsWith(".partial")), context).toBe(true);
      expect(await backupSessionsAfter(url, 60_000), `${context}\npg_dump still connected`).toBe(0);
      expect(await runLockAfter(url, 60_000), context).toEqual([]);
      expect((await historyOf(url)).map((h) => h.version), context).toEqual(["0001"]);
      expect(await columnsOf(url, "filler"), context).toEqual(["id", "note"]);

      // The next pulumi up: the state still has the outputs from before the killed update.
      expect((await next.diff(URN, ID, before, news)).changes, context).toBe("some");
      const after = await next.update(URN, ID, before, news);
      expect(after.lastApplied, context).toEqual(["0002"]);
      expect(after.head).toBe("0002_rename_note");
      const key = after.backupKey as string;
      expect(key).toMatch(/^prod-\d{8}T\d{6}\.\d{3}Z-before-0002$/);
      const manifest = await store.manifest(key);
      expect(manifest.before.map((b) => b.version)).toEqual(["0002"]);
      expect(await store.dumpBytes(key)).toBe(manifest.bytes);
      // One backup, whole; the killed host's partial dump was removed by the next one.
      expect(await store.names(), context).toEqual([`${key}.dump`, `${key}.json`]);
      expect(await columnsOf(url, "filler")).toEqual(["id", "remark"]);
      expect((await historyOf(url)).every((h) => h.success)).toBe(true);
      expect((await next.diff(URN, ID, after, news)).changes).toBe("none");
    });
  });
});
