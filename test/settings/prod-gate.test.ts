import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliInProcess } from "../helpers/cli-in-process";
import { PROJECT_DIR } from "../infra/helpers/engine-config";
import { loadProgramIn } from "../infra/helpers/run-with-mocks";

/**
 * Prod refuses a high-risk migration without an approval; lowering the rule that makes it high would
 * be the same as `requireApprovalAt: never`, in one line. Every front end refuses it, naming the key
 * and its line, before anything is linted, planned or declared.
 */
describe("what a prod stack file cannot loosen by mistake", () => {
  let prod: string;
  const HEAD = "config:\n  aws:region: us-east-1\n  dbpipe:networkPath: tunnel\n";
  beforeAll(() => {
    prod = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-rule-severity-prod-")));
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(prod, "Pulumi.yaml"));
    fs.mkdirSync(path.join(prod, "migrations"));
    fs.writeFileSync(path.join(prod, "migrations", "0001_a.sql"), "CREATE TABLE a (i int);\n");
    fs.writeFileSync(path.join(prod, "migrations", "0002_drop_a.sql"), "DROP TABLE a;\n");
  });
  afterAll(() => fs.rmSync(prod, { recursive: true, force: true }));
  const stackFile = (text: string) => fs.writeFileSync(path.join(prod, "Pulumi.prod.yaml"), HEAD + text);
  const REFUSED =
    "dbpipe:ruleSeverity.drop-table: cannot be low in prod: drop-table findings are high risk, and the tier refuses high-risk migrations without an approval, " +
    "so a rule may be raised there but not lowered below high; approve the migration in dbpipe:approvals instead (`dbpipe lint` prints the entry to add when it refuses one)";

  it("is what stands between an unapproved DROP TABLE and prod: without the override, lint refuses the migration", async () => {
    stackFile("");
    const run = await runCliInProcess(["lint", "--stack", "prod"], { cwd: prod });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("0002 drop_a (migrations/0002_drop_a.sql) is high risk, and stack prod (tier prod) refuses high-risk migrations without an approval");
  });

  it.each([["lint"], ["plan"], ["up"]])("stops `dbpipe %s --stack prod` with exit 2, naming the key and its line", async (command) => {
    stackFile("  dbpipe:ruleSeverity:\n    missing-lock-timeout: off\n    drop-table: low\n");
    const run = await runCliInProcess([command, "--stack", "prod"], { cwd: prod });
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({
      code: 2,
      stdout: "",
      stderr: `error: Pulumi.prod.yaml: invalid stack settings:\n  Pulumi.prod.yaml:6: ${REFUSED}\n`,
    });
  });

  it("lets prod raise a rule and lower a medium one: the DROP TABLE is still refused", async () => {
    stackFile("  dbpipe:ruleSeverity:\n    missing-lock-timeout: off\n    create-extension: high\n");
    const run = await runCliInProcess(["lint", "--stack", "prod"], { cwd: prod });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("0002 drop_a (migrations/0002_drop_a.sql) is high risk");
  });

  it("refuses an approval whose version YAML read as a number, and matches a quoted one by its value", async () => {
    stackFile("");
    const json = await runCliInProcess(["lint", "--stack", "prod", "--format", "json"], { cwd: prod });
    const checksum = (JSON.parse(json.stdout) as { migrations: { version: string; checksum: string }[] }).migrations.find((m) => m.version === "0002")!.checksum;
    const approval = (version: string) => `  dbpipe:approvals:\n    - version: ${version}\n      checksum: ${checksum}\n      reason: the table is empty since 2.14\n`;

    stackFile(approval("0002"));
    const unquoted = await runCliInProcess(["lint", "--stack", "prod"], { cwd: prod });
    expect({ code: unquoted.code, stdout: unquoted.stdout, stderr: unquoted.stderr }).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "error: Pulumi.prod.yaml: invalid stack settings:\n" +
        '  Pulumi.prod.yaml:4: dbpipe:approvals: [0].version must be quoted, as in version: "0005": unquoted, YAML reads it as the number 2, which drops leading zeros (some YAML readers even take a leading 0 for octal)\n',
    });

    for (const version of ['"0002"', '"2"']) {
      stackFile(approval(version));
      const quoted = await runCliInProcess(["lint", "--stack", "prod"], { cwd: prod });
      expect({ version, code: quoted.code, stderr: quoted.stderr }).toEqual({ version, code: 0, stderr: "" });
      expect(quoted.stdout).toContain("Stack prod (tier prod): allowed, after a backup");
    }
  });

  // Last: loading the program resets the module registry, which the in-process CLI runs above share.
  it("stops pulumi up before anything is declared, with the same sentence", async () => {
    stackFile("  dbpipe:ruleSeverity:\n    drop-table: low\n");
    const { error, recorder } = await loadProgramIn(prod, "prod");
    expect(error?.message).toBe(`Pulumi.prod.yaml: invalid stack settings:\n  Pulumi.prod.yaml:5: ${REFUSED}`);
    expect(recorder.registrations).toEqual([]);
  });
});
