import { beforeAll, describe, expect, it } from "vitest";
import { REPO, type CliRun, runCli } from "../helpers/cli";
import { freshDatabase, withClient } from "../helpers/database";
import { tempFolder } from "../helpers/project";
import { loadStackSettings } from "../../src/settings/stack-file";
import { TIERS } from "../../src/settings/tiers";

/**
 * Tampering: an applied migration edited, deleted or renamed, or a new file older than the newest
 * applied one. Each is refused by `up`, `plan` and `status` before anything runs (exit 2), naming
 * the file, and `up` applies nothing: not the tampered file, not the pending migration after it
 * (history and schema are checked on the database).
 */

/** The history the project's database has after `up` of {@link APPLIED}: 0010, 0020, 0030. */
const APPLIED: Record<string, string> = {
  "0010_a.sql": "CREATE TABLE a (i int);\n",
  "0020_b.sql": "CREATE TABLE b (i int);\n",
  "0030_c.sql": "CREATE TABLE c (i int);\n",
};
/** A pending migration beside every tampering: it must not run either. */
const PENDING = { "0040_d.sql": "CREATE TABLE d (i int);\n" };

interface HistoryRecord {
  version: string;
  name: string;
  checksum: string;
  success: boolean;
  applied_at: Date;
}

async function history(url: string): Promise<HistoryRecord[]> {
  return withClient(url, async (c) => (await c.query("SELECT version, name, checksum, success, applied_at FROM dbpipe.schema_migrations ORDER BY version")).rows);
}

async function tables(url: string): Promise<string[]> {
  return withClient(url, async (c) => (await c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.tablename));
}

/** A project holding `migrations` (file name → SQL) and `extra` files. */
function project(migrations: Record<string, string>, extra: Record<string, string> = {}): string {
  const files: Record<string, string> = { ...extra };
  for (const [name, sql] of Object.entries(migrations)) files[`migrations/${name}`] = sql;
  return tempFolder(files, "dbpipe-tamper-");
}

function printed(run: CliRun): string {
  return run.stdout + run.stderr;
}

/** No stack trace and no "bug" message: what a user sees for a mistake of theirs. */
function expectCleanRefusal(run: CliRun): void {
  expect(run.stderr).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
  expect(run.stderr).not.toContain("looks like a bug");
}

interface Tampering {
  what: string;
  /** The migration files after the tampering (before PENDING is added). */
  files: () => Record<string, string>;
  /** What the refusal must say, in `up`'s, `plan`'s and `status`'s output alike. */
  says: RegExp[];
}

const without = (name: string) => Object.fromEntries(Object.entries(APPLIED).filter(([n]) => n !== name));

const TAMPERINGS: Tampering[] = [
  {
    what: "an applied file edited (a statement added)",
    files: () => ({ ...APPLIED, "0020_b.sql": "CREATE TABLE b (i int);\nCREATE TABLE b2 (i int);\n" }),
    says: [/migrations\/0020_b\.sql was changed after it was applied/, /write a new migration/],
  },
  {
    what: "an applied file edited (only a comment added)",
    files: () => ({ ...APPLIED, "0020_b.sql": "-- reviewed\nCREATE TABLE b (i int);\n" }),
    says: [/migrations\/0020_b\.sql was changed after it was applied/],
  },
  {
    what: "an applied file deleted",
    files: () => without("0020_b.sql"),
    says: [/version 0020 \(b\) was applied on .* but its file is gone/],
  },
  {
    what: "an applied file renamed (same version, new name)",
    files: () => ({ ...without("0020_b.sql"), "0020_bee.sql": APPLIED["0020_b.sql"] }),
    says: [/migrations\/0020_bee\.sql was renamed after it was applied on .* \(the history records 0020 as "b", the file now says "bee"\)/],
  },
  {
    what: "an applied file renamed to a new version",
    files: () => ({ ...without("0020_b.sql"), "0050_b.sql": APPLIED["0020_b.sql"] }),
    says: [/version 0020 \(b\) was applied on .* but its file is gone/, /migrations\/0050_b\.sql has the content it was applied with/],
  },
  {
    what: "a new file older than the newest applied one",
    files: () => ({ ...APPLIED, "0015_z.sql": "CREATE TABLE z (i int);\n" }),
    says: [/migrations\/0015_z\.sql is pending but older than 0030 \(c\), which is already applied/, /dbpipe:outOfOrder: true/],
  },
];

describe("tampering with applied migrations is refused before anything runs", () => {
  let url: string;
  let before: HistoryRecord[];

  beforeAll(async () => {
    url = await freshDatabase("tamper");
    const up = await runCli(["up", "--database-url", url], { cwd: project(APPLIED) });
    expect(up.code, up.stderr).toBe(0);
    before = await history(url);
    expect(before.map((r) => r.version)).toEqual(["0010", "0020", "0030"]);
  });

  it.each(TAMPERINGS)("$what: up, plan and status exit 2 naming the file; nothing is applied", async ({ files, says }) => {
    const dir = project({ ...files(), ...PENDING });
    for (const command of ["up", "plan", "status"]) {
      const run = await runCli([command, "--database-url", url], { cwd: dir });
      expect(run.code, `${command}: ${printed(run)}`).toBe(2);
      for (const message of says) expect(printed(run), command).toMatch(message);
      expectCleanRefusal(run);
    }
    const json = await runCli(["plan", "--json", "--database-url", url], { cwd: dir });
    expect(json.code).toBe(2);
    const problems = (JSON.parse(json.stdout) as { problems: { message: string }[] }).problems.map((p) => p.message).join("\n");
    for (const message of says) expect(problems).toMatch(message);
    // Nothing ran: the history is as it was (same rows, same times), and so is the schema.
    expect(await history(url)).toEqual(before);
    expect(await tables(url)).toEqual(["a", "b", "c"]);
  });

  it("a file whose line endings changed (CRLF) is not tampering: the pending migration runs", async () => {
    // The control: the checks above can tell an edit from a checkout on another OS.
    const crlf = Object.fromEntries(Object.entries(APPLIED).map(([n, sql]) => [n, sql.replace(/\n/g, "\r\n")]));
    const dir = project({ ...crlf, "0035_e.sql": "CREATE TABLE e (i int);\n" });
    const up = await runCli(["up", "--database-url", url], { cwd: dir });
    expect(up.code, printed(up)).toBe(0);
    expect(await tables(url)).toEqual(["a", "b", "c", "e"]);
    expect((await history(url)).slice(0, 3)).toEqual(before);
  });
});

describe("out-of-order migrations by tier", () => {
  it("no tier allows them by default, nor do the shipped stack files", () => {
    for (const tier of TIERS) {
      expect(loadStackSettings(tempFolder(), tier).migrations.outOfOrder, `${tier} tier default`).toBe(false);
      expect(loadStackSettings(REPO, tier).migrations.outOfOrder, `Pulumi.${tier}.yaml`).toBe(false);
    }
  });

  it("up refuses a file older than the head on dev, test and prod, and runs it where the stack allows it", async () => {
    const url = await freshDatabase("order");
    const first = await runCli(["up", "--database-url", url], { cwd: project(APPLIED) });
    expect(first.code, first.stderr).toBe(0);
    const before = await history(url);
    const allowing = { "Pulumi.staging.yaml": "config:\n  dbpipe:tier: test\n  dbpipe:outOfOrder: true\n" };
    const dir = project({ ...APPLIED, "0015_z.sql": "CREATE TABLE z (i int);\n" }, allowing);
    for (const stack of TIERS) {
      const up = await runCli(["up", "--stack", stack, "--database-url", url], { cwd: dir });
      expect(up.code, `${stack}: ${printed(up)}`).toBe(2);
      expect(up.stderr).toContain("migrations/0015_z.sql is pending but older than 0030 (c)");
      expectCleanRefusal(up);
    }
    expect(await history(url)).toEqual(before);
    expect(await tables(url)).toEqual(["a", "b", "c"]);

    const allowed = await runCli(["up", "--stack", "staging", "--database-url", url], { cwd: dir });
    expect(allowed.code, printed(allowed)).toBe(0);
    expect(allowed.stdout).toContain("✓ 0015 z");
    expect(await tables(url)).toEqual(["a", "b", "c", "z"]);
    // Once applied, it is history like any other: status on a strict tier is clean.
    const status = await runCli(["status", "--stack", "prod", "--database-url", url], { cwd: dir });
    expect(status.code, printed(status)).toBe(0);
  });
});
