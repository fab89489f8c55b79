import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engineConfig } from "../../test/infra/helpers/engine-config";
import { manifestText, migrationManifest, readManifest } from "../../src/infra/migration-set";
import { loadMigrations } from "../../src/migrate/files";
import { PROJECT_DIR } from "../analysed-stack";
import { TYPES } from "../resources";
import { type AnalyzedResource, PACK_DIR, type RunningPack, startPack } from "./analyzer";
import { secret } from "./policy-args";

/**
 * The migrations policies on the analyzer path, with the shipped migrations: 0005 is high risk, and
 * the shipped Pulumi.prod.yaml approves it with its checksum.
 */

const shipped = loadMigrations(path.join(PROJECT_DIR, "migrations"), { layout: "dbpipe" }).migrations;
const m0005 = shipped.find((m) => m.version === "0005");
if (!m0005) throw new Error("the shipped migrations have no 0005");
const HIGH = `Migration 0005_${m0005.name} (high risk: ${"update-without-where"})`;

/**
 * A copy of the shipped migrations in a folder of its own, with `change` (file name → SQL) applied:
 * a branch where someone edited or added a migration.
 */
function branch(change: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-branch-"));
  fs.cpSync(path.join(PROJECT_DIR, "migrations"), dir, { recursive: true });
  for (const [name, sql] of Object.entries(change)) fs.writeFileSync(path.join(dir, name), sql);
  return dir;
}

/** The MigrationSet the program declares for `stack` on migrations folder `dir`, as the engine sends it. */
function migrationSet(stack: string, dir = path.join(PROJECT_DIR, "migrations")): AnalyzedResource {
  const migrations = loadMigrations(dir, { layout: "dbpipe" }).migrations;
  return {
    type: TYPES.migrationSet,
    name: `dbpipe-${stack}-migrations`,
    urn: `urn:pulumi:${stack}::dbpipe::dbpipe:infra:DatabaseEnvironment$${TYPES.migrationSet}::dbpipe-${stack}-migrations`,
    parent: "",
    protect: false,
    properties: {
      databaseUrl: secret(`postgresql://app_migrator:Pw0123456789@db.example.com:5432/app`),
      migrationsDir: dir === path.join(PROJECT_DIR, "migrations") ? "migrations" : dir,
      layout: "dbpipe",
      manifest: manifestText(migrationManifest(migrations)),
      settings: { stack, tier: stack, requireApprovalAt: "never", backupBefore: "never" },
      approvals: [],
      backup: `s3://dbpipe-${stack}-backups/app`,
    },
    dependencies: [],
    propertyDependencies: {},
    additionalSecretOutputs: ["databaseUrl"],
  };
}

async function packFor(stack: string): Promise<RunningPack> {
  const pack = await startPack(stack, engineConfig(stack));
  await pack.configure(path.join(PACK_DIR, "config", `${stack}.json`));
  return pack;
}

describe("migrations on the analyzer path", () => {
  let prod: RunningPack;
  let dev: RunningPack;
  const dirs: string[] = [];

  beforeAll(async () => {
    [prod, dev] = await Promise.all([packFor("prod"), packFor("dev")]);
  }, 300_000);
  afterAll(() => {
    prod?.stop();
    dev?.stop();
    dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
  });

  it("passes the shipped migrations with the shipped prod approval", async () => {
    expect(await prod.analyze(migrationSet("prod"))).toEqual([]);
  });

  it("refuses a new high-risk migration in prod without its approval", async () => {
    const dir = branch({ "0006_drop_attachments.sql": "DROP TABLE attachments;\n" });
    dirs.push(dir);
    const checksum = loadMigrations(dir, { layout: "dbpipe" }).migrations.find((m) => m.version === "0006")?.checksum;
    const found = await prod.analyze(migrationSet("prod", dir));
    expect(found.map((d) => [d.policyName, d.enforcementLevel, d.message.split("\n")[1]])).toEqual([
      ["migration-approved", "mandatory", `Migration 0006_drop_attachments (high risk: drop-table) must have an approval bound to checksum ${checksum} in Pulumi.prod.yaml (dbpipe:approvals).`],
    ]);
  });

  it("refuses an approved migration edited since: the approval's checksum no longer matches", async () => {
    const dir = branch({ [path.basename(m0005.path)]: `${fs.readFileSync(m0005.path, "utf8")}\nUPDATE products SET sku = NULL;\n` });
    dirs.push(dir);
    const edited = loadMigrations(dir, { layout: "dbpipe" }).migrations.find((m) => m.version === "0005")?.checksum;
    const found = await prod.analyze(migrationSet("prod", dir));
    expect(found.map((d) => [d.policyName, d.enforcementLevel, d.message.split("\n")[1]])).toEqual([
      ["migration-approved", "mandatory", `${HIGH} must have a new approval in Pulumi.prod.yaml: its approval names checksum ${m0005.checksum}, the file now has ${edited}.`],
    ]);
  });

  it("only advises in dev", async () => {
    const found = await dev.analyze(migrationSet("dev"));
    expect(found.map((d) => [d.policyName, d.enforcementLevel, d.message.split("\n")[1]])).toEqual([
      ["migration-approved", "advisory", `${HIGH} must have an approval bound to checksum ${m0005.checksum} in Pulumi.dev.yaml (dbpipe:approvals).`],
    ]);
  });

  it("refuses a plain-text connection and a manifest the checkout does not match", async () => {
    const tampered = migrationSet("prod");
    tampered.properties = {
      ...tampered.properties,
      databaseUrl: "postgresql://app_migrator:Pw0123456789@db.example.com:5432/app",
      manifest: manifestText({ ...(readManifest(tampered.properties.manifest) as Record<string, string>), [`0005_${m0005.name}`]: "d".repeat(64) }),
    };
    const found = await prod.analyze(tampered);
    expect(found.map((d) => [d.policyName, d.enforcementLevel])).toEqual([
      ["migration-matches-checkout", "mandatory"],
      ["migration-set-connection-secret", "mandatory"],
      ["no-plaintext-password", "mandatory"],
    ]);
  });
});
