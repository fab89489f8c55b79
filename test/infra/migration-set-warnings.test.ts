import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, migratorUrl } from "../helpers/database";
import { ADVISORY_LOCK_KEY } from "../../src/migrate/lock";
import { DynamicProvider, cloneProject, migrationSetUrn, registerMigrationSet } from "./migration-set-harness";

/**
 * What a MigrationSet update tells the user running `pulumi up` besides its outputs and errors:
 * what `dbpipe up` prints on stderr while the run goes on — the backup store's warnings, the wait
 * for another run's lock. The provider runs in `@pulumi/pulumi/cmd/dynamic-provider`, which never
 * connects to the engine; the engine shows what that process writes to stderr in the update's
 * diagnostics. So the test reads the host's stderr, as the engine does.
 */

const URN = migrationSetUrn("prod");
const PASSWORD = "Migr4tor-Pw-5e1f-warn";
/** What `dbpipe up` prints on stderr when it waits for the lock, with prod's `lockWait` (Pulumi.yaml's default). */
const WAITING = "waiting for another dbpipe run on this database (up to 2min)...\n";

let adminUrl: string;
let databaseUrl: string;
let migrationsDir: string;
let storeDir: string;
let clone: string;
let provider: DynamicProvider;

/** The inputs `pulumi preview` would send now. */
async function preview(): Promise<Record<string, unknown>> {
  const registered = await registerMigrationSet("prod", { databaseUrl, migrationsDir, backup: pathToFileURL(storeDir).href });
  const { inputs, failures } = await provider.check(URN, {}, registered.inputs);
  expect(failures).toEqual([]);
  return inputs;
}

function write(name: string, sql: string): void {
  fs.writeFileSync(path.join(migrationsDir, name), sql);
}

/** The `warning: ` lines in `text`, sorted (a folder lists its files in no set order). */
function warnings(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("warning: "))
    .sort();
}

/** Resolves once the provider's stderr holds `text`; fails after `ms`. */
async function stderrHolds(text: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!provider.stderr.includes(text)) {
    if (Date.now() > deadline) throw new Error(`the provider's stderr never held ${JSON.stringify(text)}; it holds:\n${provider.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  adminUrl = await freshDatabase("mswarn");
  databaseUrl = await migratorUrl(adminUrl, PASSWORD);
  migrationsDir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-mswarn-"));
  storeDir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-mswarn-store-"));
  write("0001_create_customers.sql", "CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, legacy_code text);\n");
  // Two older backups the store cannot use, each a dump with a manifest beside it: one cut short,
  // one copied from another backup and edited by hand, the database's URL in its id. A listing
  // (every retention pass after a backup is stored) passes over both and warns.
  fs.writeFileSync(path.join(storeDir, "prod-20200101T000000.000Z-before-0001.dump"), "PGDMP");
  fs.writeFileSync(path.join(storeDir, "prod-20200101T000000.000Z-before-0001.json"), '{ "id": "prod-2020');
  fs.writeFileSync(path.join(storeDir, "prod-copied.dump"), "PGDMP");
  fs.writeFileSync(
    path.join(storeDir, "prod-copied.json"),
    JSON.stringify({ id: `prod-restored-from ${databaseUrl}`, stack: "prod", createdAt: "2020-01-02T00:00:00.000Z", bytes: 5, sha256: "0".repeat(64), head: null, before: [] }),
  );
  clone = cloneProject();
  provider = await DynamicProvider.start(clone);
});

afterAll(async () => {
  await provider?.stop();
  for (const dir of [clone, migrationsDir, storeDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("a MigrationSet update tells pulumi up, on the provider host's stderr", () => {
  let id: string;
  let outputs: Record<string, unknown>;

  it("nothing, when nothing is worth telling", async () => {
    ({ id, outputs } = await provider.create(URN, await preview()));
    expect(outputs.lastApplied).toEqual(["0001"]);
    expect(provider.stderr).toBe("");
  });

  it("the backup store's warnings, in the words dbpipe prints them, without the password", async () => {
    write("0002_drop_legacy_code.sql", "ALTER TABLE customers DROP COLUMN legacy_code;\n");
    const updated = await provider.update(URN, id, outputs, await preview());
    // The warnings do not stop the run: the backup is stored, the migration applied.
    expect(updated.lastApplied).toEqual(["0002"]);
    expect(updated.backupKey).toMatch(/^prod-\d{8}T\d{6}\.\d{3}Z-before-0002$/);
    expect(fs.existsSync(path.join(storeDir, `${updated.backupKey as string}.json`))).toBe(true);
    const told = warnings(provider.stderr);
    const cut = path.join(storeDir, "prod-20200101T000000.000Z-before-0001");
    const copied = path.join(storeDir, "prod-copied");
    const shownUrl = databaseUrl.replace(`:${PASSWORD}@`, ":***@");
    expect(told).toEqual([
      expect.stringMatching(
        new RegExp(`^warning: ${cut}\\.dump is not listed as a backup: ${cut}\\.json is not a backup manifest: .+; dbpipe leaves both files as they are \\(pg_restore can still read the dump by hand\\)$`),
      ),
      `warning: ${copied}.dump is not listed as a backup: its manifest ${copied}.json names backup ${JSON.stringify(`prod-restored-from ${shownUrl}`)}; dbpipe leaves both files as they are`,
    ]);
    expect(provider.stderr).not.toContain(PASSWORD);
    // What `dbpipe backups` prints on the same store, line for line.
    const cli = spawnSync(process.execPath, [path.join(clone, "bin/dbpipe.js"), "backups", "--stack", "prod", "--store", pathToFileURL(storeDir).href], {
      cwd: clone,
      env: { ...process.env, NO_COLOR: "1", DBPIPE_BACKUP_STORE: "" },
      encoding: "utf8",
    });
    expect(cli.status).toBe(0);
    expect(warnings(cli.stderr)).toEqual(told);
    outputs = updated;
  });

  it("that the run waits for another dbpipe run's lock, as dbpipe up says it", async () => {
    write("0003_add_customer_name.sql", "ALTER TABLE customers ADD COLUMN name text;\n");
    const news = await preview();
    const before = provider.stderr.length;
    const holder = new Client({ connectionString: adminUrl });
    await holder.connect();
    await holder.query("SELECT pg_advisory_lock($1::bigint)", [ADVISORY_LOCK_KEY.toString()]);
    // The holder's session ends (and its lock with it) once the provider has told, or failed to.
    const told = stderrHolds(WAITING).finally(() => holder.end());
    const [updated] = await Promise.all([provider.update(URN, id, outputs, news), told]);
    expect(updated.lastApplied).toEqual(["0003"]);
    // Nothing else: the store is not listed again (no backup for a low-risk migration).
    expect(provider.stderr.slice(before)).toBe(WAITING);
  });
});
