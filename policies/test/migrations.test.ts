import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { manifestText, migrationManifest } from "../../src/infra/migration-set";
import { loadMigrations } from "../../src/migrate/files";
import { migrationApproved, migrationBackedUp, migrationMatchesCheckout } from "../migrations";
import { TYPES } from "../resources";
import { type TestResource, UNKNOWN, analyse, resourceViolations, secret } from "./policy-args";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const CREATE = "CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL);\n";
const HIGH = "DROP TABLE accounts;\n";
const MEDIUM = "ALTER TABLE accounts DROP COLUMN name;\n";

/** A migrations folder with `files` (name → SQL), and a MigrationSet whose manifest was taken from it. */
function migrationSet(files: Record<string, string>, change: Record<string, unknown> = {}): { resource: TestResource; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-policy-"));
  dirs.push(dir);
  for (const [name, sql] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), sql);
  const manifest = manifestText(migrationManifest(loadMigrations(dir, { layout: "dbpipe" }).migrations));
  return {
    dir,
    resource: {
      type: TYPES.migrationSet,
      name: "app-prod-migrations",
      inputs: {
        databaseUrl: secret("postgresql://app_migrator:pw@db:5432/app"),
        migrationsDir: dir,
        layout: "dbpipe",
        manifest,
        settings: { stack: "prod", tier: "prod", requireApprovalAt: "high", backupBefore: "medium" },
        approvals: [],
        backup: "s3://app-prod-backups/app",
        ...change,
      },
    },
  };
}

const checksumOf = (dir: string, version: string) => loadMigrations(dir, { layout: "dbpipe" }).migrations.find((m) => m.version === version)?.checksum as string;

describe("migrations policies in prod", () => {
  it("pass low-risk migrations", async () => {
    await analyse("prod");
    const { resource } = migrationSet({ "0001_create_accounts.sql": CREATE });
    for (const policy of [migrationMatchesCheckout, migrationApproved, migrationBackedUp]) expect(await resourceViolations(policy, "prod", resource), policy.name).toEqual([]);
  });

  it("refuse a high-risk migration without an approval, whatever the props say about thresholds", async () => {
    await analyse("prod");
    const { resource, dir } = migrationSet(
      { "0001_create_accounts.sql": CREATE, "0002_drop_accounts.sql": HIGH },
      { settings: { stack: "prod", tier: "dev", requireApprovalAt: "never", backupBefore: "never" }, approvals: [{ version: "0002", checksum: "0".repeat(64), reason: "props" }] },
    );
    expect(await resourceViolations(migrationApproved, "prod", resource)).toEqual([
      `Migration 0002_drop_accounts (high risk: drop-table) must have an approval bound to checksum ${checksumOf(dir, "0002")} in Pulumi.prod.yaml (dbpipe:approvals).`,
    ]);
  });

  it("pass a high-risk migration approved in the stack's config with its checksum", async () => {
    const { resource, dir } = migrationSet({ "0001_create_accounts.sql": CREATE, "0002_drop_accounts.sql": HIGH });
    await analyse("prod", { "dbpipe:approvals": [{ version: "0002", checksum: checksumOf(dir, "0002"), reason: "accounts moved to the identity service" }] });
    expect(await resourceViolations(migrationApproved, "prod", resource)).toEqual([]);
  });

  it("refuse an approval whose checksum no longer matches the file", async () => {
    const stale = "a".repeat(64);
    const { resource, dir } = migrationSet({ "0001_create_accounts.sql": CREATE, "0002_drop_accounts.sql": HIGH });
    await analyse("prod", { "dbpipe:approvals": [{ version: "0002", checksum: stale, reason: "an earlier version of the file" }] });
    expect(await resourceViolations(migrationApproved, "prod", resource)).toEqual([
      `Migration 0002_drop_accounts (high risk: drop-table) must have a new approval in Pulumi.prod.yaml: its approval names checksum ${stale}, the file now has ${checksumOf(dir, "0002")}.`,
    ]);
  });

  it("refuse a file in the checkout that differs from the manifest", async () => {
    await analyse("prod");
    const { resource, dir } = migrationSet({ "0001_create_accounts.sql": CREATE });
    const manifested = checksumOf(dir, "0001");
    fs.writeFileSync(path.join(dir, "0001_create_accounts.sql"), CREATE + HIGH);
    expect(await resourceViolations(migrationMatchesCheckout, "prod", resource)).toEqual([
      `Migration 0001_create_accounts must match the manifest's checksum ${manifested}: ${path.join(dir, "0001_create_accounts.sql")} in the checkout has ${checksumOf(dir, "0001")}.`,
    ]);
    // And its SQL is not judged: what runs is refused before its risk matters.
    expect(await resourceViolations(migrationApproved, "prod", resource)).toEqual([]);
  });

  it("refuse a medium-risk migration without a backup store, and pass it with one (even unknown at preview)", async () => {
    await analyse("prod");
    const files = { "0001_create_accounts.sql": CREATE, "0002_drop_name.sql": MEDIUM };
    expect(await resourceViolations(migrationBackedUp, "prod", migrationSet(files, { backup: "" }).resource)).toEqual([
      "Migration 0002_drop_name (medium risk) must run after a backup: give the MigrationSet a backup store.",
    ]);
    expect(await resourceViolations(migrationBackedUp, "prod", migrationSet(files, { backup: UNKNOWN }).resource)).toEqual([]);
    expect(await resourceViolations(migrationBackedUp, "prod", migrationSet(files).resource)).toEqual([]);
  });
});

describe("migrations policies in dev", () => {
  it("report an unapproved high-risk migration too: prod will refuse it (the dev config makes it advice)", async () => {
    await analyse("dev");
    const { resource, dir } = migrationSet({ "0001_create_accounts.sql": CREATE, "0002_drop_accounts.sql": HIGH });
    expect(await resourceViolations(migrationApproved, "dev", resource)).toEqual([
      `Migration 0002_drop_accounts (high risk: drop-table) must have an approval bound to checksum ${checksumOf(dir, "0002")} in Pulumi.dev.yaml (dbpipe:approvals).`,
    ]);
  });
});
