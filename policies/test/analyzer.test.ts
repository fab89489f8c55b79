import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TYPES } from "../resources";
import { type AnalyzedResource, PACK_DIR, type RunningPack, analyzeAll, captureStack, startPack } from "./analyzer";

/**
 * The pack as `pulumi preview --policy-pack policies --policy-pack-config policies/config/<stack>.json`
 * runs it, on the resources of the shipped stacks captured under Pulumi's mocks.
 */

const configFile = (stack: string) => path.join(PACK_DIR, "config", `${stack}.json`);

/** `resources` with `change` applied to the one of `type` (named `name`). */
function changed(resources: readonly AnalyzedResource[], type: string, change: (r: AnalyzedResource) => AnalyzedResource, name?: string): AnalyzedResource[] {
  const matching = resources.filter((r) => r.type === type && (name === undefined || r.name === name));
  if (matching.length !== 1) throw new Error(`expected one ${type}, found ${matching.length}`);
  return resources.map((r) => (r === matching[0] ? change(r) : r));
}

describe("the pack for stack prod", () => {
  let pack: RunningPack;
  let resources: AnalyzedResource[];
  let firstPreview: AnalyzedResource[];

  beforeAll(async () => {
    resources = await captureStack("prod");
    firstPreview = await captureStack("prod", undefined, { firstPreview: true });
    pack = await startPack("prod");
    await pack.configure(configFile("prod"));
  }, 180_000);
  afterAll(() => pack?.stop());

  it("describes itself: name, version, every policy mandatory by default in prod", async () => {
    const info = await pack.info();
    expect(info.name).toBe("dbpipe");
    expect(info.version).toBe("0.1.0");
    expect(info.policies.map((p) => p.name)).toContain("stateful-resource-protected");
    expect(new Set(info.policies.map((p) => p.enforcementLevel))).toEqual(new Set(["mandatory"]));
  });

  it("passes the shipped prod stack, with the shipped migrations and approvals, at an update and at the first preview", async () => {
    expect(resources.some((r) => r.type === TYPES.rdsInstance)).toBe(true);
    // What a refusal of the backup bucket would have been checked on: its access logs into a bucket of their own.
    const backups = resources.find((r) => r.type === TYPES.bucket && r.name.endsWith("-backups-bucket")) as AnalyzedResource;
    const logging = resources.filter((r) => r.type === TYPES.bucketLogging);
    expect(logging.map((r) => r.propertyDependencies.bucket)).toEqual([[backups.urn]]);
    expect(logging[0].propertyDependencies.targetBucket).toEqual([resources.find((r) => r.type === TYPES.bucket && r.name.endsWith("-backups-logs"))?.urn]);
    // The shipped MigrationSet, whose high-risk 0005 the shipped Pulumi.prod.yaml approves.
    expect(resources.filter((r) => r.type === TYPES.migrationSet)).toHaveLength(1);
    expect(await analyzeAll(pack, resources)).toEqual([]);
    const mandatory = (await analyzeAll(pack, firstPreview)).filter((d) => d.enforcementLevel === "mandatory");
    expect(mandatory).toEqual([]);
  });

  it("refuses the prod stack as it was before it declared access logs", async () => {
    const unlogged = resources.filter((r) => r.type !== TYPES.bucketLogging && !r.name.includes("-backups-logs"));
    expect(unlogged.length).toBeLessThan(resources.length - 5);
    const backups = unlogged.find((r) => r.type === TYPES.bucket && r.name.endsWith("-backups-bucket")) as AnalyzedResource;
    expect((await analyzeAll(pack, unlogged)).map((d) => [d.policyName, d.enforcementLevel, d.message.split("\n")[1], d.urn])).toEqual([
      ["backup-bucket-access-logging", "mandatory", "Backup bucket must have S3 access logging in prod.", backups.urn],
    ]);
  });

  it("refuses an unprotected prod database", async () => {
    const unprotected = changed(resources, TYPES.pgDatabase, (r) => ({ ...r, protect: false }));
    const database = unprotected.find((r) => r.type === TYPES.pgDatabase) as AnalyzedResource;
    expect(await analyzeAll(pack, unprotected)).toEqual([
      {
        policyName: "stateful-resource-protected",
        message: `In prod the server, the database, the buckets and their KMS keys have Pulumi protect, so the engine refuses to delete or replace them.\nDatabase ${database.name} must have Pulumi protect in prod.`,
        enforcementLevel: "mandatory",
        // A resource's own diagnostics carry no URN: the engine attaches them to the resource it analysed.
        urn: "",
      },
    ]);
  });

  it("refuses backups that expire too soon, found through the bucket's property dependency at a first preview", async () => {
    const short = changed(firstPreview, TYPES.bucketLifecycle, (r) => ({
      ...r,
      properties: { ...r.properties, rules: [{ id: "expire-backups", status: "Enabled", expiration: { days: 7 } }] },
    }), "dbpipe-backups-lifecycle");
    const bucket = short.find((r) => r.type === TYPES.bucket && r.name.endsWith("-backups-bucket")) as AnalyzedResource;
    const found = (await pack.analyzeStack(short)).filter((d) => d.enforcementLevel === "mandatory");
    expect(found).toEqual([
      expect.objectContaining({
        policyName: "backup-bucket-lifecycle-retention",
        message: expect.stringContaining("Backup bucket must expire backups after exactly 30 days, the stack's backup retention (found: 7)."),
        urn: bucket.urn,
      }),
    ]);
  });
});

describe("the pack for stack dev", () => {
  let pack: RunningPack;
  let resources: AnalyzedResource[];

  beforeAll(async () => {
    resources = await captureStack("dev");
    pack = await startPack("dev");
    await pack.configure(configFile("dev"));
  }, 180_000);
  afterAll(() => pack?.stop());

  it("passes the shipped dev stack, whose database is not protected", async () => {
    expect(resources.find((r) => r.type === TYPES.pgDatabase)?.protect).toBe(false);
    // The shipped high-risk 0005 is approved for prod only: dev hears that prod will ask for its approval.
    const expected = resources.some((r) => r.type === TYPES.migrationSet) ? [["migration-approved", "advisory"]] : [];
    expect((await analyzeAll(pack, resources)).map((d) => [d.policyName, d.enforcementLevel])).toEqual(expected);
  });

  it("only advises in dev", async () => {
    const noVersioning = resources.filter((r) => r.type !== TYPES.bucketVersioning);
    const found = await pack.analyzeStack(noVersioning);
    expect(found.map((d) => [d.policyName, d.enforcementLevel])).toEqual([["backup-bucket-versioning", "advisory"]]);
  });
});
