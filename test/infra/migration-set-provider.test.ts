import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, migratorUrl } from "../helpers/database";
import { PROJECT_DIR, engineConfig } from "./helpers/engine-config";
import { runWithMocks } from "./helpers/run-with-mocks";
import { readManifest } from "../../src/infra/migration-set-manifest";
import { DynamicProvider, MIGRATION_SET_TYPE, type Registered, cloneProject, migrationSetUrn, registerMigrationSet, stateEntry } from "./migration-set-harness";

/**
 * The MigrationSet provider as the engine runs it: serialized from a mocked registration of the
 * prod stack in this project, run by `@pulumi/pulumi/cmd/dynamic-provider` in a second copy of the
 * project at another path, driven over gRPC. Check and Diff, the serialized code, the state size.
 */

const URN = migrationSetUrn("prod");
const PASSWORD = "Migr4tor-Pw-7f3a9c";

function writeMigrations(dir: string, files: Record<string, string>): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, sql] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), sql);
}

let clone: string;
let provider: DynamicProvider;
let migrationsDir: string;
let registered: Registered;
let databaseUrl: string;

/** The registration's inputs without `__provider` changes, as the engine passes them (secrets unwrapped). */
function news(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...registered.inputs, ...overrides };
}

beforeAll(async () => {
  databaseUrl = await migratorUrl(await freshDatabase("ms"), PASSWORD);
  migrationsDir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-ms-migrations-"));
  writeMigrations(migrationsDir, {
    "0001_create_customers.sql": "CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL);\n",
    "0002_create_invoices.sql": "CREATE TABLE invoices (id bigint PRIMARY KEY, customer_id bigint NOT NULL);\n",
  });
  registered = await registerMigrationSet("prod", { databaseUrl, migrationsDir, backup: "file:///var/backups/dbpipe" });
  clone = cloneProject();
  provider = await DynamicProvider.start(clone);
});

afterAll(async () => {
  await provider?.stop();
  if (clone) fs.rmSync(clone, { recursive: true, force: true });
  if (migrationsDir) fs.rmSync(migrationsDir, { recursive: true, force: true });
});

describe("the serialized provider", () => {
  it("carries no path of this machine and not the engine: it loads the provider by package name", () => {
    const text = registered.provider;
    expect(text).not.toContain(PROJECT_DIR);
    expect(text).not.toContain(os.homedir());
    expect(text).not.toContain(os.tmpdir());
    expect(text).toContain('"dbpipe/migration-set-provider"');
    // The engine (plan, history table, the risk gate) is not in it: it stays in the project.
    for (const word of ["schema_migrations", "buildPlan", "riskGate", "CREATE TABLE"]) expect(text).not.toContain(word);
    expect(text.length).toBeLessThan(8_000);
  });

  it("is the one the program's prod stack registers", async () => {
    const program = (await runWithMocks("prod", engineConfig("prod"))).recorder.one(MIGRATION_SET_TYPE);
    expect(program.inputs.__provider).toBe(registered.provider);
  });

  it("runs from a second copy of the project at another path", async () => {
    expect(clone).not.toBe(PROJECT_DIR);
    const { failures } = await provider.check(URN, {}, news());
    expect(failures).toEqual([]);
  });

  it("fails with a clear message where the project is not built", async () => {
    const bare = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-unbuilt-"));
    fs.cpSync(clone, bare, { recursive: true, filter: (src) => !src.startsWith(path.join(clone, "dist")) && !src.startsWith(path.join(clone, "node_modules")) });
    fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(bare, "node_modules"), "dir");
    const unbuilt = await DynamicProvider.start(bare);
    try {
      await expect(unbuilt.check(URN, {}, news())).rejects.toThrow(/MigrationSet provider is not built in .*: run `npm ci` \(or `npm run build`\) in the project/);
    } finally {
      await unbuilt.stop();
      fs.rmSync(bare, { recursive: true, force: true });
    }
  });
});

describe("the registered inputs", () => {
  it("hold a manifest keyed <version>_<name> with checksums, as one JSON text, never the SQL", () => {
    expect(typeof registered.inputs.manifest).toBe("string");
    const manifest = readManifest(registered.inputs.manifest) as Record<string, string>;
    expect(Object.keys(manifest)).toEqual(["0001_create_customers", "0002_create_invoices"]);
    for (const value of Object.values(manifest)) expect(value).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(registered.inputs)).not.toContain("CREATE TABLE");
  });

  it("keep the URL secret", () => {
    expect(registered.secretInputs).toEqual(["databaseUrl"]);
  });

  it("record prod's settings and the backup store", () => {
    expect(registered.inputs.settings).toMatchObject({ stack: "prod", tier: "prod", source: "Pulumi.prod.yaml", backupBefore: "medium", requireApprovalAt: "high", lockTimeoutMs: 5000 });
    expect(registered.inputs.backup).toBe("file:///var/backups/dbpipe");
    expect(registered.inputs.layout).toBe("dbpipe");
  });
});

describe("Check", () => {
  it("names each property that is wrong", async () => {
    const { failures } = await provider.check(
      URN,
      {},
      news({
        databaseUrl: `mysql://migrator:${PASSWORD}@db/app`,
        layout: "liquibase",
        manifest: JSON.stringify({ "0001_create_customers": "not-a-checksum", create_invoices: "a".repeat(64), "0002_x": "b".repeat(64), "02_y": "c".repeat(64) }),
        settings: { ...(registered.inputs.settings as object), tier: "production", lockTimeoutMs: -1, backupBefore: "sometimes" },
        approvals: [{ version: "v3", checksum: "abc", reason: "" }],
        backup: "ftp://backups",
      }),
    );
    expect(failures).toMatchInlineSnapshot(`
      [
        {
          "property": "databaseUrl",
          "reason": "must be a postgres:// or postgresql:// URL (the value is not shown: it is a secret)",
        },
        {
          "property": "layout",
          "reason": "must be one of dbpipe, prisma, drizzle, plain, flyway; got "liquibase"",
        },
        {
          "property": "manifest["0001_create_customers"]",
          "reason": "must be the file's sha256 (64 hex digits), followed by " no-transaction" for a file that runs outside a transaction; got "not-a-checksum"",
        },
        {
          "property": "manifest["02_y"]",
          "reason": "has the same version as 0002_x",
        },
        {
          "property": "manifest["create_invoices"]",
          "reason": "the key must be <version>_<name>, the version in digits",
        },
        {
          "property": "settings.tier",
          "reason": "must be one of dev, test, prod; got "production"",
        },
        {
          "property": "settings.lockTimeoutMs",
          "reason": "must be a whole number of milliseconds, 0 or more; got number -1",
        },
        {
          "property": "settings.backupBefore",
          "reason": "must be one of low, medium, high, never; got "sometimes"",
        },
        {
          "property": "approvals[0].version",
          "reason": "must be a migration version (digits); got "v3"",
        },
        {
          "property": "approvals[0].checksum",
          "reason": "must be the migration's sha256 (64 hex digits, as dbpipe plan --json prints it); got "abc"",
        },
        {
          "property": "approvals[0].reason",
          "reason": "must say why the migration may run; got empty",
        },
        {
          "property": "backup",
          "reason": "the store "ftp://backups" has an unknown scheme "ftp:": expected file:///absolute/folder or s3://bucket/prefix",
        },
      ]
    `);
    expect(JSON.stringify(failures)).not.toContain(PASSWORD);
  });

  it("takes a URL whose scheme is in upper case, as the CLI does", async () => {
    const { failures } = await provider.check(URN, {}, news({ databaseUrl: `POSTGRES://migrator:${PASSWORD}@db/app` }));
    expect(failures).toEqual([]);
  });

  it("refuses a rule id that is not a rule with the sentence every command gives", async () => {
    const settings = { ...(registered.inputs.settings as { ruleSeverity: object }), ruleSeverity: { "drop-tabel": "low", "drop-table": "high" } };
    const { failures } = await provider.check(URN, {}, news({ settings }));
    expect(failures).toEqual([
      { property: "settings.ruleSeverity.drop-tabel", reason: "no such rule (did you mean drop-table?); `dbpipe lint` prints rule ids beside each finding" },
    ]);
  });

  it("refuses settings that loosen the tier, whoever declares the resource: a prod set without approvals, or with a high rule lowered", async () => {
    const prod = { ...(registered.inputs.settings as object), tier: "prod", requireApprovalAt: "never", ruleSeverity: { "drop-table": "off", "drop-column": "low" } };
    const { failures } = await provider.check(URN, {}, news({ settings: prod }));
    expect(failures?.map((f) => `${f.property}: ${f.reason}`)).toEqual([
      "settings.requireApprovalAt: cannot be never in prod: the tier refuses high-risk migrations without an approval (allowed: low, medium, high)",
      "settings.ruleSeverity.drop-table: cannot be off in prod: drop-table findings are high risk, and the tier refuses high-risk migrations without an approval, so a rule may be raised there but not lowered below high; approve the migration in dbpipe:approvals instead (`dbpipe lint` prints the entry to add when it refuses one)",
    ]);
    const dev = { ...prod, tier: "dev", backupBefore: "never" };
    expect((await provider.check(URN, {}, news({ settings: dev }))).failures).toEqual([]);
  });

  it("refuses a manifest that is not the JSON text of a map, and takes the map a state from before holds", async () => {
    for (const manifest of ["{0001_create_customers", "[]", 42]) {
      const { failures } = await provider.check(URN, {}, news({ manifest }));
      expect(failures.map((f) => f.property)).toEqual(["manifest"]);
    }
    expect((await provider.check(URN, {}, news({ manifest: "[]" }))).failures[0].reason).toBe("must be the JSON text of a map of each migration (<version>_<name>) to its checksum; got a text that is not one");
    expect((await provider.check(URN, {}, news({ manifest: readManifest(registered.inputs.manifest) }))).failures).toEqual([]);
  });

  it("does not judge what preview does not know yet", async () => {
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const { failures } = await provider.check(URN, {}, news({ databaseUrl: unknown, backup: unknown }));
    expect(failures).toEqual([]);
  });
});

describe("Diff", () => {
  // The outputs of a run that applied the registered manifest, as the state would hold them.
  let outputs: Record<string, unknown>;
  let id: string;

  beforeAll(async () => {
    ({ id, outputs } = await provider.create(URN, news()));
  });

  it("finds nothing to do when nothing changed", async () => {
    expect(await provider.diff(URN, id, outputs, news())).toEqual({ changes: "none", replaces: [], deleteBeforeReplace: false });
  });

  it("updates, never replaces, for a new migration", async () => {
    const manifest = JSON.stringify({ ...readManifest(registered.inputs.manifest), "0003_add_invoice_total": "d".repeat(64) });
    expect(await provider.diff(URN, id, outputs, news({ manifest }))).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });
  });

  it("updates, never replaces, for a new URL, new settings or new approvals", async () => {
    const settings = { ...(registered.inputs.settings as object), lockTimeoutMs: 2000 };
    const approvals = [{ version: "0003", checksum: "d".repeat(64), reason: "backfill approved" }];
    for (const change of [{ databaseUrl: databaseUrl.replace(PASSWORD, "Rotated-Pw-1") }, { settings }, { approvals }, { backup: "s3://dbpipe-prod-backups/db" }]) {
      expect(await provider.diff(URN, id, outputs, news(change))).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });
    }
  });

  it("finds nothing to do for a stack last updated when the manifest was a map: one pulumi up converges", async () => {
    // The state of a stack last updated before the manifest became one JSON text: its old inputs
    // hold the map (the outputs never held the manifest, and record the same sha256). The program
    // now sends the text: Check takes it against the old inputs, and Diff finds nothing to do, so
    // the engine writes the new inputs to the state without an Update (nothing runs).
    const oldInputs = news({ manifest: readManifest(registered.inputs.manifest) });
    const checked = await provider.check(URN, oldInputs, news());
    expect(checked.failures).toEqual([]);
    expect(await provider.diff(URN, id, outputs, checked.inputs)).toEqual({ changes: "none", replaces: [], deleteBeforeReplace: false });
    // And a map (a program from before) still diffs as the text does.
    expect((await provider.diff(URN, id, outputs, oldInputs)).changes).toBe("none");
  });

  it("updates when the recorded history no longer matches the manifest (drift seen by refresh)", async () => {
    const applied = { ...(outputs.applied as Record<string, string>) };
    delete applied["0002_create_invoices"];
    expect((await provider.diff(URN, id, { ...outputs, applied }, news())).changes).toBe("some");
  });
});

describe("the state", () => {
  it("stays under 250 KB with 1,000 migrations", async () => {
    const big = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-ms-1000-"));
    try {
      const words = ["add", "create", "drop", "index", "orders", "invoices", "customers", "payments", "status", "table", "email", "products", "backfill"];
      const files: Record<string, string> = {};
      for (let i = 1; i <= 1000; i++) {
        const name = [0, 1, 2].map((j) => words[(i * 7 + j * 5) % words.length]).join("_") + `_${i}`;
        files[`${String(i).padStart(4, "0")}_${name}.sql`] = `CREATE TABLE t_${i} (id bigint PRIMARY KEY, note text);\n`;
      }
      writeMigrations(big, files);
      // The dev tier (no risk gate): what is measured is the state, not the classifier's speed.
      const reg = await registerMigrationSet("dev", { databaseUrl: await migratorUrl(await freshDatabase("ms1000"), PASSWORD), migrationsDir: big, backup: "s3://dbpipe-prod-backups/db" });
      const { inputs } = await provider.check(URN, {}, reg.inputs);
      const { id, outputs } = await provider.create(URN, inputs);
      expect(Object.keys(outputs.applied as object)).toHaveLength(1000);
      const entry = stateEntry(URN, id, inputs, outputs);
      const compact = JSON.stringify(JSON.parse(entry)).length;
      // The measurement, for the record in the test's output.
      // eslint-disable-next-line no-console -- a figure worth seeing in the run's output
      console.info(`MigrationSet state with 1,000 migrations: ${entry.length} bytes as the file backend writes it, ${compact} bytes compact`);
      expect(entry.length).toBeLessThan(250 * 1024);
      expect(entry).not.toContain("CREATE TABLE");
    } finally {
      fs.rmSync(big, { recursive: true, force: true });
    }
  });
});
