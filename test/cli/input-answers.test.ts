import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli";
import { freshDatabase, withClient } from "../helpers/database";
import { tempFolder } from "../helpers/project";

/** A project (default stack: dev) with these migration files. */
function project(files: Record<string, string>): string {
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) out[`migrations/${name}`] = text;
  return tempFolder(out, "dbpipe-input-");
}

async function tableExists(url: string, table: string): Promise<boolean> {
  return withClient(url, async (c) => (await c.query("SELECT to_regclass($1) IS NOT NULL AS e", [table])).rows[0].e as boolean);
}

describe("the database a command works on", () => {
  it("--json prints one JSON object on stdout when a command is refused before it printed its own", async () => {
    const dir = project({ "0001_a.sql": "CREATE TABLE a (i int);\n" });
    const commands = [["status"], ["plan"], ["up"], ["down", "--all"], ["verify"], ["diff"], ["baseline", "--version", "0001"], ["repair"], ["backup"], ["backups"], ["restore", "x", "--to", "postgres://u@127.0.0.1:1/db"], ["adopt"]];
    for (const command of commands) {
      const run = await runCli([...command, "--stack", "nosuch", "--json"], { cwd: dir });
      expect({ command, code: run.code }).toEqual({ command, code: 2 });
      const printed = JSON.parse(run.stdout) as { error: { message: string }; exitCode: number };
      expect({ command, message: printed.error.message.split("\n")[0], exitCode: printed.exitCode }).toEqual({ command, message: expect.stringContaining("Pulumi.nosuch.yaml"), exitCode: 2 });
      expect(run.stderr).toContain("error: ");
    }
  });

  it("--json anywhere on a command line commander refuses (a flag it does not know, a bad value, an extra argument) prints the JSON error too", async () => {
    const dir = project({ "0001_a.sql": "CREATE TABLE a (i int);\n" });
    const cases: [string[], string][] = [
      [["up", "--json", "--bogus"], "unknown option '--bogus'"],
      [["up", "--bogus", "--json"], "unknown option '--bogus'"],
      [["status", "extra", "--json"], "too many arguments for 'status'. Expected 0 arguments but got 1."],
      [["backups", "--json", "--stack"], "option '--stack <name>' argument missing"],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args, { cwd: dir });
      expect({ args, code: run.code, stdout: JSON.parse(run.stdout || "null") }).toEqual({ args, code: 2, stdout: { error: { message }, exitCode: 2 } });
      expect(run.stderr).toContain(`error: ${message}`);
    }
    // Without --json (or after `--`, where it is an argument), stdout stays empty.
    for (const args of [["up", "--bogus"], ["up", "--bogus", "--", "--json"]]) expect((await runCli(args, { cwd: dir })).stdout).toBe("");
  });

  it("a mistyped URL is refused naming what was typed, never its password; a stray % in the password is explained, not a bug", async () => {
    const dir = project({ "0001_a.sql": "CREATE TABLE a (i int);\n" });
    const cases: [string[], NodeJS.ProcessEnv, string][] = [
      [["status", "--database-url", "postgres:/app:Sekr3tPw77@127.0.0.1:5499/app"], {}, 'error: --database-url must be a postgres:// or postgresql:// URL such as postgres://USER:PASSWORD@HOST:5432/DATABASE, got "postgres:/***@127.0.0.1:5499/app"'],
      [["up", "--database-url", "app:Sekr3tPw77@127.0.0.1/app"], {}, 'got "app:***@127.0.0.1/app"'],
      [["status"], { DATABASE_URL_DIRECT: "postgresql//app:Sekr3tPw77@db/app" }, 'error: DATABASE_URL_DIRECT must be a postgres:// or postgresql:// URL such as postgres://USER:PASSWORD@HOST:5432/DATABASE, got "postgresql//***@db/app"'],
      [["restore", "x", "--to", "postgres//u:Sekr3tPw77@h/db"], {}, 'error: --to must be a postgres:// or postgresql:// URL such as postgres://USER:PASSWORD@HOST:5432/DATABASE, got "postgres//***@h/db"'],
      [["status", "--database-url", "postgres://app:Sekr3t%Pw77@127.0.0.1:1/app"], {}, "error: the database URL's password holds a % that is not percent-encoding (%XX): write % as %25 there"],
      [["status", "--database-url", "postgres://app:Sekr3t@Pw77/x@127.0.0.1:1/app"], {}, "error: the database URL has an @ after its host: a user name or password holding @ / : ? # must have them percent-encoded (%40 %2F %3A %3F %23); the URL: postgres://app:***@127.0.0.1:1/app"],
    ];
    for (const [args, env, said] of cases) {
      const run = await runCli(args, { cwd: dir, env });
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toContain(said);
      expect(run.stdout + run.stderr).not.toMatch(/Sekr3t|Pw77|bug/);
    }
  });

  it("repair --mark-applied 0002 --database-url URL repairs that database, named before it changes anything", async () => {
    const url = await freshDatabase();
    const dir = project({ "0001_a.sql": "CREATE TABLE a (i int);\n", "0002_b.sql": "-- dbpipe:no-transaction\nCREATE TABLE b (i int);\nSELECT 1/0;\n" });
    const up = await runCli(["up", "--database-url", url], { cwd: dir });
    expect(up.code, up.stderr).toBe(3);
    const repair = await runCli(["repair", "--mark-applied", "0002", "--database-url", url], { cwd: dir });
    expect(repair.code, repair.stderr).toBe(0);
    const shown = url.replace(/:[^:@/]*@/, ":***@");
    expect(repair.stdout.split("\n")[0]).toBe(`dbpipe repair · stack dev (tier dev) · ${shown}`);
    // The embedded database was never started: nothing but the given URL was touched.
    expect(fs.existsSync(path.join(dir, ".dbpipe"))).toBe(false);
    const rows = await withClient(url, async (c) => (await c.query("SELECT version, success FROM dbpipe.schema_migrations ORDER BY version")).rows);
    expect(rows).toEqual([
      { version: "0001", success: true },
      { version: "0002", success: true },
    ]);
  });

  it("an option given where a value belongs is refused naming both, not taken as the value (down --to --database-url URL)", async () => {
    const dir = project({ "0001_a.sql": "CREATE TABLE a (i int);\n" });
    for (const [args, said] of [
      [["down", "--to", "--database-url", "postgres://u:Sekr3t@127.0.0.1:1/d"], "--database-url is an option of `down`, not a value: give --to its value first (--to <version>)."],
      [["baseline", "--version", "--json"], "--json is an option of `baseline`, not a value: give --version its value first (--version <version>)."],
      [["env", "new", "prod", "--tier", "--region", "eu-west-1"], "--region is an option of `new`, not a value: give --tier its value first (--tier <tier>)."],
    ] as const) {
      const run = await runCli([...args], { cwd: dir });
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toContain(said);
      expect(run.stdout + run.stderr).not.toMatch(/Sekr3t|too many arguments|bug/);
    }
    // An option's value written with = is its value, whatever it looks like.
    expect((await runCli(["down", "--to=0001", "--database-url", "postgres://u:Sekr3t@127.0.0.1:1/d"], { cwd: dir })).code).toBe(3);
    expect(fs.existsSync(path.join(dir, ".dbpipe"))).toBe(false);
  });

  it("accepts the scheme in upper case, as pg does, and backs up that database (pg_dump gets the URL as parsed, in lower case)", async () => {
    const url = await freshDatabase();
    const dir = project({ "0001_a.sql": "CREATE TABLE a (i int);\n" });
    const upper = url.replace(/^postgres(ql)?:/, "POSTGRESQL:");
    const up = await runCli(["up", "--database-url", upper], { cwd: dir });
    expect(up.code, up.stderr).toBe(0);
    expect(await tableExists(url, "a")).toBe(true);
    const backup = await runCli(["backup", "--database-url", upper, "--store", `file://${path.join(dir, "backups")}`], { cwd: dir });
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toContain("Backed up at 0001");
  });

  it("accepts a URL whose host is a query parameter (postgres:///db?host=...)", async () => {
    const url = new URL(await freshDatabase());
    const password = decodeURIComponent(url.password);
    const hostInQuery = `postgres://${url.pathname}?host=${url.hostname}&port=${url.port}&user=${url.username}&password=${encodeURIComponent(password)}`;
    const dir = project({ "0001_a.sql": "CREATE TABLE a (i int);\n" });
    const run = await runCli(["up", "--database-url", hostInQuery], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(await tableExists(url.toString(), "a")).toBe(true);
    expect(run.stdout + run.stderr).not.toContain(password);
    // A socket folder is accepted too (the connection itself fails here: no server listens there).
    const socket = await runCli(["status", "--database-url", "postgres:///db?host=/nonexistent/socket-dir"], { cwd: dir });
    expect(socket.code).toBe(3);
    expect(socket.stderr).toContain("cannot connect to postgres:///db?host=/nonexistent/socket-dir");
    expect(socket.stderr).not.toContain("not a URL");
  });
});

describe("one answer per input", () => {
  it("a dbpipe:allow without a reason or with an unknown rule fails up on dev as it fails lint", async () => {
    for (const directive of ["-- dbpipe:allow", "-- dbpipe:allow no-such-rule it is fine"]) {
      const url = await freshDatabase();
      const dir = project({ "0001_x.sql": `${directive}\nCREATE TABLE x (i int);\n` });
      const lint = await runCli(["lint"], { cwd: dir });
      const up = await runCli(["up", "--database-url", url], { cwd: dir });
      expect(lint.code).toBe(2);
      expect(up.code).toBe(2);
      const message = lint.stderr.split("\n").find((l) => l.startsWith("error:"));
      expect(message).toMatch(/^error: migrations\/0001_x\.sql:1:1: dbpipe:allow /);
      expect(up.stderr).toContain(message);
      expect(await tableExists(url, "x")).toBe(false);
    }
  });

  it("lint, status, plan and up refuse the same files with the same problems, all of them at once", async () => {
    const dir = project({
      "0001_a.sql": "CREATE TABLE a (i int);\n",
      "0002_allow.sql": "-- dbpipe:allow drop-table\nDROP TABLE a;\n",
      "0003_typo.sql": "-- dbpipe:allow drop-tabel because\nDROP TABLE a;\n",
      "0004_down.sql": "SELECT 1;\n-- dbpipe:Down\n",
      "V5__stray.sql": "SELECT 5;\n",
    });
    const problems = [
      "error: 4 problems with the migration files:",
      "  migrations/0002_allow.sql:1:1: dbpipe:allow drop-table needs a reason: -- dbpipe:allow drop-table <why this is safe here>",
      '  migrations/0003_typo.sql:1:1: dbpipe:allow names unknown rule "drop-tabel" (did you mean drop-table?); `dbpipe lint` prints rule ids beside each finding',
      expect.stringMatching(/^ {2}migrations\/0004_down\.sql:2: "-- dbpipe:Down" is not written as a directive/),
      "  migrations/V5__stray.sql: is named for the flyway layout, but the folder's 4 other migrations (0001_a.sql … 0004_down.sql) are named for the dbpipe layout, which the folder is read as: rename it 0005_stray.sql",
      "",
    ];
    // Refused before any database is opened: the URL leads nowhere.
    for (const command of [["lint", "--no-cache"], ["status", "--database-url", "postgres://nobody:pw@127.0.0.1:1/none"], ["plan", "--database-url", "postgres://nobody:pw@127.0.0.1:1/none"], ["up", "--database-url", "postgres://nobody:pw@127.0.0.1:1/none"]]) {
      const run = await runCli(command, { cwd: dir });
      expect({ command, code: run.code, stderr: run.stderr.split("\n").filter((l) => !l.startsWith("dbpipe up ·")) }).toEqual({ command, code: 2, stderr: problems });
    }
  });

  it("a syntax error is invalid input (exit 2) at its line and column, with or without a transaction", async () => {
    for (const header of ["", "-- dbpipe:no-transaction\n"]) {
      const url = await freshDatabase();
      const dir = project({ "0001_a.sql": "CREATE TABLE a (i int);\n", "0002_b.sql": `${header}CREATE TABLE b (i int);\nSELECT 'oops;\n` });
      const up = await runCli(["up", "--database-url", url], { cwd: dir });
      expect(up.code, up.stderr).toBe(2);
      const line = header === "" ? 2 : 3;
      expect(up.stderr).toContain(`error: migrations/0002_b.sql:${line}:8: unterminated quoted string`);
      expect(up.stderr).toContain(`${line} | SELECT 'oops;`);
      // Never dbpipe's own statements (the history INSERT) in the message.
      expect(up.stderr).not.toContain("INSERT");
      expect(up.stderr).not.toContain('"0002"');
      expect(await tableExists(url, "b")).toBe(false);

      const misspelt = project({ "0001_s.sql": `${header}SELECT 1;\nSELEC 2;\n` });
      const run = await runCli(["up", "--database-url", await freshDatabase()], { cwd: misspelt });
      const lint = await runCli(["lint"], { cwd: misspelt });
      expect([run.code, lint.code]).toEqual([2, 2]);
      expect(run.stderr).toContain(`error: migrations/0001_s.sql:${line}:1: syntax error at or near "SELEC"`);
      expect(lint.stderr).toContain(`migrations/0001_s.sql:${line}:1: syntax error at or near "SELEC"`);
    }
  });

  it("status exits 2 when it shows a modified or a missing migration, 0 when the history matches", async () => {
    const url = await freshDatabase();
    const dir = project({ "0001_a.sql": "CREATE TABLE a (i int);\n", "0002_b.sql": "CREATE TABLE b (i int);\n" });
    expect((await runCli(["up", "--database-url", url], { cwd: dir, env: { DBPIPE_APPLIED_BY: "ci:deploy-42" } })).code).toBe(0);
    const clean = await runCli(["status", "--database-url", url], { cwd: dir });
    expect(clean.code).toBe(0);
    // When, by whom and how long, as the README says.
    expect(clean.stdout).toMatch(/VERSION +NAME +STATUS +APPLIED AT \(UTC\) +BY +TIME\n +0001 +a +applied +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +ci:deploy-42 +\d+ms\n/);

    fs.writeFileSync(path.join(dir, "migrations/0002_b.sql"), "CREATE TABLE b (i bigint);\n");
    const modified = await runCli(["status", "--database-url", url], { cwd: dir });
    expect(modified.code).toBe(2);
    expect(modified.stdout).toMatch(/0002.*modified/);
    const json = await runCli(["status", "--json", "--database-url", url], { cwd: dir });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).problems).toHaveLength(1);

    fs.rmSync(path.join(dir, "migrations/0002_b.sql"));
    const missing = await runCli(["status", "--database-url", url], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stdout).toMatch(/0002.*missing/);
  });
});

describe("help and messages", () => {
  const dir = project({ "0001_a.sql": "SELECT 1;\n" });

  it("states the --jobs default once and marks required options", async () => {
    const lint = await runCli(["lint", "--help"], { cwd: dir });
    const jobs = lint.stdout.slice(lint.stdout.indexOf("--jobs"), lint.stdout.indexOf("--no-cache"));
    expect(jobs.match(/default/g)).toHaveLength(1);
    expect((await runCli(["env", "new", "--help"], { cwd: dir })).stdout).toMatch(/--tier <tier> +the environment's tier \(required\)/);
    expect((await runCli(["down", "--help"], { cwd: dir })).stdout.replace(/\s+/g, " ")).toContain("(required unless --all)");
    expect((await runCli(["baseline", "--help"], { cwd: dir })).stdout.replace(/\s+/g, " ")).toContain("the database already has (required)");
  });

  it("names the missing required flag", async () => {
    const cases: [string[], string][] = [
      [["env", "new", "staging"], "--tier"],
      [["down"], "--to"],
      [["baseline"], "--version"],
    ];
    for (const [args, flag] of cases) {
      const run = await runCli(args, { cwd: dir });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`required option '${flag} <`);
    }
  });

  it("refuses an empty --dir (an unset shell variable) rather than reading the default folder", async () => {
    for (const args of [["up", "--dir="], ["lint", "--dir", ""], ["status", "--dir", "  "]]) {
      const run = await runCli(args, { cwd: dir });
      expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 2, stderr: expect.stringContaining("error: option '--dir <folder>' argument") });
      expect(run.stderr).toContain("is invalid. must name a folder, got an empty value");
    }
    expect(fs.existsSync(path.join(dir, ".dbpipe"))).toBe(false);
  });

  it("says once that a stack has no settings file", async () => {
    const run = await runCli(["status", "--stack", "nosuch"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr.match(/Pulumi\.nosuch\.yaml/g)).toHaveLength(1);
  });

  it("shows the example URL whole, and still hides the real password", async () => {
    const run = await runCli(["status", "--database-url", "postgres://app:s3cret-pass@[bad/db"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("postgres://USER:PASSWORD@HOST:5432/DATABASE");
    expect(run.stderr).toContain("postgres://app:***@");
    expect(run.stderr).not.toContain("s3cret-pass");
  });
});
