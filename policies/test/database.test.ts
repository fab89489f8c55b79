import { beforeEach, describe, expect, it } from "vitest";
import {
  rdsInstanceBackupRetention,
  rdsInstanceDeletionProtection,
  rdsInstanceFinalSnapshot,
  rdsInstanceMultiAz,
  rdsInstanceNotPublic,
  rdsInstanceStorageEncrypted,
  statefulResourceProtected,
} from "../database";
import { TYPES } from "../resources";
import { type TestResource, UNKNOWN, analyse, resourceViolations } from "./policy-args";

/** A prod RDS instance as the program declares it. */
function rdsInstance(change: Record<string, unknown> = {}, protect = true): TestResource {
  return {
    type: TYPES.rdsInstance,
    name: "app-prod-server-instance",
    protect,
    parents: ["dbpipe:infra:DatabaseEnvironment", "dbpipe:infra:RdsServer"],
    inputs: {
      engine: "postgres",
      engineVersion: "15",
      instanceClass: "db.m6g.large",
      storageEncrypted: true,
      kmsKeyId: UNKNOWN,
      publiclyAccessible: false,
      multiAz: true,
      backupRetentionPeriod: 30,
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: UNKNOWN,
      ...change,
    },
  };
}

describe("database policies in prod", () => {
  beforeEach(() => analyse("prod"));

  it("pass the shipped prod instance, whose KMS key and snapshot name are unknown at preview", async () => {
    for (const policy of [
      rdsInstanceDeletionProtection,
      rdsInstanceFinalSnapshot,
      rdsInstanceStorageEncrypted,
      rdsInstanceNotPublic,
      rdsInstanceBackupRetention,
      rdsInstanceMultiAz,
      statefulResourceProtected,
    ]) {
      expect(await resourceViolations(policy, "prod", rdsInstance()), policy.name).toEqual([]);
    }
  });

  it("refuse an instance without deletion protection", async () => {
    expect(await resourceViolations(rdsInstanceDeletionProtection, "prod", rdsInstance({ deletionProtection: false }))).toEqual([
      "RDS instance must have deletion protection in prod.",
    ]);
  });

  it("refuse an instance that skips its final snapshot", async () => {
    expect(await resourceViolations(rdsInstanceFinalSnapshot, "prod", rdsInstance({ skipFinalSnapshot: true }))).toEqual([
      "RDS instance must keep a final snapshot in prod (skipFinalSnapshot false).",
    ]);
  });

  it("refuse unencrypted storage", async () => {
    expect(await resourceViolations(rdsInstanceStorageEncrypted, "prod", rdsInstance({ storageEncrypted: false }))).toEqual([
      "RDS instance must have encrypted storage in prod.",
    ]);
  });

  it("refuse a publicly accessible instance", async () => {
    expect(await resourceViolations(rdsInstanceNotPublic, "prod", rdsInstance({ publiclyAccessible: true }))).toEqual([
      "RDS instance must not be publicly accessible in prod.",
    ]);
  });

  it("refuse backups kept for less than the tier's 30 days", async () => {
    expect(await resourceViolations(rdsInstanceBackupRetention, "prod", rdsInstance({ backupRetentionPeriod: 7 }))).toEqual([
      "RDS instance must keep automated backups for at least 30 days in prod (backupRetentionPeriod is 7).",
    ]);
  });

  it("refuse a single-AZ instance", async () => {
    expect(await resourceViolations(rdsInstanceMultiAz, "prod", rdsInstance({ multiAz: false }))).toEqual(["RDS instance must be Multi-AZ in prod."]);
  });

  it("refuse an unprotected instance, database, bucket or KMS key", async () => {
    expect(await resourceViolations(statefulResourceProtected, "prod", rdsInstance({}, false))).toEqual([
      "RDS instance app-prod-server-instance must have Pulumi protect in prod.",
    ]);
    for (const [type, what] of [
      [TYPES.pgDatabase, "Database"],
      [TYPES.bucket, "S3 bucket"],
      [TYPES.kmsKey, "KMS key"],
    ]) {
      expect(await resourceViolations(statefulResourceProtected, "prod", { type, name: "x", inputs: {}, protect: false })).toEqual([
        `${what} x must have Pulumi protect in prod.`,
      ]);
      expect(await resourceViolations(statefulResourceProtected, "prod", { type, name: "x", inputs: {}, protect: true })).toEqual([]);
    }
  });

  it("leave an unknown deletion protection to the SDK, which reports it cannot run at preview", async () => {
    await expect(resourceViolations(rdsInstanceDeletionProtection, "prod", rdsInstance({ deletionProtection: UNKNOWN }))).rejects.toThrow(
      /deletionProtection/,
    );
  });
});

describe("the tier the database policies apply", () => {
  it("is dev for the dev stack: no prod rule applies", async () => {
    await analyse("dev");
    expect(await resourceViolations(rdsInstanceDeletionProtection, "dev", rdsInstance({ deletionProtection: false }, false))).toEqual([]);
    expect(await resourceViolations(statefulResourceProtected, "dev", rdsInstance({}, false))).toEqual([]);
  });

  it("stays prod for a stack named prod whose config declares a laxer tier", async () => {
    await analyse("prod", { "dbpipe:tier": "dev" });
    expect(await resourceViolations(rdsInstanceMultiAz, "prod", rdsInstance({ multiAz: false }))).toEqual(["RDS instance must be Multi-AZ in prod."]);
  });

  it("is prod for a stack of another name whose config declares prod", async () => {
    await analyse("live", { "dbpipe:tier": "prod", "aws:region": "us-east-1" });
    expect(await resourceViolations(rdsInstanceDeletionProtection, "live", rdsInstance({ deletionProtection: false }))).toEqual([
      "RDS instance must have deletion protection in prod.",
    ]);
  });

  it("asks for the stack's own retention when it is longer than the tier's", async () => {
    await analyse("prod", { "dbpipe:backupRetentionDays": "60" });
    expect(await resourceViolations(rdsInstanceBackupRetention, "prod", rdsInstance({ backupRetentionPeriod: 30 }))).toEqual([
      "RDS instance must keep automated backups for at least 35 days in prod (backupRetentionPeriod is 30).",
    ]);
  });
});
