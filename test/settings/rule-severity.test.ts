import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lintMigrations } from "../../src/sql/lint";
import { ruleIdProblem } from "../../src/sql/rules/ids";
import { runCliInProcess } from "../helpers/cli-in-process";
import { PROJECT_DIR } from "../infra/helpers/engine-config";
import { loadProgramIn } from "../infra/helpers/run-with-mocks";

/**
 * A misspelt rule id in `dbpipe:ruleSeverity` is one mistake with one answer: every command that
 * reads the stack, `pulumi up` (the program), and the linter itself refuse it with the same
 * sentence — the key named, a did-you-mean — and the CLI with exit 2.
 */

const PROBLEM = "dbpipe:ruleSeverity.drop-tabel: no such rule (did you mean drop-table?); `dbpipe lint` prints rule ids beside each finding";

let dir: string;
beforeAll(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-rule-severity-")));
  fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  fs.mkdirSync(path.join(dir, "migrations"));
  fs.writeFileSync(path.join(dir, "migrations", "0001_a.sql"), "CREATE TABLE a (i int);\n");
  fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config:\n  dbpipe:networkPath: tunnel\n  dbpipe:ruleSeverity:\n    drop-tabel: low\n    drop-table: medium\n");
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("a misspelt rule id in dbpipe:ruleSeverity", () => {
  it.each([
    ["lint"],
    ["plan"],
    ["up"],
    ["down", "--to", "0"],
    ["status"],
    ["baseline", "--version", "0001"],
    ["repair", "--mark-applied", "0001"],
    ["verify"],
    ["diff"],
    ["adopt"],
    ["tunnel"],
    ["backup"],
    ["backups"],
    ["restore", "x", "--to", "postgres://someone@localhost:5432/copy"],
  ])("stops `dbpipe %s` with exit 2, naming the key, its line and the closest rule", async (...args) => {
    const run = await runCliInProcess([...args, "--stack", "dev"], { cwd: dir });
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({
      code: 2,
      stdout: "",
      stderr: `error: Pulumi.dev.yaml: invalid stack settings:\n  Pulumi.dev.yaml:4: ${PROBLEM}\n`,
    });
  });

  it("stops pulumi up before anything is declared, with the same sentence", async () => {
    const { error, recorder } = await loadProgramIn(dir, "dev");
    expect(error?.message).toBe(`Pulumi.dev.yaml: invalid stack settings:\n  Pulumi.dev.yaml:4: ${PROBLEM}`);
    expect(recorder.registrations).toEqual([]);
  });

  it("is refused by the linter, given the overrides directly, with the same sentence", async () => {
    const error = await lintMigrations([], { ruleSeverity: { "drop-tabel": "low" }, settingsSource: "Pulumi.dev.yaml" }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(`Pulumi.dev.yaml: invalid stack settings:\n  Pulumi.dev.yaml: ${PROBLEM}`);
    expect(ruleIdProblem("drop-table")).toBeUndefined();
  });
});
