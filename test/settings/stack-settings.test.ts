import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { RULES } from "../../src/sql/rules";
import { RULE_IDS, RULE_SEVERITY } from "../../src/sql/rules/ids";
import { KEYS, keyDescription, keyEntry, tierDefault } from "../../src/settings/keys";
import { loadStackSettings, readStackFile } from "../../src/settings/stack-file";
import { SettingsError, type StackSettings, parseStackSettings } from "../../src/settings/stack-settings";
import { TIERS } from "../../src/settings/tiers";
import { runCli } from "../helpers/cli";
import { tempFolder } from "../helpers/project";

/** The key table and the rules across keys, read from stack files as the CLI reads them. */

/** The message of the SettingsError loading `Pulumi.<stack>.yaml` (holding `config`) throws. */
function refusal(stack: string, config: string): string {
  const dir = tempFolder({ [`Pulumi.${stack}.yaml`]: `config:\n${config}` });
  try {
    loadStackSettings(dir, stack);
  } catch (error) {
    if (error instanceof SettingsError) return error.message;
    throw error;
  }
  throw new Error("expected a SettingsError");
}

function settings(stack: string, config: string): StackSettings {
  return loadStackSettings(tempFolder({ [`Pulumi.${stack}.yaml`]: `config:\n${config}` }), stack);
}

describe("a stack named after a tier", () => {
  it("refuses another tier, naming the key and its line", () => {
    expect(refusal("prod", "  aws:region: eu-west-1\n  dbpipe:tier: dev\n")).toBe(
      "Pulumi.prod.yaml: invalid stack settings:\n" +
        "  Pulumi.prod.yaml:3: dbpipe:tier: must be prod in a stack named prod, got dev: a stack named after a tier has that tier (name the stack something else for another tier)",
    );
    expect(refusal("dev", "  dbpipe:tier: test\n")).toContain("Pulumi.dev.yaml:2: dbpipe:tier: must be dev in a stack named dev, got test");
  });

  it("accepts its own tier said out loud, and any tier for a stack with another name", () => {
    expect(settings("prod", "  aws:region: eu-west-1\n  dbpipe:tier: prod\n").tier).toBe("prod");
    expect(settings("staging", "  dbpipe:tier: dev\n").tier).toBe("dev");
  });

  it("is refused by the CLI with exit 2 before anything runs", async () => {
    const dir = tempFolder({ "Pulumi.prod.yaml": "config:\n  aws:region: eu-west-1\n  dbpipe:tier: dev\n", "migrations/0001_a.sql": "DROP TABLE a;\n" });
    const run = await runCli(["lint", "--stack", "prod"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Pulumi.prod.yaml:3: dbpipe:tier: must be prod in a stack named prod, got dev");
  });
});

describe("timeouts", () => {
  it("are refused above PostgreSQL's limit (INT_MAX milliseconds) when the settings are read", () => {
    expect(refusal("dev", '  dbpipe:lockTimeout: "99999999999d"\n')).toContain(
      "Pulumi.dev.yaml:2: dbpipe:lockTimeout: must be at most 2147483647ms (PostgreSQL's limit, about 24.9 days), got 99999999999d",
    );
    expect(refusal("dev", "  dbpipe:statementTimeout: 2147483648\n")).toContain("dbpipe:statementTimeout: must be at most 2147483647ms");
    expect(settings("dev", "  dbpipe:statementTimeout: 2147483647\n").migrations.statementTimeoutMs).toBe(2_147_483_647);
  });

  it("are refused when they would round to 0 ms (no limit) without being 0", () => {
    expect(refusal("dev", "  dbpipe:lockTimeout: 0.4ms\n")).toContain(
      "Pulumi.dev.yaml:2: dbpipe:lockTimeout: must be 0 (no limit) or at least 1ms, got 0.4ms, which rounds to 0 (no limit)",
    );
    expect(settings("dev", "  dbpipe:lockTimeout: 0\n").migrations.lockTimeoutMs).toBe(0);
    expect(settings("dev", "  dbpipe:lockTimeout: 1.5s\n").migrations.lockTimeoutMs).toBe(1500);
  });
});

describe("dbpipe:ruleSeverity", () => {
  it("names every id that is not a rule, on its own line, with the closest rule id", () => {
    expect(refusal("dev", "  dbpipe:ruleSeverity:\n    drop-tabel: low\n    truncate: hi\n    nonsense-here: off\n")).toBe(
      "Pulumi.dev.yaml: invalid stack settings:\n" +
        "  Pulumi.dev.yaml:3: dbpipe:ruleSeverity.drop-tabel: no such rule (did you mean drop-table?); `dbpipe lint` prints rule ids beside each finding\n" +
        '  Pulumi.dev.yaml:4: dbpipe:ruleSeverity.truncate: must be one of low, medium, high, off, got "hi"\n' +
        "  Pulumi.dev.yaml:5: dbpipe:ruleSeverity.nonsense-here: no such rule; `dbpipe lint` prints rule ids beside each finding",
    );
  });

  it("is checked when pulumi up parses the runtime's config (JSON text), not only by lint", () => {
    const parse = () =>
      parseStackSettings({ stack: "dev", source: "Pulumi config", values: { "dbpipe:ruleSeverity": '{"drop-tabel":"low"}' }, secretKeys: new Set() });
    expect(parse).toThrow("dbpipe:ruleSeverity.drop-tabel: no such rule (did you mean drop-table?)");
  });

  it("checks against the rule registry's own ids and default severities", () => {
    expect([...RULE_IDS].sort()).toEqual(RULES.map((r) => r.id).sort());
    expect(Object.fromEntries(RULES.map((r) => [r.id, r.severity]))).toEqual(RULE_SEVERITY);
  });
});

describe("the key table", () => {
  it("fills every field of the settings from exactly one key, with the tier's defaults when nothing is set", () => {
    const landed = KEYS.map((k) => (k.lands === "tier" ? "tier" : k.lands.join(".")));
    expect(new Set(landed).size).toBe(landed.length);
    for (const tier of TIERS) {
      const parsed = parseStackSettings({ stack: tier, source: "test", values: {}, secretKeys: new Set() });
      const fields = [
        "tier",
        ...(["migrations", "risk", "infra"] as const).flatMap((area) => Object.keys(parsed[area]).map((f) => `${area}.${f}`)),
      ].filter((f) => f !== "infra.backupForceDestroy" && f !== "infra.awsRegion");
      expect(fields.sort()).toEqual([...landed].sort());
      for (const entry of KEYS) {
        if (entry.lands === "tier") continue;
        const [area, field] = entry.lands;
        const expected = tierDefault(entry, tier);
        if (expected !== undefined) expect({ key: entry.name, value: (parsed[area] as unknown as Record<string, unknown>)[field] }).toEqual({ key: entry.name, value: expected });
      }
    }
  });

  it("gives what the tiers promise: written out by hand here, so a change of a default shows", () => {
    const tier = (t: "dev" | "test" | "prod") => parseStackSettings({ stack: t, source: "test", values: {}, secretKeys: new Set() });
    expect([tier("dev"), tier("test"), tier("prod")].map((s) => [s.migrations.lockTimeoutMs, s.migrations.statementTimeoutMs, s.risk.backupBefore, s.risk.requireApprovalAt])).toEqual([
      [30_000, 0, "never", "never"],
      [10_000, 1_800_000, "high", "never"],
      [5_000, 1_800_000, "medium", "high"],
    ]);
    expect(tier("dev").infra.schemaName).toBe("app");
  });
});

describe("what prod requires", () => {
  const prodRequired = KEYS.filter((k) => k.prodRequires !== undefined);

  it("is said in each such key's description", () => {
    expect(prodRequired.map((k) => k.name).sort()).toEqual(["backupObjectLock", "deletionProtection", "finalSnapshot", "protectResources"]);
    for (const entry of prodRequired) expect(keyDescription(entry)).toContain(`prod requires ${String(entry.prodRequires!.value)}`);
  });

  it.each(["backupObjectLock", "deletionProtection", "finalSnapshot", "protectResources"])("refuses dbpipe:%s: false in prod, naming the key and why", (name) => {
    const entry = keyEntry(name);
    expect(refusal("prod", `  aws:region: eu-west-1\n  dbpipe:${name}: false\n`)).toBe(
      `Pulumi.prod.yaml: invalid stack settings:\n  Pulumi.prod.yaml:3: dbpipe:${name}: must be true in prod: ${entry.prodRequires!.because}`,
    );
    expect(settings("test", `  dbpipe:${name}: false\n`).tier).toBe("test");
  });
});

describe("a stack named after a tier in another case", () => {
  it("has that tier too: Prod cannot be dev", () => {
    expect(refusal("Prod", "  dbpipe:tier: dev\n")).toBe(
      "Pulumi.Prod.yaml: invalid stack settings:\n  Pulumi.Prod.yaml:2: dbpipe:tier: must be prod in a stack named Prod, got dev: a stack named after a tier has that tier (name the stack something else for another tier)",
    );
    expect(settings("PROD", "  aws:region: eu-west-1\n").tier).toBe("prod");
  });
});

describe("dbpipe:extensions", () => {
  it("refuses a name PostgreSQL would truncate (over 63 characters)", () => {
    expect(refusal("dev", `  dbpipe:extensions: [pgcrypto, ${"x".repeat(64)}]\n`)).toBe(
      "Pulumi.dev.yaml: invalid stack settings:\n  Pulumi.dev.yaml:2: dbpipe:extensions: [1] must be at most 63 characters (PostgreSQL's limit for names), got 64",
    );
    expect(settings("dev", `  dbpipe:extensions: [${"x".repeat(63)}]\n`).infra.extensions).toEqual(["x".repeat(63)]);
  });
});

describe("the stack file", () => {
  it("that does not exist is named once, with the stacks there are", async () => {
    const dir = tempFolder({ "Pulumi.dev.yaml": "config:\n  dbpipe:tier: dev\n", "Pulumi.staging.yaml": "config:\n  dbpipe:tier: test\n" });
    const run = await runCli(["lint", "--stack", "nosuch"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `error: --stack nosuch: ${path.join(dir, "Pulumi.nosuch.yaml")} does not exist (stacks here: dev, staging); create it with \`dbpipe env new nosuch --tier <dev|test|prod>\`\n`,
    );
  });

  it("refuses a top-level key Pulumi's stack files do not have, such as a misspelt config: (which would drop every setting), naming its line", async () => {
    const dir = tempFolder({ "Pulumi.prod.yaml": "secretsprovider: passphrase\nconfigg:\n  dbpipe:approvals: []\nextra: 1\n" });
    expect(() => loadStackSettings(dir, "prod")).toThrow(
      "Pulumi.prod.yaml: invalid stack settings:\n" +
        "  Pulumi.prod.yaml:2: configg: is not a key of a stack file (did you mean config?) (a stack file holds config, secretsprovider, encryptedkey, encryptionsalt, environment; dbpipe's settings go under config:)\n" +
        "  Pulumi.prod.yaml:4: extra: is not a key of a stack file (a stack file holds config, secretsprovider, encryptedkey, encryptionsalt, environment; dbpipe's settings go under config:)",
    );
    const pulumiOwn = tempFolder({ "Pulumi.dev.yaml": "secretsprovider: passphrase\nencryptionsalt: v1:abc\nenvironment:\n  - shared\nconfig:\n  dbpipe:lockTimeout: 2s\n" });
    expect(loadStackSettings(pulumiOwn, "dev").migrations.lockTimeoutMs).toBe(2000);
  });

  it("says what is wrong with settings nested under dbpipe:, a list given as a word, and a stack name that is a path", async () => {
    expect(refusal("dev", "  dbpipe:\n    tier: dev\n")).toBe(
      "Pulumi.dev.yaml: invalid stack settings:\n  Pulumi.dev.yaml:2: dbpipe:dbpipe: is not a key: write each setting on its own line under config: as dbpipe:<key>: <value> (dbpipe:tier: dev), not nested under dbpipe:",
    );
    expect(refusal("dev", "  dbpipe:extensions: pgcrypto\n")).toContain('Pulumi.dev.yaml:2: dbpipe:extensions: must be a YAML list (or the JSON text of one), got "pgcrypto"');
    const run = await runCli(["status", "--stack", "../../etc"], { cwd: tempFolder({}) });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 2, stderr: 'error: --stack: "../../etc" is not a valid stack name (letters, digits, _ . -)\n' });
  });

  it("that is not valid YAML is refused at the line of the mistake", () => {
    expect(() => loadStackSettings(tempFolder({ "Pulumi.dev.yaml": "config:\n\tdbpipe:tier: dev\n" }), "dev")).toThrow("Pulumi.dev.yaml:2: (file): not valid YAML: Tabs are not allowed as indentation");
    expect(() => loadStackSettings(tempFolder({ "Pulumi.dev.yaml": "config:\n  dbpipe:tier: dev\n  dbpipe:tier: test\n" }), "dev")).toThrow(/Pulumi\.dev\.yaml:3: \(file\): not valid YAML: Map keys must be unique/);
  });

  it("that is a directory, or a link that loops, is named with exit 2", async () => {
    const dir = tempFolder({ "migrations/0001_a.sql": "SELECT 1;\n" });
    fs.mkdirSync(path.join(dir, "Pulumi.dev.yaml"));
    fs.symlinkSync("Pulumi.test.yaml", path.join(dir, "Pulumi.test.yaml"));
    expect(() => readStackFile(dir, "dev")).toThrow(`${path.join(dir, "Pulumi.dev.yaml")} is a directory, not a stack settings file`);
    const run = await runCli(["lint"], { cwd: dir });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 2, stderr: `error: ${path.join(dir, "Pulumi.dev.yaml")} is a directory, not a stack settings file: remove or rename it\n` });
    const loop = await runCli(["lint", "--stack", "test"], { cwd: dir });
    expect({ code: loop.code, stderr: loop.stderr }).toEqual({ code: 2, stderr: `error: ${path.join(dir, "Pulumi.test.yaml")} is a symbolic link that loops: point it at a file\n` });
  });
});
