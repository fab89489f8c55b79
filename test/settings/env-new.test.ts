import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import { newEnvironment } from "../../src/settings/env-new";
import { loadStackSettings } from "../../src/settings/stack-file";
import { PROJECT_DIR, engineConfig, fitsPulumiType, readProjectFile } from "../infra/helpers/engine-config";

/** `newEnvironment`, the core of `dbpipe env new`, in a scratch project. */

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-env-new-"));
  fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What `newEnvironment` throws, or a failure when it does not. */
function refusal(run: () => unknown): InputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error("expected an InputError");
}

describe("newEnvironment", () => {
  it("writes a test-tier stack that passes validation with the test tier's values", () => {
    const created = newEnvironment({ projectDir: dir, name: "staging", tier: "test", region: "eu-west-1" });
    expect(created.file).toBe(path.join(dir, "Pulumi.staging.yaml"));
    const settings = loadStackSettings(dir, "staging");
    expect(settings).toEqual(created.settings);
    expect(settings.tier).toBe("test");
    expect(settings.infra).toMatchObject({
      server: "rds",
      databaseName: "app",
      instanceClass: "db.t4g.small",
      allocatedStorageGb: 50,
      maxAllocatedStorageGb: 200,
      backupRetentionDays: 14,
      multiAz: false,
      performanceInsights: true,
      deletionProtection: false,
      finalSnapshot: false,
      protectResources: false,
      backupObjectLock: false,
      awsRegion: "eu-west-1",
    });
    expect(settings.migrations).toMatchObject({ lockTimeoutMs: 10_000, statementTimeoutMs: 30 * 60_000 });
    expect(settings.risk).toMatchObject({ backupBefore: "high", requireApprovalAt: "never" });
  });

  it("pins the values that shape resources and leaves migration policy to the tier, each with a comment", () => {
    newEnvironment({ projectDir: dir, name: "staging", tier: "test" });
    const text = fs.readFileSync(path.join(dir, "Pulumi.staging.yaml"), "utf8");
    const lines = text.split("\n");
    for (const pinned of ["dbpipe:instanceClass: db.t4g.small", 'dbpipe:engineVersion: "15"', "dbpipe:backupRetentionDays: 14", "dbpipe:protectResources: false"]) {
      const i = lines.indexOf(`  ${pinned}`);
      expect({ pinned, written: i >= 0 }).toEqual({ pinned, written: true });
      expect(lines[i - 1]).toMatch(/^ {2}# \S/);
    }
    expect(lines).toContain("  # dbpipe:lockTimeout: 10s");
    expect(lines).toContain("  # dbpipe:requireApprovalAt: never");
    expect(lines).toContain("  # aws:region: eu-west-1");
  });

  it("writes values of the types Pulumi.yaml declares", () => {
    newEnvironment({ projectDir: dir, name: "staging", tier: "prod", region: "eu-west-1" });
    const project = readProjectFile(dir);
    const { config } = engineConfig("staging", { projectDir: dir });
    expect(config["dbpipe:tier"]).toBe("prod");
    for (const [key, declaration] of Object.entries(project.config)) {
      const value = config[`dbpipe:${key}`];
      const typed = declaration.type === "array" ? JSON.parse(value) : value;
      expect({ key, fits: fitsPulumiType(declaration, typed) }).toEqual({ key, fits: true });
    }
  });

  it("writes a prod environment with protection, Object Lock and its region", () => {
    const { settings } = newEnvironment({ projectDir: dir, name: "prod-eu", tier: "prod", region: "eu-central-1" });
    expect(settings.infra).toMatchObject({
      deletionProtection: true,
      finalSnapshot: true,
      multiAz: true,
      protectResources: true,
      backupObjectLock: true,
      backupRetentionDays: 30,
      backupForceDestroy: false,
      awsRegion: "eu-central-1",
    });
    expect(settings.risk.requireApprovalAt).toBe("high");
  });

  it("refuses a name that exists, naming the file and leaving it untouched", () => {
    fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), "config:\n  dbpipe:tier: test\n");
    const error = refusal(() => newEnvironment({ projectDir: dir, name: "staging", tier: "dev" }));
    expect(error.message).toBe("Pulumi.staging.yaml exists already: environment staging is taken (edit that file, or choose another name)");
    expect(error.kind).toBe("invalid-input");
    expect(fs.readFileSync(path.join(dir, "Pulumi.staging.yaml"), "utf8")).toBe("config:\n  dbpipe:tier: test\n");
  });

  it.each(["Staging", "staging_eu", "staging.eu", "-staging", "staging-", "stag--ing", "1staging", "a".repeat(33), ""])("refuses the name %j", (name) => {
    const error = refusal(() => newEnvironment({ projectDir: dir, name, tier: "test" }));
    expect(error.message).toBe(
      `"${name}" is not a valid environment name: use lower-case letters, digits and single hyphens, starting with a letter, at most 32 characters (it becomes part of RDS, S3 and KMS names)`,
    );
    expect(fs.readdirSync(dir)).toEqual(["Pulumi.yaml"]);
  });

  it.each(["a", "qa", "staging-eu-2", "a".repeat(32)])("accepts the name %j", (name) => {
    expect(newEnvironment({ projectDir: dir, name, tier: "dev" }).settings.stack).toBe(name);
  });

  it("refuses a tier-named environment of another tier", () => {
    expect(refusal(() => newEnvironment({ projectDir: dir, name: "prod", tier: "dev" })).message).toBe(
      "a stack named prod must have tier prod, not dev: its name says prod to everyone who reads it",
    );
  });

  it("refuses a prod environment without a region", () => {
    expect(refusal(() => newEnvironment({ projectDir: dir, name: "live", tier: "prod" })).message).toBe(
      "--region is required for a prod environment: its region must not depend on who runs pulumi up",
    );
    expect(fs.existsSync(path.join(dir, "Pulumi.live.yaml"))).toBe(false);
  });

  it("refuses a region that is not one", () => {
    expect(refusal(() => newEnvironment({ projectDir: dir, name: "live", tier: "prod", region: "Frankfurt" })).message).toBe(
      '--region must be an AWS region such as eu-west-1, got "Frankfurt"',
    );
  });
});
