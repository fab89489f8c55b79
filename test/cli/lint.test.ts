import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli";
import { freshDatabase, withClient } from "../helpers/database";
import { tempFolder, writeFiles } from "../helpers/project";

const CREATE = "-- Sessions live in the database for now.\nCREATE TABLE sessions (id bigint PRIMARY KEY, data jsonb);\n";
const DROP = "-- Sessions moved to Redis.\n\nDROP TABLE sessions;\n";

/** A project with a prod stack and two migrations, the second dropping a table. */
function project(prodConfig = "  aws:region: eu-west-1\n", files: Record<string, string> = {}): string {
  return tempFolder({
    "Pulumi.yaml": "name: dbpipe\nruntime: nodejs\n",
    "Pulumi.prod.yaml": `config:\n${prodConfig}`,
    "migrations/0001_create_sessions.sql": CREATE,
    "migrations/0002_drop_sessions.sql": DROP,
    ...files,
  });
}

const checksum = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * Checks the properties SARIF 2.1.0 requires (the OASIS schema's `required`: the log's version
 * and runs, a run's tool, the driver's name, a result's and a notification's message, an
 * invocation's executionSuccessful), and what GitHub code scanning requires on top: each rule's
 * short and full description and help, and a location with a relative URI, line and column on
 * every result (an upload holding a result without one is refused whole).
 */
function expectValidSarif(log: Record<string, unknown>) {
  expect(log.$schema).toBe("https://json.schemastore.org/sarif-2.1.0.json");
  expect(log.version).toBe("2.1.0");
  const runs = log.runs as Record<string, unknown>[];
  expect(Array.isArray(runs) && runs.length).toBe(1);
  for (const run of runs) {
    const driver = (run.tool as { driver: Record<string, unknown> }).driver;
    expect(driver.name).toBe("dbpipe");
    const rules = driver.rules as { id: string; shortDescription: { text: string }; fullDescription: { text: string }; help: { text: string }; defaultConfiguration: { level: string } }[];
    expect(rules.length).toBeGreaterThanOrEqual(30);
    for (const rule of rules) {
      expect(rule.id).toMatch(/^[a-z0-9-]+$/);
      expect([rule.id, rule.shortDescription?.text, rule.fullDescription?.text, rule.help?.text].every((t) => typeof t === "string" && t !== ""), rule.id).toBe(true);
      expect(["error", "warning", "note"]).toContain(rule.defaultConfiguration.level);
    }
    expect(Array.isArray(run.results)).toBe(true);
    for (const result of run.results as Record<string, unknown>[]) {
      expect(rules.map((r) => r.id)).toContain(result.ruleId);
      expect(rules[result.ruleIndex as number].id).toBe(result.ruleId);
      expect(["error", "warning", "note"]).toContain(result.level);
      expect((result.message as { text: string }).text).not.toBe("");
      const locations = result.locations as { physicalLocation: { artifactLocation: { uri: string }; region: Record<string, number> } }[];
      expect(locations?.length, JSON.stringify(result)).toBeGreaterThan(0);
      for (const { physicalLocation } of locations) {
        expect(physicalLocation.artifactLocation.uri).toMatch(/^[^/]/);
        expect(physicalLocation.artifactLocation.uri).not.toMatch(/^[a-z]+:/i);
        expect(physicalLocation.region.startLine).toBeGreaterThanOrEqual(1);
        expect(physicalLocation.region.startColumn).toBeGreaterThanOrEqual(1);
      }
    }
    for (const invocation of (run.invocations ?? []) as { executionSuccessful: unknown; toolExecutionNotifications?: { level: string; message: { text: string } }[] }[]) {
      expect(typeof invocation.executionSuccessful).toBe("boolean");
      for (const n of invocation.toolExecutionNotifications ?? []) expect([n.level, n.message.text !== ""]).toEqual(["error", true]);
      if (invocation.executionSuccessful === false) expect(invocation.toolExecutionNotifications?.length).toBeGreaterThan(0);
    }
  }
}

describe("dbpipe lint", () => {
  it("refuses a dropped table in prod: exit 1, naming the rule, the line, the hint and how to approve", async () => {
    const run = await runCli(["lint", "--stack", "prod"], { cwd: project() });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("");
    expect(run.stdout.split(checksum(DROP)).join("<checksum>")).toMatchInlineSnapshot(`
      "migrations/0002_drop_sessions.sql:3:1 high drop-table DROP TABLE sessions deletes the table and all its rows.
          hint: Stop using the table in the application first; rename it or revoke access for a release; back it up; drop it in a later migration with an approval.

      2 migrations, 1 finding (1 high); highest risk high.
      Stack prod (tier prod): refused.

      0002 drop_sessions (migrations/0002_drop_sessions.sql) is high risk, and stack prod (tier prod) refuses high-risk migrations without an approval:
        migrations/0002_drop_sessions.sql:3:1 high drop-table: DROP TABLE sessions deletes the table and all its rows.
      To approve it, add this entry to Pulumi.prod.yaml (the checksum binds the approval to this exact file; editing the file voids it):
          config:
            dbpipe:approvals:
              - version: "0002"
                checksum: <checksum>
                reason: <why it is safe to run>
                approvedBy: <who approves>
      "
    `);
  });

  it("runs it once Pulumi.prod.yaml approves that version with its checksum: exit 0", async () => {
    const approval = `  dbpipe:approvals:\n    - version: "0002"\n      checksum: ${checksum(DROP)}\n      reason: sessions moved to Redis in 2.14\n      approvedBy: platform-team\n`;
    const run = await runCli(["lint", "--stack", "prod"], { cwd: project(`  aws:region: eu-west-1\n${approval}`) });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Stack prod (tier prod): allowed, after a backup: 0002 (high) reaches the stack's backup threshold");
  });

  it("refuses again when the approved file changed since: the approval is void, and it says so", async () => {
    const approval = `  dbpipe:approvals:\n    - version: "0002"\n      checksum: ${checksum("DROP TABLE sessions;\n")}\n      reason: reviewed an earlier draft\n`;
    const run = await runCli(["lint", "--stack", "prod"], { cwd: project(`  aws:region: eu-west-1\n${approval}`) });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`0002 drop_sessions (migrations/0002_drop_sessions.sql) is high risk, and its approval in Pulumi.prod.yaml is void: the file changed after it was approved (approved checksum ${checksum("DROP TABLE sessions;\n")}, the file's checksum is now ${checksum(DROP)})`);
  });

  it("shows an acknowledged finding as acknowledged; test lets it through, prod still wants the approval", async () => {
    const dir = project(undefined, { "migrations/0002_drop_sessions.sql": "-- dbpipe:allow drop-table sessions moved to Redis; nothing reads it\nDROP TABLE sessions;\n" });
    const test = await runCli(["lint", "--stack", "test"], { cwd: dir });
    expect(test.code).toBe(0);
    expect(test.stdout).toContain("migrations/0002_drop_sessions.sql:2:1 high drop-table DROP TABLE sessions deletes the table and all its rows. (acknowledged: sessions moved to Redis; nothing reads it)");
    const prod = await runCli(["lint", "--stack", "prod"], { cwd: dir });
    expect(prod.code).toBe(1);
    expect(prod.stdout).toContain("(acknowledged in the file; an acknowledgement does not replace an approval)");
  });

  it("exits 0 in dev, which runs everything", async () => {
    const run = await runCli(["lint"], { cwd: project() });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Stack dev (tier dev): allowed.");
  });

  it("reports SQL that does not parse at file:line:column, without a stack trace, and still lints the other files", async () => {
    const run = await runCli(["lint", "--stack", "prod"], { cwd: project(undefined, { "migrations/0003_typo.sql": "ALTER TABLE sessions\n  ADD COLUMNN ttl int;\n" }) });
    expect(run.code).toBe(2);
    // The snippet once, in the report; stderr names the file, as for every refusal with exit 2.
    expect(run.stderr).toBe('error: migrations/0003_typo.sql:2:19: syntax error at or near "int"\n');
    expect(run.stdout).toContain("migrations/0003_typo.sql:2:19 error does not parse: syntax error at or near \"int\"\n      2 |   ADD COLUMNN ttl int;\n        |                   ^\n");
    expect(run.stdout.split("syntax error").length - 1).toBe(2); // the finding, and the verdict's reason
    // The good file's finding is still there.
    expect(run.stdout).toMatch(/migrations\/0002_drop_sessions\.sql:\d+:\d+ high drop-table/);
    expect(run.stdout).toContain("3 migrations (1 that does not parse)");

    const md = await runCli(["lint", "--stack", "prod", "--format", "markdown"], { cwd: project(undefined, { "migrations/0003_typo.sql": "ALTER TABLE sessions\n  ADD COLUMNN ttl int;\n" }) });
    expect(md.code).toBe(2);
    expect(md.stdout).toContain("#### A file does not parse");
    expect(md.stdout).toContain('| `migrations/0003_typo.sql` | 2:19 | syntax error at or near "int" |');
    expect(md.stdout).toContain("`drop-table`");
    expect(md.stderr).toContain('error: migrations/0003_typo.sql:2:19: syntax error at or near "int"\n  2 |   ADD COLUMNN ttl int;');
  });

  it("refuses, as up does, a transactional migration with a COMMIT part way: exit 2 from lint and from plan, on every tier", async () => {
    const files = { "migrations/0003_split.sql": "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n" };
    for (const stack of ["dev", "prod"]) {
      const run = await runCli(["lint", "--stack", stack], { cwd: project(undefined, files) });
      expect(run.code).toBe(2);
      expect(run.stdout).toContain("migrations/0003_split.sql:3:1 error cannot run: `COMMIT` would end the transaction dbpipe runs this migration in");
      expect(run.stdout).toContain("3 migrations (1 that dbpipe cannot run)");
    }
    const json = await runCli(["lint", "--format", "json"], { cwd: project(undefined, files) });
    expect(json.code).toBe(2);
    expect((JSON.parse(json.stdout) as { verdict: { allowed: boolean } }).verdict.allowed).toBe(false);
    const dir = project(undefined, files);
    const url = await freshDatabase("lintsplit");
    for (const command of ["plan", "up"]) {
      const run = await runCli([command, "--database-url", url], { cwd: dir });
      expect({ command, code: run.code }).toEqual({ command, code: 2 });
      expect(run.stderr).toContain("migrations/0003_split.sql:3:1: `COMMIT` would end the transaction dbpipe runs this migration in");
    }
    await withClient(url, async (c) => expect((await c.query("SELECT to_regclass('public.a') AS a, to_regclass('dbpipe.schema_migrations') AS h")).rows).toEqual([{ a: null, h: null }]));
  });

  it("reports an unknown rule in the stack's ruleSeverity by its key", async () => {
    const run = await runCli(["lint", "--stack", "prod"], { cwd: project("  aws:region: eu-west-1\n  dbpipe:ruleSeverity:\n    drop-tables: low\n") });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("dbpipe:ruleSeverity.drop-tables: no such rule (did you mean drop-table?)");
  });

  it("lints one file, judging it with what the earlier migrations in its folder say", async () => {
    const dir = project(undefined, {
      "migrations/0003_products.sql": "CREATE TABLE products (sku varchar(20));\n",
      "migrations/0004_widen_sku.sql": "ALTER TABLE products ALTER COLUMN sku TYPE text;\n",
    });
    const run = await runCli(["lint", "--stack", "prod", "migrations/0004_widen_sku.sql"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatchInlineSnapshot(`
      "migrations/0004_widen_sku.sql:1:35 low safe-column-type-change ALTER COLUMN sku TYPE text (from varchar(20)) on products needs no table rewrite; clients may still see a different type.
          hint: Nothing to change in the migration; check that clients handle the new type.

      1 migration, 1 finding (1 low); highest risk low.
      Stack prod (tier prod): allowed.
      "
    `);
  });

  it("prints the risk report as JSON: the contract plan --json shares", async () => {
    const run = await runCli(["lint", "--stack", "prod", "--format", "json"], { cwd: project() });
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.migrations.map((m: { version: string; checksum: string; risk: string }) => [m.version, m.checksum, m.risk])).toEqual([
      ["0001", checksum(CREATE), "low"],
      ["0002", checksum(DROP), "high"],
    ]);
    expect(report.migrations[1].findings).toEqual([
      {
        rule: "drop-table",
        severity: "high",
        line: 3,
        column: 1,
        message: "DROP TABLE sessions deletes the table and all its rows.",
        hint: expect.stringContaining("back it up"),
        acknowledged: false,
        table: "sessions",
      },
    ]);
    expect(report.verdict).toMatchObject({ allowed: false, reasons: [expect.stringContaining("drop-table")] });
  });

  it("prints a pull-request comment as markdown", async () => {
    const run = await runCli(["lint", "--stack", "prod", "--format", "markdown"], { cwd: project() });
    expect(run.code).toBe(1);
    expect(run.stdout.split(checksum(DROP)).join("<checksum>")).toMatchInlineSnapshot(`
      "### dbpipe lint · stack \`prod\` (tier prod): **refused**

      2 migrations checked, 1 with findings; highest risk **high**. 0002 (high) reaches the stack's backup threshold: prod backs up before medium- or higher-risk migrations.

      | Migration | Risk | Findings |
      |---|---|---|
      | \`0002\` drop_sessions | **high** | 1 |

      #### \`migrations/0002_drop_sessions.sql\`

      | Line | Severity | Rule | Finding | Instead |
      |---|---|---|---|---|
      | 3:1 | high | \`drop-table\` | DROP TABLE sessions deletes the table and all its rows. | Stop using the table in the application first; rename it or revoke access for a release; back it up; drop it in a later migration with an approval. |

      #### Why the stack refuses

      \`\`\`text
      0002 drop_sessions (migrations/0002_drop_sessions.sql) is high risk, and stack prod (tier prod) refuses high-risk migrations without an approval:
        migrations/0002_drop_sessions.sql:3:1 high drop-table: DROP TABLE sessions deletes the table and all its rows.
      To approve it, add this entry to Pulumi.prod.yaml (the checksum binds the approval to this exact file; editing the file voids it):
          config:
            dbpipe:approvals:
              - version: "0002"
                checksum: <checksum>
                reason: <why it is safe to run>
                approvedBy: <who approves>
      \`\`\`
      "
    `);
  });
});

describe("dbpipe lint --format sarif", () => {
  it("is valid SARIF 2.1.0 with URIs relative to the repository root", async () => {
    const repo = tempFolder({ ".git/HEAD": "ref: refs/heads/main\n" });
    const dir = path.join(repo, "services/crm");
    writeFiles(dir, {
      "Pulumi.yaml": "name: dbpipe\nruntime: nodejs\n",
      "Pulumi.prod.yaml": "config:\n  aws:region: eu-west-1\n",
      "migrations/0001_create_sessions.sql": CREATE,
      "migrations/0002_drop_sessions.sql": "-- dbpipe:allow drop-column legacy field, unused since 2023\nALTER TABLE sessions DROP COLUMN data;\nDROP TABLE sessions;\n",
    });
    const run = await runCli(["lint", "--stack", "prod", "--format", "sarif"], { cwd: dir });
    expect(run.code).toBe(1);
    const log = JSON.parse(run.stdout);
    expectValidSarif(log);
    const results = log.runs[0].results;
    expect(results.map((r: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }) => [r.ruleId, r.level, r.locations[0].physicalLocation.artifactLocation.uri, r.locations[0].physicalLocation.region.startLine])).toEqual([
      ["drop-column", "warning", "services/crm/migrations/0002_drop_sessions.sql", 2],
      ["drop-table", "error", "services/crm/migrations/0002_drop_sessions.sql", 3],
    ]);
    expect(results[0].suppressions).toEqual([{ kind: "inSource", justification: "legacy field, unused since 2023" }]);
  });

  it("still writes a valid log when a migration does not parse: the error on its line, exit 2", async () => {
    const repo = tempFolder({ ".git/HEAD": "ref: refs/heads/main\n" });
    writeFiles(repo, { "Pulumi.yaml": "name: dbpipe\nruntime: nodejs\n", "migrations/0001_create_sessions.sql": CREATE, "migrations/0002_typo.sql": "-- oops\nCREATE TABEL t (id int);\n", "migrations/0003_drop_sessions.sql": DROP });
    const run = await runCli(["lint", "--format", "sarif"], { cwd: repo });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('migrations/0002_typo.sql:2:8: syntax error at or near "TABEL"');
    const log = JSON.parse(run.stdout);
    expectValidSarif(log);
    expect(log.runs[0].invocations[0].executionSuccessful).toBe(false);
    const [result] = log.runs[0].results;
    expect([result.ruleId, result.level, result.message.text, result.locations[0].physicalLocation]).toEqual([
      "invalid-migration",
      "error",
      'migrations/0002_typo.sql:2:8: syntax error at or near "TABEL"',
      { artifactLocation: { uri: "migrations/0002_typo.sql", uriBaseId: "%SRCROOT%" }, region: { startLine: 2, startColumn: 8 } },
    ]);

    // The file that parses is still linted: its finding follows the error.
    const others = log.runs[0].results.slice(1) as { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[];
    expect(others.length).toBeGreaterThan(0);
    expect(others.every((r) => r.ruleId !== "invalid-migration" && r.locations[0].physicalLocation.artifactLocation.uri === "migrations/0003_drop_sessions.sql")).toBe(true);
    expect(others.map((r) => r.ruleId)).toContain("drop-table");

    const json = await runCli(["lint", "--format", "json"], { cwd: repo });
    expect(json.code).toBe(2);
    const report = JSON.parse(json.stdout);
    // The error as every --json error carries it, and each file's problem at its place, the file
    // relative as in `migrations`.
    const problem = 'migrations/0002_typo.sql:2:8: syntax error at or near "TABEL"';
    expect(report).toMatchObject({ error: { message: problem }, exitCode: 2, errors: [{ message: problem, file: "migrations/0002_typo.sql", line: 2, column: 8 }], verdict: { allowed: false } });
    // The file that does not parse is listed, not assessed: no risk, rather than a low one.
    expect(report.migrations.map((m: { version: string; file: string; risk: string | null }) => [m.version, m.file, m.risk])).toEqual([
      ["0001", "migrations/0001_create_sessions.sql", "low"],
      ["0002", "migrations/0002_typo.sql", null],
      ["0003", "migrations/0003_drop_sessions.sql", "high"],
    ]);
    expect(report.migrations[2].findings.map((f: { rule: string }) => f.rule)).toContain("drop-table");
    // The text report says the same: the highest risk is that of the files it assessed.
    const text = await runCli(["lint"], { cwd: repo });
    expect(text.stdout).toContain("3 migrations (1 that does not parse), 1 finding (1 high); highest risk high among the 2 assessed.");
  });
});

describe("dbpipe lint when it cannot lint", () => {
  /** A repository holding the project in services/crm, with these files in the project. */
  function repository(files: Record<string, string>): { repo: string; dir: string } {
    const repo = tempFolder({ ".git/HEAD": "ref: refs/heads/main\n" });
    const dir = path.join(repo, "services/crm");
    writeFiles(dir, { "Pulumi.yaml": "name: dbpipe\nruntime: nodejs\n", "migrations/0001_create_sessions.sql": CREATE, ...files });
    return { repo, dir };
  }

  const lint = (dir: string, format: string, ...args: string[]) => runCli(["lint", "--format", format, ...args], { cwd: dir });

  it("says why in every format when the stack file is in error: one JSON object, a SARIF log on the file's line, a comment; exit 2", async () => {
    const { dir } = repository({ "Pulumi.dev.yaml": "config:\n  dbpipe:lockTimeot: 5s\n" });
    const problem = "Pulumi.dev.yaml:2: dbpipe:lockTimeot: unknown key (did you mean dbpipe:lockTimeout?)";
    const message = `Pulumi.dev.yaml: invalid stack settings:\n  ${problem}`;

    const json = await lint(dir, "json");
    expect([json.code, json.stderr]).toEqual([2, `error: ${message}\n`]);
    expect(JSON.parse(json.stdout)).toEqual({
      error: { message },
      exitCode: 2,
      errors: [{ message: problem, file: "Pulumi.dev.yaml", line: 2 }],
      stack: "dev",
      verdict: { allowed: false, reasons: [message] },
      migrations: [],
    });

    const sarif = await lint(dir, "sarif");
    expect(sarif.code).toBe(2);
    const log = JSON.parse(sarif.stdout);
    expectValidSarif(log);
    const [run] = log.runs;
    const where = { artifactLocation: { uri: "services/crm/Pulumi.dev.yaml", uriBaseId: "%SRCROOT%" }, region: { startLine: 2 } };
    expect(run.invocations).toEqual([{ executionSuccessful: false, exitCode: 2, toolExecutionNotifications: [{ level: "error", message: { text: problem }, locations: [{ physicalLocation: where }] }] }]);
    // What code scanning shows: a result on the stack file's line.
    expect(run.results).toEqual([
      { ruleId: "invalid-stack-settings", ruleIndex: expect.any(Number), level: "error", message: { text: problem }, locations: [{ physicalLocation: { ...where, region: { startLine: 2, startColumn: 1 } } }] },
    ]);

    const markdown = await lint(dir, "markdown");
    expect(markdown.code).toBe(2);
    expect(markdown.stdout).toMatchInlineSnapshot(`
      "### dbpipe lint · stack \`dev\`: **not linted**

      dbpipe lint stopped before it could lint the migrations (exit 2):

      \`\`\`text
      Pulumi.dev.yaml: invalid stack settings:
        Pulumi.dev.yaml:2: dbpipe:lockTimeot: unknown key (did you mean dbpipe:lockTimeout?)
      \`\`\`
      "
    `);

    // Text: the error on stderr alone, as before.
    expect(await lint(dir, "text")).toEqual({ code: 2, stdout: "", stderr: `error: ${message}\n` });
  });

  it("reports a malformed dbpipe:allow and a misnamed file at their place, in the one JSON shape, and on the file in SARIF", async () => {
    const allow = "migrations/0002_allow_typo.sql";
    const misnamed = "migrations/notes.sql";
    const cases: { files: Record<string, string>; file: string; line?: number; column?: number; said: string }[] = [
      { files: { [allow]: "-- typo below\n-- dbpipe:allow drop-tabel sessions moved to Redis\nDROP TABLE sessions;\n" }, file: allow, line: 2, column: 1, said: 'dbpipe:allow names unknown rule "drop-tabel" (did you mean drop-table?)' },
      { files: { [misnamed]: "SELECT 1;\n" }, file: misnamed, line: undefined, column: undefined, said: "name does not parse as a migration" },
    ];
    for (const { files, file, line, column, said } of cases) {
      const { dir } = repository(files);
      const json = await lint(dir, "json");
      expect(json.code).toBe(2);
      const report = JSON.parse(json.stdout);
      expect(report).toEqual({
        error: { message: expect.stringContaining(said) },
        exitCode: 2,
        errors: [{ message: report.error.message, file, ...(line ? { line, column } : {}) }],
        stack: "dev",
        tier: "dev",
        verdict: { allowed: false, reasons: [report.error.message] },
        migrations: [],
      });
      expect(report.error.message.startsWith(`${file}:`)).toBe(true);
      expect(json.stderr).toBe(`error: ${report.error.message}\n`);

      const log = JSON.parse((await lint(dir, "sarif")).stdout);
      expectValidSarif(log);
      // At the directive's line and column; a file whose name is the problem, at its top.
      expect(log.runs[0].results.map((r: { ruleId: string; locations: { physicalLocation: unknown }[] }) => [r.ruleId, r.locations[0].physicalLocation])).toEqual([
        ["invalid-migration", { artifactLocation: { uri: `services/crm/${file}`, uriBaseId: "%SRCROOT%" }, region: { startLine: line ?? 1, startColumn: column ?? 1 } }],
      ]);
      expect(log.runs[0].invocations[0].executionSuccessful).toBe(false);

      const markdown = await lint(dir, "markdown");
      expect(markdown.code).toBe(2);
      expect(markdown.stdout).toContain("### dbpipe lint · stack `dev` (tier dev): **not linted**");
      expect(markdown.stdout).toContain(report.error.message);
    }
  });

  it("still prints its document when the command line is refused (a bad value, a flag it does not know)", async () => {
    const { dir } = repository({});
    const sarif = await runCli(["lint", "--format", "sarif", "--jobs", "0"], { cwd: dir });
    expect(sarif.code).toBe(2);
    expect(sarif.stderr).toContain("error: option '--jobs <n>' argument '0' is invalid. must be a whole number from 1 to 64");
    const log = JSON.parse(sarif.stdout);
    expectValidSarif(log);
    // Nothing to point at: a notification, no result (code scanning refuses a result without a location).
    expect([log.runs[0].invocations[0].toolExecutionNotifications[0].message.text, log.runs[0].results]).toEqual(["option '--jobs <n>' argument '0' is invalid. must be a whole number from 1 to 64", []]);

    const json = await runCli(["lint", "--bogus", "--format=json", "--stack", "prod"], { cwd: dir });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({
      error: { message: "unknown option '--bogus'" },
      exitCode: 2,
      errors: [{ message: "unknown option '--bogus'" }],
      stack: "prod",
      verdict: { allowed: false, reasons: ["unknown option '--bogus'"] },
      migrations: [],
    });
    expect((await runCli(["lint", "--bogus", "--format", "markdown"], { cwd: dir })).stdout).toContain("unknown option '--bogus'");
    expect((await runCli(["lint", "--bogus"], { cwd: dir })).stdout).toBe("");
  });
});

describe("dbpipe lint's cache", () => {
  it("reuses unchanged results, and sees a changed file, a changed setting and --no-cache", async () => {
    const dir = project();
    const first = await runCli(["lint", "--stack", "prod"], { cwd: dir });
    expect(fs.existsSync(path.join(dir, ".dbpipe/cache/lint.json"))).toBe(true);
    expect(await runCli(["lint", "--stack", "prod"], { cwd: dir })).toEqual(first);

    fs.writeFileSync(path.join(dir, "migrations/0002_drop_sessions.sql"), "ALTER TABLE sessions ADD COLUMN ttl int;\n");
    expect((await runCli(["lint", "--stack", "prod"], { cwd: dir })).code).toBe(0);

    fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), "config:\n  aws:region: eu-west-1\n  dbpipe:lockTimeout: 0\n");
    const strict = await runCli(["lint", "--stack", "prod"], { cwd: dir });
    expect(strict.stdout).toContain("missing-lock-timeout");

    fs.rmSync(path.join(dir, ".dbpipe"), { recursive: true });
    expect(await runCli(["lint", "--stack", "prod", "--no-cache"], { cwd: dir })).toEqual(strict);
    expect(fs.existsSync(path.join(dir, ".dbpipe"))).toBe(false);
  });
});

describe("dbpipe lint on a long history", () => {
  /** 100 migrations; later ones depend on what earlier ones did to the schema. */
  function longHistory(extra: Record<string, string> = {}): string {
    const files: Record<string, string> = {};
    for (let n = 1; n <= 100; n++) {
      const v = String(n).padStart(4, "0");
      files[`migrations/${v}_step.sql`] = `CREATE TABLE t${n} (id int PRIMARY KEY, code varchar(20), note text);\nCREATE INDEX t${n}_code ON t${n} (code);\n`;
    }
    files["migrations/0090_step.sql"] = "ALTER TABLE t1 ALTER COLUMN code TYPE text;\nALTER TABLE t2 ALTER COLUMN id TYPE bigint;\nALTER TABLE t3 ALTER COLUMN code SET DEFAULT 'x';\n";
    files["migrations/0095_step.sql"] = "ALTER TABLE t3 ALTER COLUMN code DROP DEFAULT;\nALTER TABLE t4 ALTER COLUMN note SET NOT NULL;\n";
    return tempFolder({ "Pulumi.yaml": "name: dbpipe\nruntime: nodejs\n", ...files, ...extra });
  }

  it("gives the same result on several threads as on one", async () => {
    const dir = longHistory();
    const one = await runCli(["lint", "--format", "json", "--no-cache", "--jobs", "1"], { cwd: dir });
    const two = await runCli(["lint", "--format", "json", "--no-cache", "--jobs", "3"], { cwd: dir });
    expect(two).toEqual(one);
    const report = JSON.parse(one.stdout);
    const late = report.migrations.filter((m: { version: string }) => m.version === "0090" || m.version === "0095");
    expect(late.flatMap((m: { findings: { rule: string; message: string }[] }) => m.findings.map((f) => `${f.rule}: ${f.message}`))).toMatchInlineSnapshot(`
      [
        "missing-statement-timeout: This statement holds an ACCESS EXCLUSIVE lock on t1 (blocking reads and writes) for as long as it runs, with no statement_timeout: on a table larger than expected nothing stops it.",
        "safe-column-type-change: ALTER COLUMN code TYPE text (from varchar(20)) on t1 needs no table rewrite; clients may still see a different type.",
        "change-column-type: ALTER COLUMN id TYPE int8 (from int4) rewrites t2 and rebuilds its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes.",
        "missing-statement-timeout: This statement holds an ACCESS EXCLUSIVE lock on t3 (blocking reads and writes) for as long as it runs, with no statement_timeout: on a table larger than expected nothing stops it.",
        "change-default: DROP DEFAULT on t3.code: inserts that leave the column out will get NULL.",
        "set-not-null: SET NOT NULL on t4.note scans the whole table for NULLs under an ACCESS EXCLUSIVE lock.",
      ]
    `);
  });

  it("writes a report far larger than a pipe's buffer whole before it exits", async () => {
    const files: Record<string, string> = {};
    for (let n = 1; n <= 400; n++) files[`migrations/${String(n).padStart(4, "0")}_step.sql`] = `ALTER TABLE t ADD COLUMN c${n} int NOT NULL;\nCREATE INDEX t_c${n} ON t (c${n});\n`;
    const dir = tempFolder({ "Pulumi.yaml": "name: dbpipe\nruntime: nodejs\n", ...files });
    const run = await runCli(["lint", "--format", "sarif", "--no-cache"], { cwd: dir });
    expect(run.stdout.length).toBeGreaterThan(500_000);
    // three findings per file: NOT NULL without a default, the index, and no statement_timeout
    expect(JSON.parse(run.stdout).runs[0].results).toHaveLength(1200);
  });

  it("reports every file that does not parse, in version order, as one thread would", async () => {
    const dir = longHistory({ "migrations/0030_step.sql": "CREATE TABEL broken (id int);\n", "migrations/0080_step.sql": "SELEC 1;\n" });
    const run = await runCli(["lint", "--no-cache", "--jobs", "3"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/^migrations\/0030_step\.sql:1:8 error does not parse: syntax error at or near "TABEL"/);
    expect(run.stdout).toContain('migrations/0080_step.sql:1:1 error does not parse: syntax error at or near "SELEC"');
    const one = await runCli(["lint", "--no-cache", "--jobs", "1"], { cwd: dir });
    expect(one.stdout).toBe(run.stdout);
  });

  it("refuses every file with a bad directive at once, before any thread lints, as one thread would", async () => {
    const bad = (table: string) => `-- dbpipe:allow drop-table\nDROP TABLE ${table};\n`;
    const dir = longHistory({ "migrations/0030_step.sql": "CREATE TABEL broken (id int);\n", "migrations/0085_step.sql": bad("t5"), "migrations/0097_step.sql": bad("t6") });
    const run = await runCli(["lint", "--no-cache", "--jobs", "3"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      "error: 2 problems with the migration files:\n" +
        "  migrations/0085_step.sql:1:1: dbpipe:allow drop-table needs a reason: -- dbpipe:allow drop-table <why this is safe here>\n" +
        "  migrations/0097_step.sql:1:1: dbpipe:allow drop-table needs a reason: -- dbpipe:allow drop-table <why this is safe here>\n",
    );
    expect(await runCli(["lint", "--no-cache", "--jobs", "1"], { cwd: dir })).toEqual(run);
    // JSON names each directive's place, with any number of threads.
    const json = await runCli(["lint", "--no-cache", "--jobs", "3", "--format", "json"], { cwd: dir });
    expect(JSON.parse(json.stdout).errors).toEqual(
      ["0085", "0097"].map((v) => ({ message: expect.stringContaining("dbpipe:allow drop-table needs a reason"), file: `migrations/${v}_step.sql`, line: 1, column: 1 })),
    );
    expect(await runCli(["lint", "--no-cache", "--jobs", "1", "--format", "json"], { cwd: dir })).toEqual(json);
  });
});

describe("dbpipe lint --database-url (the data-aware pass)", () => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase("lintsizes");
  });

  it("sizes the tables of the migrations the database has not applied, not of its history", async () => {
    const dir = tempFolder({
      "Pulumi.yaml": "name: dbpipe\nruntime: nodejs\n",
      // a statement timeout, so only the sizing rule speaks here (missing-statement-timeout is tested in test/sql)
      "Pulumi.dev.yaml": "config:\n  dbpipe:largeTableRows: 1000\n  dbpipe:statementTimeout: 10min\n",
      "migrations/0001_orders.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, status text, placed_at date);\n",
      "migrations/0002_index_status.sql": "CREATE INDEX orders_status ON orders (status);\n",
    });
    expect((await runCli(["up", "--database-url", url], { cwd: dir })).code).toBe(0);
    await withClient(url, (c) => c.query("INSERT INTO orders SELECT g, 'new', DATE '2025-01-01' FROM generate_series(1, 5000) g; ANALYZE orders"));
    writeFiles(dir, { "migrations/0003_index_placed.sql": "CREATE INDEX orders_placed ON orders (placed_at);\n" });

    const run = await runCli(["lint", "--format", "json", "--database-url", url], { cwd: dir });
    expect(run.code).toBe(0);
    const findings = Object.fromEntries(
      (JSON.parse(run.stdout).migrations as { version: string; findings: { rule: string; severity: string; tableRows?: number }[] }[]).map((m) => [
        m.version,
        m.findings.map((f) => [f.rule, f.severity, f.tableRows ?? null]),
      ]),
    );
    expect(findings).toEqual({
      "0001": [],
      "0002": [["create-index-without-concurrently", "medium", null]],
      "0003": [["create-index-without-concurrently", "high", 5000]],
    });
  });

  it("says it cannot connect, with the password hidden: exit 3", async () => {
    const dir = project();
    const run = await runCli(["lint", "--database-url", "postgres://app:Sup3rSecretPw@127.0.0.1:1/app"], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("cannot connect to postgres://app:***@127.0.0.1:1/app");
    expect(run.stderr + run.stdout).not.toContain("Sup3rSecretPw");
    expect(run.stderr).not.toContain("bug");
  });
});
