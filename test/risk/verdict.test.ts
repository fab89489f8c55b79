import { describe, expect, it } from "vitest";
import { buildRiskReport } from "../../src/risk/report";
import { computeVerdict } from "../../src/risk/verdict";
import { type StackSettings, parseStackSettings } from "../../src/settings/stack-settings";
import { lintSql } from "../helpers/migrations";

/** A stack's settings as `Pulumi.<stack>.yaml` would give them (with the aws:region prod requires). */
function stack(name: string, values: Record<string, unknown> = {}): StackSettings {
  const prefixed = { "aws:region": "eu-west-1", ...Object.fromEntries(Object.entries(values).map(([k, v]) => [`dbpipe:${k}`, v])) };
  return parseStackSettings({ stack: name, source: `Pulumi.${name}.yaml`, values: prefixed, secretKeys: new Set() });
}

const LOW = "CREATE TABLE notes (id bigint PRIMARY KEY, body text);";
const MEDIUM = "ALTER TABLE customers DROP COLUMN legacy;";
const HIGH = "-- retire sessions\nDROP TABLE sessions;";

describe("computeVerdict", () => {
  it("lets dev run everything, without a backup", async () => {
    const verdict = computeVerdict(await lintSql([LOW, MEDIUM, HIGH]), stack("dev"));
    expect(verdict).toMatchObject({ allowed: true, risk: "high", backupRequired: false, reasons: [], blocked: [] });
  });

  it("lets test run everything, with a backup before high risk only", async () => {
    expect(computeVerdict(await lintSql([LOW, MEDIUM]), stack("test"))).toMatchObject({ allowed: true, backupRequired: false });
    const verdict = computeVerdict(await lintSql([LOW, HIGH]), stack("test"));
    expect(verdict).toMatchObject({ allowed: true, backupRequired: true });
    expect(verdict.backupReason).toMatchInlineSnapshot(`"0002 (high) reaches the stack's backup threshold: test backs up before high-risk migrations."`);
  });

  it("makes prod back up before medium risk and still run it", async () => {
    const verdict = computeVerdict(await lintSql([LOW, MEDIUM]), stack("prod"));
    expect(verdict).toMatchObject({ allowed: true, backupRequired: true, risk: "medium" });
    expect(verdict.migrations.map((d) => [d.version, d.backupRequired, d.approval])).toEqual([
      ["0001", false, "not-needed"],
      ["0002", true, "not-needed"],
    ]);
  });

  it("refuses high risk in prod, naming the migration, the rule, where, and the YAML that approves it", async () => {
    const linted = await lintSql([LOW, HIGH]);
    const verdict = computeVerdict(linted, stack("prod"));
    expect(verdict.allowed).toBe(false);
    expect(verdict.blocked).toMatchObject([{ version: "0002", rules: ["drop-table"], approval: "missing", checksum: linted[1].checksum }]);
    expect(verdict.reasons[0].replace(linted[1].checksum, "<checksum>")).toMatchInlineSnapshot(`
      "0002 test (migrations/0002_test.sql) is high risk, and stack prod (tier prod) refuses high-risk migrations without an approval:
        migrations/0002_test.sql:2:1 high drop-table: DROP TABLE sessions deletes the table and all its rows.
      To approve it, add this entry to Pulumi.prod.yaml (the checksum binds the approval to this exact file; editing the file voids it):
          config:
            dbpipe:approvals:
              - version: "0002"
                checksum: <checksum>
                reason: <why it is safe to run>
                approvedBy: <who approves>"
    `);
  });

  it("runs an approved high-risk migration in prod, after a backup", async () => {
    const linted = await lintSql([HIGH]);
    const approvals = [{ version: "0001", checksum: linted[0].checksum, reason: "sessions moved to Redis", approvedBy: "platform" }];
    const verdict = computeVerdict(linted, stack("prod", { approvals }));
    expect(verdict).toMatchObject({ allowed: true, backupRequired: true, reasons: [] });
    expect(verdict.migrations[0]).toMatchObject({ approval: "approved", approvedBy: { reason: "sessions moved to Redis" } });
  });

  it("voids an approval whose checksum no longer matches the file, and says why", async () => {
    const linted = await lintSql([HIGH]);
    const old = "a".repeat(64);
    const verdict = computeVerdict(linted, stack("prod", { approvals: [{ version: "0001", checksum: old, reason: "reviewed" }] }));
    expect(verdict.allowed).toBe(false);
    expect(verdict.blocked[0]).toMatchObject({ approval: "stale", approvedChecksum: old });
    expect(verdict.reasons[0].split(linted[0].checksum).join("<checksum>")).toMatchInlineSnapshot(`
      "0001 test (migrations/0001_test.sql) is high risk, and its approval in Pulumi.prod.yaml is void: the file changed after it was approved (approved checksum aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, the file's checksum is now <checksum>):
        migrations/0001_test.sql:2:1 high drop-table: DROP TABLE sessions deletes the table and all its rows.
      Review the change; if it may still run, update the approval's checksum in Pulumi.prod.yaml:
          config:
            dbpipe:approvals:
              - version: "0001"
                checksum: <checksum>
                reason: <why it is safe to run>
                approvedBy: <who approves>"
    `);
  });

  it("lowers the risk for an acknowledged finding, but prod still needs its approval and a backup", async () => {
    const acknowledged = await lintSql("-- dbpipe:allow drop-table sessions moved to Redis\nDROP TABLE sessions;");
    expect(computeVerdict(acknowledged, stack("dev"))).toMatchObject({ allowed: true, risk: "low", backupRequired: false });
    expect(computeVerdict(acknowledged, stack("test"))).toMatchObject({ allowed: true, risk: "low", backupRequired: true });
    const prod = computeVerdict(acknowledged, stack("prod"));
    expect(prod).toMatchObject({ allowed: false, risk: "low", blocked: [{ version: "0001", risk: "high", rules: ["drop-table"] }] });
    expect(prod.reasons[0].split("\n").slice(0, 2)).toEqual([
      "0001 test (migrations/0001_test.sql) is high risk, and stack prod (tier prod) refuses high-risk migrations without an approval:",
      "  migrations/0001_test.sql:2:1 high drop-table: DROP TABLE sessions deletes the table and all its rows. (acknowledged in the file; an acknowledgement does not replace an approval)",
    ]);
    const approved = stack("prod", { approvals: [{ version: "0001", checksum: acknowledged[0].checksum, reason: "sessions moved to Redis" }] });
    expect(computeVerdict(acknowledged, approved)).toMatchObject({ allowed: true, backupRequired: true, backupReason: "0001 (high) reaches the stack's backup threshold: prod backs up before medium- or higher-risk migrations." });
  });

  it("takes its thresholds from the stack's settings, not from the tier's name", async () => {
    const strictStaging = stack("staging", { tier: "test", requireApprovalAt: "medium", backupBefore: "low" });
    const verdict = computeVerdict(await lintSql([LOW, MEDIUM]), strictStaging);
    expect(verdict).toMatchObject({ allowed: false, backupRequired: true, blocked: [{ version: "0002", rules: ["drop-column"] }] });
    expect(verdict.reasons[0]).toContain("stack staging (tier test) refuses medium- or higher-risk migrations without an approval");
    expect(verdict.reasons[0]).toContain("add this entry to Pulumi.staging.yaml");
  });

  it("allows an empty set of migrations", () => {
    expect(computeVerdict([], stack("prod"))).toMatchObject({ allowed: true, risk: "low", backupRequired: false, migrations: [] });
  });
});

describe("buildRiskReport", () => {
  it("has the contract's shape: migrations with their findings, and the verdict", async () => {
    const linted = await lintSql([LOW, HIGH]);
    const report = buildRiskReport(linted, computeVerdict(linted, stack("prod")));
    expect(report.stack).toBe("prod");
    expect(report.tier).toBe("prod");
    expect(report.migrations[1]).toEqual({
      version: "0002",
      name: "test",
      file: "migrations/0002_test.sql",
      checksum: linted[1].checksum,
      risk: "high",
      backupRequired: true,
      approval: "missing",
      findings: [
        {
          rule: "drop-table",
          severity: "high",
          line: 2,
          column: 1,
          message: "DROP TABLE sessions deletes the table and all its rows.",
          hint: expect.stringContaining("Stop using the table"),
          acknowledged: false,
          table: "sessions",
        },
      ],
    });
    expect(report.verdict).toMatchObject({ allowed: false, reasons: [expect.stringContaining("0002 test")], blocked: [{ version: "0002", rules: ["drop-table"] }] });
  });
});
