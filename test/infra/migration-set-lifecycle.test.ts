import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, migratorUrl, withClient } from "../helpers/database";
import { readManifest } from "../../src/infra/migration-set-manifest";
import { DynamicProvider, cloneProject, migrationSetUrn, registerMigrationSet } from "./migration-set-harness";

/**
 * A prod MigrationSet through its life, as the engine drives it over gRPC against a real
 * PostgreSQL: created, updated with new migrations, refused (a file edited after preview, a plan
 * prod blocks), backed up before a risky migration, refreshed after changes made outside Pulumi,
 * deleted. The provider runs from a second copy of the project, serialized from a mocked
 * registration of the prod stack.
 */

const URN = migrationSetUrn("prod");
const PASSWORD = "Migr4tor-Pw-c0ffee-91";
/** Pieces of the migrations' SQL, which must never reach the state. */
const SQL_PIECES = ["CREATE TABLE", "DROP TABLE", "DROP COLUMN", "ADD COLUMN", "bigint PRIMARY KEY"];

let adminUrl: string;
let databaseUrl: string;
let migrationsDir: string;
let storeDir: string;
let clone: string;
let provider: DynamicProvider;
/** Every set of outputs the provider returned (what the state holds), checked for passwords and SQL at the end. */
const states: Record<string, unknown>[] = [];
/** Every error message the provider returned (what `pulumi up` prints), checked for passwords. */
const errors: string[] = [];

/** The inputs `pulumi preview` would send now: the program registers the folder as it is. */
async function preview(): Promise<Record<string, unknown>> {
  const registered = await registerMigrationSet("prod", { databaseUrl, migrationsDir, backup: pathToFileURL(storeDir).href });
  const { inputs, failures } = await provider.check(URN, {}, registered.inputs);
  expect(failures).toEqual([]);
  return inputs;
}

function write(name: string, sql: string): void {
  fs.writeFileSync(path.join(migrationsDir, name), sql);
}

async function history(): Promise<{ version: string; checksum: string; backup_ref: string | null }[]> {
  return withClient(adminUrl, async (c) => (await c.query("SELECT version, checksum, backup_ref FROM dbpipe.schema_migrations ORDER BY version")).rows);
}

async function columns(table: string): Promise<string[]> {
  return withClient(adminUrl, async (c) =>
    (await c.query<{ column_name: string }>("SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position", [table])).rows.map((r) => r.column_name),
  );
}

/** The gRPC error's message (what Pulumi shows), recorded. */
async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const message = (error as { details?: string }).details ?? String(error);
    errors.push(message);
    return message;
  }
  throw new Error("expected the call to fail");
}

beforeAll(async () => {
  adminUrl = await freshDatabase("mslife");
  databaseUrl = await migratorUrl(adminUrl, PASSWORD);
  migrationsDir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-mslife-"));
  storeDir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-mslife-store-"));
  write("0001_create_customers.sql", "CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, legacy_code text);\n");
  write("0002_create_invoices.sql", "CREATE TABLE invoices (id bigint PRIMARY KEY, customer_id bigint NOT NULL);\n");
  clone = cloneProject();
  provider = await DynamicProvider.start(clone);
});

afterAll(async () => {
  await provider?.stop();
  for (const dir of [clone, migrationsDir, storeDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("a prod MigrationSet", () => {
  let id: string;
  let outputs: Record<string, unknown>;
  let inputs: Record<string, unknown>;

  it("Create applies every migration and returns the full outputs", async () => {
    inputs = await preview();
    ({ id, outputs } = await provider.create(URN, inputs));
    states.push(outputs);
    expect(id).toBe("prod:dbpipe.schema_migrations");
    expect(outputs.head).toBe("0002_create_invoices");
    expect(outputs.lastApplied).toEqual(["0001", "0002"]);
    expect(Object.keys(outputs.applied as object)).toEqual(["0001_create_customers", "0002_create_invoices"]);
    expect((outputs.applied as Record<string, string>)["0001_create_customers"]).toMatch(/^[0-9a-f]{12} \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \d+ms$/);
    expect(outputs.backupKey).toBeNull();
    expect(await columns("invoices")).toEqual(["id", "customer_id"]);
  });

  it("Diff finds nothing to do right after", async () => {
    expect((await provider.diff(URN, id, outputs, await preview())).changes).toBe("none");
  });

  it("Update applies a new migration, and Diff called it an update, not a replacement", async () => {
    write("0003_add_invoice_total.sql", "ALTER TABLE invoices ADD COLUMN total numeric;\n");
    const news = await preview();
    expect(Object.keys(readManifest(news.manifest) ?? {})).toEqual(["0001_create_customers", "0002_create_invoices", "0003_add_invoice_total"]);
    expect(await provider.diff(URN, id, outputs, news)).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });
    const updated = await provider.update(URN, id, outputs, news);
    states.push(updated);
    expect(updated.lastApplied).toEqual(["0003"]);
    expect(updated.head).toBe("0003_add_invoice_total");
    // Everything, not only what changed: what update leaves out is wiped from the state.
    for (const key of ["databaseUrl", "migrationsDir", "layout", "settings", "approvals", "backup", "manifestSha256", "applied", "head", "lastApplied", "backupKey", "lastRunAt"]) {
      expect(updated, key).toHaveProperty(key);
    }
    expect(Object.keys(updated.applied as object)).toHaveLength(3);
    expect(await columns("invoices")).toEqual(["id", "customer_id", "total"]);
    outputs = updated;
    inputs = news;
  });

  it("Update refuses a file edited after preview, naming it, and applies nothing", async () => {
    write("0004_create_payments.sql", "CREATE TABLE payments (id bigint PRIMARY KEY);\n");
    const news = await preview();
    write("0004_create_payments.sql", "CREATE TABLE payments (id bigint PRIMARY KEY, amount numeric);\n");
    const message = await failure(provider.update(URN, id, outputs, news));
    expect(message).toMatch(/^the migration files differ from the ones the run was planned with; nothing was run\. .*\n {2}- .*0004_create_payments\.sql: changed since the run was planned \(checksum [0-9a-f]{12} planned, [0-9a-f]{12} now\)$/);
    expect((await history()).map((r) => r.version)).toEqual(["0001", "0002", "0003"]);
    expect(await columns("payments")).toEqual([]);
    fs.rmSync(path.join(migrationsDir, "0004_create_payments.sql"));
  });

  it("Update fails a plan prod blocks with its reasons, in the CLI's words, and applies nothing", async () => {
    write("0004_drop_invoices.sql", "DROP TABLE invoices;\n");
    const message = await failure(provider.update(URN, id, outputs, await preview()));
    expect(message).toMatch(/^stack prod \(tier prod\) refuses a pending migration; nothing was applied\.\n\n/);
    expect(message).toContain("0004");
    const cli = spawnSync(process.execPath, [path.join(clone, "bin/dbpipe.js"), "up", "--stack", "prod", "--dir", migrationsDir, "--database-url", databaseUrl], {
      cwd: clone,
      env: { ...process.env, NO_COLOR: "1", DATABASE_URL: "", DATABASE_URL_DIRECT: "" },
      encoding: "utf8",
    });
    expect(cli.status).toBe(1);
    expect(cli.stderr.trim()).toBe(`error: ${message}`);
    expect((await history()).map((r) => r.version)).toEqual(["0001", "0002", "0003"]);
    expect(await columns("invoices")).toEqual(["id", "customer_id", "total"]);
    fs.rmSync(path.join(migrationsDir, "0004_drop_invoices.sql"));
  });

  it("Update backs up before a medium-risk migration: dump and manifest in the store before its history row", async () => {
    write("0004_drop_legacy_code.sql", "ALTER TABLE customers DROP COLUMN legacy_code;\n");
    const news = await preview();
    const updated = await provider.update(URN, id, outputs, news);
    states.push(updated);
    expect(updated.lastApplied).toEqual(["0004"]);
    const key = updated.backupKey as string;
    expect(key).toMatch(/^prod-\d{8}T\d{6}\.\d{3}Z-before-0004$/);
    const manifest = JSON.parse(fs.readFileSync(path.join(storeDir, `${key}.json`), "utf8")) as { head: string; before: { version: string }[]; sha256: string };
    expect(manifest.head).toBe("0003");
    expect(manifest.before.map((m) => m.version)).toEqual(["0004"]);
    // The history row records that backup, and the dump predates the migration: the column it
    // drops is still there. The row is written in the migration's own transaction, so the dump
    // was whole before the row existed.
    const row = (await history()).find((r) => r.version === "0004")!;
    expect(row.backup_ref).toContain(key);
    const restored = execFileSync("pg_restore", ["--schema-only", "-f", "-", path.join(storeDir, `${key}.dump`)], { encoding: "utf8" });
    expect(restored).toMatch(/legacy_code text/);
    expect(await columns("customers")).toEqual(["id", "email"]);
    outputs = updated;
    inputs = news;
  });

  it("Update with nothing to apply (a setting changed) keeps naming the last migrations applied and their backup", async () => {
    const registered = await registerMigrationSet("prod", { databaseUrl, migrationsDir, backup: pathToFileURL(storeDir).href }, { "dbpipe:lockTimeout": "7s" });
    const { inputs: news } = await provider.check(URN, {}, registered.inputs);
    expect(await provider.diff(URN, id, outputs, news)).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });
    const updated = await provider.update(URN, id, outputs, news);
    states.push(updated);
    expect((updated.settings as { lockTimeoutMs: number }).lockTimeoutMs).toBe(7000);
    expect({ lastApplied: updated.lastApplied, backupKey: updated.backupKey, head: updated.head }).toEqual({ lastApplied: ["0004"], backupKey: outputs.backupKey, head: "0004_drop_legacy_code" });
    expect(updated.lastRunAt).not.toBe(outputs.lastRunAt);
    outputs = updated;
    inputs = news;
  });

  it("Update fails a no-transaction migration part way, and says how to repair it from the project, which works as said", async () => {
    write("0005_index_customers.sql", "-- dbpipe:no-transaction\nCREATE INDEX CONCURRENTLY customers_email ON customers (email);\nCREATE INDEX CONCURRENTLY broken ON no_such_table (x);\n");
    const message = await failure(provider.update(URN, id, outputs, await preview()));
    expect(message).toContain("the migration is recorded as failed. Fix the database by hand, then run `dbpipe repair`.");
    const hint = `Run that dbpipe command from this project's folder, on the database pulumi up migrates: add --stack prod --database-url "$(pulumi stack output migrationUrl --show-secrets --stack prod)"`;
    expect(message).toContain(hint);
    // What the hint says, with the URL `pulumi stack output` would print (a local server: no tunnel).
    await withClient(adminUrl, (c) => c.query("DROP INDEX customers_email"));
    const repair = spawnSync(process.execPath, [path.join(clone, "bin/dbpipe.js"), "repair", "--stack", "prod", "--dir", migrationsDir, "--database-url", databaseUrl], {
      cwd: clone,
      env: { ...process.env, NO_COLOR: "1", DATABASE_URL: "", DATABASE_URL_DIRECT: "" },
      encoding: "utf8",
    });
    expect({ status: repair.status, stderr: repair.stderr }).toEqual({ status: 0, stderr: "" });
    expect((await history()).map((r) => r.version)).toEqual(["0001", "0002", "0003", "0004"]);
    fs.rmSync(path.join(migrationsDir, "0005_index_customers.sql"));
  });

  it("Read shows migrations applied, changed or removed outside Pulumi, and the next Diff updates", async () => {
    await withClient(adminUrl, async (c) => {
      await c.query("UPDATE dbpipe.schema_migrations SET checksum = repeat('e', 64) WHERE version = '0002'");
      await c.query("DELETE FROM dbpipe.schema_migrations WHERE version = '0003'");
      await c.query("INSERT INTO dbpipe.schema_migrations (version, name, checksum, success) VALUES ('0005', 'hotfix_by_hand', repeat('f', 64), true)");
    });
    const read = await provider.read(URN, id, outputs);
    states.push(read.outputs);
    expect(read.id).toBe(id);
    const before = outputs.applied as Record<string, string>;
    const after = read.outputs.applied as Record<string, string>;
    expect(Object.keys(after)).toEqual(["0001_create_customers", "0002_create_invoices", "0004_drop_legacy_code", "0005_hotfix_by_hand"]);
    expect(after["0002_create_invoices"]).toMatch(/^eeeeeeeeeeee /);
    expect(after["0001_create_customers"]).toBe(before["0001_create_customers"]);
    expect(read.outputs.head).toBe("0005_hotfix_by_hand");
    // The rest of the state survives a refresh.
    expect(read.outputs.manifestSha256).toBe(outputs.manifestSha256);
    expect(read.outputs.databaseUrl).toBe(databaseUrl);
    expect((await provider.diff(URN, id, read.outputs, inputs)).changes).toBe("some");
    outputs = read.outputs;
  });

  it("Delete leaves the database as it was", async () => {
    const tablesBefore = await withClient(adminUrl, async (c) => (await c.query("SELECT tablename FROM pg_tables WHERE schemaname IN ('public', 'dbpipe') ORDER BY 1")).rows);
    const historyBefore = await history();
    await provider.delete(URN, id, outputs);
    expect(await withClient(adminUrl, async (c) => (await c.query("SELECT tablename FROM pg_tables WHERE schemaname IN ('public', 'dbpipe') ORDER BY 1")).rows)).toEqual(tablesBefore);
    expect(await history()).toEqual(historyBefore);
  });

  it("keeps the password out of every output but the secret URL, out of errors and the provider's log, and the SQL out of the state", () => {
    expect(states.length).toBeGreaterThanOrEqual(4);
    for (const state of states) {
      // The URL is an output under its own key, which the engine stores encrypted (a secret input's key, and additionalSecretOutputs).
      expect(state.databaseUrl).toBe(databaseUrl);
      const rest = JSON.stringify({ ...state, databaseUrl: undefined });
      expect(rest).not.toContain(PASSWORD);
      for (const sql of SQL_PIECES) expect(rest).not.toContain(sql);
    }
    expect(errors).toHaveLength(3);
    for (const text of [...errors, provider.stderr]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(encodeURIComponent(PASSWORD));
    }
  });
});
