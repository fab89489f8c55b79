import * as os from "node:os";
import type * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { readManifest } from "../../src/infra/migration-set-manifest";
import { loadMigrations } from "../../src/migrate/files";
import { PROJECT_DIR, engineConfig } from "./helpers/engine-config";
import { type Registration, isSecretValue, plainPasswords, unwrap } from "./helpers/pulumi-mocks";
import { type MockedRun, resolve, runWithMocks } from "./helpers/run-with-mocks";
import { MIGRATION_SET_TYPE } from "./migration-set-harness";

/**
 * The program declares each stack's MigrationSet: after the database, its roles and grants and the
 * backup bucket, with the migrator's direct URL as a secret, the bucket as its backup store, the
 * stack's tier settings and the repository's migrations as a manifest.
 */

const TYPES = {
  role: "postgresql:index/role:Role",
  grant: "postgresql:index/grant:Grant",
  grantRole: "postgresql:index/grantRole:GrantRole",
  defaultPrivileges: "postgresql:index/defaultPrivileges:DefaultPrivileges",
  database: "postgresql:index/database:Database",
  bucket: "aws:s3/bucket:Bucket",
} as const;

describe.each([
  ["dev", "dev", "never", "never"],
  ["test", "test", "high", "never"],
  ["prod", "prod", "medium", "high"],
] as const)("stack %s", (stack, tier, backupBefore, requireApprovalAt) => {
  let run: MockedRun;
  let set: Registration;

  beforeAll(async () => {
    run = await runWithMocks(stack, engineConfig(stack));
    set = run.recorder.one(MIGRATION_SET_TYPE);
  });

  it("declares one MigrationSet in the environment, after the database, its roles and grants, and the bucket", () => {
    // Named after the project, not the stack, so that `pulumi stack rename` replaces nothing.
    expect(set.name).toBe("dbpipe-migrations");
    expect(set.parent).toContain("dbpipe:infra:DatabaseEnvironment");
    // Dependencies by type and name (the mock monitor qualifies URNs' types more briefly than the recorder).
    const dependsOn = new Set(set.dependencies.map((urn) => `${urn.split("::")[2].split("$").pop()}::${urn.split("::")[3]}`));
    for (const type of [TYPES.database, TYPES.role, TYPES.grant, TYPES.grantRole, TYPES.defaultPrivileges, TYPES.bucket]) {
      const resources = run.recorder.ofType(type);
      expect(resources.length, type).toBeGreaterThan(0);
      for (const r of resources) expect(dependsOn.has(`${type}::${r.name}`), `${type} ${r.name}`).toBe(true);
    }
  });

  it("migrates as the migrator over its direct URL, through the tunnel's local end, a secret in inputs and outputs", async () => {
    expect(isSecretValue(set.inputs.databaseUrl)).toBe(true);
    expect(set.additionalSecretOutputs).toContain("databaseUrl");
    const url = await resolve(run.exports.migrationUrl as pulumi.Output<string>);
    // The checked-in stacks reach RDS through `dbpipe tunnel`: the same URL, at localhost:15432,
    // where the certificate cannot name the host, so only its CA is verified.
    const tunnelled = new URL(url.value as string);
    tunnelled.host = "localhost:15432";
    tunnelled.searchParams.set("sslmode", "verify-ca");
    expect(unwrap(set.inputs.databaseUrl)).toBe(tunnelled.toString());
    expect(new URL(url.value as string).username).toBe("app_migrator");
    expect(plainPasswords(run.recorder, [["MigrationSet", { ...set.inputs }]])).toEqual([]);
  });

  it("backs up to the environment's bucket", () => {
    // prod also has a bucket for the backup bucket's access logs: backups never go there
    const buckets = run.recorder.ofType(TYPES.bucket).filter((b) => !b.name.endsWith("-logs"));
    expect(buckets).toHaveLength(1);
    expect(set.inputs.backup).toBe(`s3://${buckets[0].name}/backups`);
  });

  it("records the stack's tier settings and the repository's migrations, without their SQL", () => {
    expect(set.inputs.settings).toMatchObject({ stack, tier, backupBefore, requireApprovalAt, source: `Pulumi.${stack}.yaml` });
    expect(set.inputs.migrationsDir).toBe("migrations");
    const files = loadMigrations(`${PROJECT_DIR}/migrations`).migrations;
    expect(typeof set.inputs.manifest).toBe("string");
    const manifest = readManifest(set.inputs.manifest) ?? {};
    expect(Object.keys(manifest)).toEqual(files.map((m) => `${m.version}_${m.name}`));
    expect(Object.values(manifest)).toEqual(files.map((m) => `${m.checksum}${m.noTransaction ? " no-transaction" : ""}`));
    const text = JSON.stringify(set.inputs);
    for (const m of files) expect(text).not.toContain(m.up.text.trim().split("\n")[0]);
  });

  it("serializes a provider without this machine's paths", () => {
    const provider = set.inputs.__provider as string;
    expect(provider).toContain("dbpipe/migration-set-provider");
    expect(provider).not.toContain(PROJECT_DIR);
    expect(provider).not.toContain(os.homedir());
  });

  it("exports the head, the last applied versions and the last backup", () => {
    expect(Object.keys(run.exports)).toEqual(expect.arrayContaining(["migrationHead", "lastAppliedMigrations", "lastMigrationBackup"]));
  });
});
