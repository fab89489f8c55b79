import { beforeEach, describe, expect, it } from "vitest";
import { TYPES } from "../resources";
import { migrationSetConnectionSecret, noPlaintextPassword } from "../secrets";
import { type TestResource, UNKNOWN, analyse, resourceViolations, secret } from "./policy-args";

const URL = "postgresql://app_migrator:Pw0123456789abcdef@app.c0abc123.us-east-1.rds.amazonaws.com:5432/app?sslmode=verify-full";

/** A MigrationSet as the program declares it. */
function migrationSet(change: Record<string, unknown> = {}): TestResource {
  return {
    type: TYPES.migrationSet,
    name: "app-prod-migrations",
    inputs: {
      databaseUrl: secret(URL),
      migrationsDir: "migrations",
      layout: "dbpipe",
      manifest: { "0001_create_accounts": "a".repeat(64) },
      approvals: [],
      backup: "s3://app-prod-backups/app",
      __provider: "exports.handler = ...",
      ...change,
    },
  };
}

describe("secrets policies", () => {
  beforeEach(() => analyse("prod"));

  it("pass a MigrationSet whose URL is a secret, also when it is unknown at preview", async () => {
    expect(await resourceViolations(migrationSetConnectionSecret, "prod", migrationSet())).toEqual([]);
    expect(await resourceViolations(noPlaintextPassword, "prod", migrationSet())).toEqual([]);
    expect(await resourceViolations(noPlaintextPassword, "prod", migrationSet({ databaseUrl: secret(UNKNOWN) }))).toEqual([]);
  });

  it("refuse a MigrationSet whose URL is plain text", async () => {
    expect(await resourceViolations(migrationSetConnectionSecret, "prod", migrationSet({ databaseUrl: URL }))).toEqual(["MigrationSet databaseUrl must be a secret."]);
    expect(await resourceViolations(noPlaintextPassword, "prod", migrationSet({ databaseUrl: URL }))).toEqual([
      "Property databaseUrl of app-prod-migrations must be a secret: it holds a password.",
    ]);
  });

  it("refuse a plain password property anywhere, and a URL with a password nested in a list", async () => {
    const role: TestResource = { type: "postgresql:index/role:Role", name: "app-app", inputs: { name: "app_app", login: true, password: "Pw0123456789abcdef" } };
    expect(await resourceViolations(noPlaintextPassword, "prod", role)).toEqual(["Property password of app-app must be a secret: it holds a password."]);
    expect(await resourceViolations(noPlaintextPassword, "prod", { ...role, inputs: { ...role.inputs, password: secret("Pw0123456789abcdef") } })).toEqual([]);
    const task: TestResource = { type: "aws:ecs/taskDefinition:TaskDefinition", name: "task", inputs: { environment: [{ name: "DATABASE_URL", value: URL }] } };
    expect(await resourceViolations(noPlaintextPassword, "prod", task)).toEqual(["Property environment.0.value of task must be a secret: it holds a password."]);
  });

  it("leave alone URLs without a password and flags about passwords", async () => {
    const instance: TestResource = {
      type: TYPES.rdsInstance,
      name: "db",
      inputs: { manageMasterUserPassword: true, endpoint: "postgresql://app@db.example.com/app", password: UNKNOWN },
    };
    expect(await resourceViolations(noPlaintextPassword, "prod", instance)).toEqual([]);
  });
});
