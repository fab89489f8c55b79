import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * `npm run new-rule -- <id>` in a temporary copy of the project: it writes the rule, its test and
 * its doc, registers the rule, and what it writes type-checks and loads as a rule.
 */

const root = path.resolve(__dirname, "../..");
let copy: string;

function run(command: string, args: string[]) {
  return spawnSync(command, args, { cwd: copy, encoding: "utf8" });
}

function newRule(...args: string[]) {
  return run(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/new-rule.ts", ...args]);
}

beforeAll(() => {
  copy = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-new-rule-"));
  for (const part of ["src", "scripts", "docs/rules", "test/helpers", "test/sql/rules", "tsconfig.json", "package.json"]) {
    fs.cpSync(path.join(root, part), path.join(copy, part), { recursive: true });
  }
  fs.symlinkSync(path.join(root, "node_modules"), path.join(copy, "node_modules"));
});

afterAll(() => fs.rmSync(copy, { recursive: true, force: true }));

describe("npm run new-rule", () => {
  it("scaffolds the rule, its test and its doc, and registers the rule", () => {
    const result = newRule("drop-trigger-now", "--on", "AlterTableCmd:AT_DropConstraint");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const rule = fs.readFileSync(path.join(copy, "src/sql/rules/drop-trigger-now.ts"), "utf8");
    expect(rule).toContain('id: "drop-trigger-now"');
    expect(rule).toContain('"AlterTableCmd:AT_DropConstraint"(cmd, context)');
    expect(fs.readFileSync(path.join(copy, "test/sql/rules/drop-trigger-now.test.ts"), "utf8")).toContain('findingsOf("drop-trigger-now"');
    expect(fs.readFileSync(path.join(copy, "docs/rules/drop-trigger-now.md"), "utf8")).toMatch(/^# drop-trigger-now\n\nDefault severity: \*\*medium\*\*\./);
    const index = fs.readFileSync(path.join(copy, "src/sql/rules/index.ts"), "utf8");
    expect(index).toContain('import { dropTriggerNow } from "./drop-trigger-now";');
    expect(index).toMatch(/\n {2}dropTriggerNow,\n/);

    // What it wrote compiles with the project, and the registry serves the new rule to the linter.
    const tsc = run(process.execPath, [
      path.join(root, "node_modules/typescript/bin/tsc"),
      ...["--noEmit", "--strict", "--noUnusedLocals", "--noUnusedParameters", "--skipLibCheck", "--esModuleInterop"],
      ...["--target", "ES2022", "--module", "nodenext", "--moduleResolution", "nodenext", "--types", "node"],
      "src/sql/rules/index.ts",
      "test/sql/rules/drop-trigger-now.test.ts",
    ]);
    expect(tsc.stdout + tsc.stderr).toBe("");
    const load = run(process.execPath, [
      "-r",
      "ts-node/register/transpile-only",
      "-e",
      'const { ruleById } = require("./src/sql/rules"); const r = ruleById.get("drop-trigger-now"); process.stdout.write(r ? Object.keys(r.on).join(",") : "missing");',
    ]);
    expect(load.stdout).toBe("AlterTableCmd:AT_DropConstraint");
  }, 120_000);

  it("refuses a rule id that is taken, or not kebab-case, without writing anything", () => {
    const taken = newRule("drop-table");
    expect(taken.status).toBe(2);
    expect(taken.stderr).toContain("src/sql/rules/drop-table.ts already exists");
    const bad = newRule("DropTrigger");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('"DropTrigger" is not a kebab-case id');
    expect(fs.existsSync(path.join(copy, "docs/rules/DropTrigger.md"))).toBe(false);
  });
});
