import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { Migration } from "../../src/migration";
import { tempFolder } from "../helpers/project";

/**
 * The parse-ahead thread (src/sql/parse-ahead.ts) runs from the built dbpipe only (its worker is
 * dist/sql/parse-ahead-worker.js), so this drives the built modules: a lint whose SQL is parsed in
 * the second thread must give what a lint parsed in this thread gives, result for result and error
 * for error. `npm test` builds first.
 */
const DIST = path.join(__dirname, "../../dist");
/* eslint-disable @typescript-eslint/no-require-imports */
const { LintPool } = require(path.join(DIST, "sql/lint-parallel.js")) as typeof import("../../src/sql/lint-parallel");
const { lintMigrations } = require(path.join(DIST, "sql/lint.js")) as typeof import("../../src/sql/lint");
const { loadMigrations } = require(path.join(DIST, "migrate/files.js")) as typeof import("../../src/migrate/files");
const { parsesAhead } = require(path.join(DIST, "sql/lanes.js")) as typeof import("../../src/sql/lanes");
/* eslint-enable @typescript-eslint/no-require-imports */

/** 100 migrations with down sections, non-ASCII text, a byte order mark, and each file's tables used by later ones. */
function history(extra: Record<string, string> = {}): Migration[] {
  const files: Record<string, string> = {};
  for (let n = 1; n <= 100; n++) {
    const v = String(n).padStart(4, "0");
    files[`${v}_step.sql`] =
      n % 3 === 0
        ? `-- 'é' and '😀' shift every column after them\nALTER TABLE t${n - 1} ADD COLUMN label text DEFAULT 'ünï' NOT NULL;\nCREATE INDEX t${n - 1}_label ON t${n - 1} (label);\n-- dbpipe:down\nDROP INDEX t${n - 1}_label;\n`
        : `CREATE TABLE t${n} (id int PRIMARY KEY, code varchar(20));\nUPDATE t${n} SET code = 'x';\n`;
  }
  files["0010_step.sql"] = "\uFEFFCREATE TABLE t10 (id int);\nALTER TABLE t8 ALTER COLUMN code TYPE text;\n";
  files["0050_step.sql"] = "ALTER TABLE t11 ALTER COLUMN code TYPE text;\n";
  const dir = tempFolder(Object.fromEntries(Object.entries({ ...files, ...extra }).map(([name, text]) => [`migrations/${name}`, text])));
  return loadMigrations(path.join(dir, "migrations"), { displayBase: dir }).migrations;
}

describe.skipIf(!parsesAhead(1))("linting with the SQL parsed in a second thread", () => {
  it("gives every result a lint in one thread gives, with the history before the files", async () => {
    const all = history();
    const options = { history: all.slice(0, 20), lockTimeoutMs: 0 };
    const pool = LintPool.start(1);
    try {
      const ahead = await pool.lint(all.slice(20), options);
      const here = await lintMigrations(all.slice(20), options);
      expect(ahead).toEqual(here);
      // Not a vacuous comparison: there are findings, and the history's tables are known (t11, created in it, changes type from varchar(20)).
      expect(here.flatMap((m) => m.findings).length).toBeGreaterThan(40);
      expect(here.find((m) => m.version === "0050")?.findings.map((f) => f.message).join("\n")).toContain("TYPE text (from varchar(20)) on t11");
    } finally {
      await pool.close();
    }
  });

  it("reports a file that does not parse, up or down, where one thread does, and lints the others", async () => {
    const all = history({ "0030_step.sql": "CREATE TABLE t30 (id int);\n-- dbpipe:down\nDROP TABEL t30;\n", "0070_step.sql": "SELECT 'é';\nSELEC 1;\n" });
    const pool = LintPool.start(1);
    try {
      const ahead = await pool.lint(all, {});
      expect(ahead).toEqual(await lintMigrations(all, {}));
      expect(ahead.filter((m) => m.parseError).map((m) => `${m.parseError?.file}:${m.parseError?.line}:${m.parseError?.column} ${m.parseError?.message}`)).toEqual([
        `${path.join("migrations", "0030_step.sql")}:3:6 syntax error at or near "TABEL"`,
        `${path.join("migrations", "0070_step.sql")}:2:1 syntax error at or near "SELEC"`,
      ]);
    } finally {
      await pool.close();
    }
  });

  it("throws the error one thread throws first, and the next lint on the same pool is not thrown off", async () => {
    // loadMigrations refuses such files before any lint; the linter's own check is what is tested here.
    const bad = "-- dbpipe:allow drop-table\nDROP TABLE t1;\n";
    const broken = history().map((m) => (m.version === "0040" || m.version === "0080" ? { ...m, up: { text: bad, line: 1 }, down: undefined } : m));
    const pool = LintPool.start(1);
    try {
      const error = await pool.lint(broken, {}).catch((e: Error) => e);
      const here = await lintMigrations(broken, {}).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toBe((here as Error).message);
      expect((error as Error).message).toContain("0040_step.sql:1:1: dbpipe:allow drop-table needs a reason");
      // The sections the failed lint left unread are skipped: this lint gets its own files' parses.
      const good = history();
      expect(await pool.lint(good, {})).toEqual(await lintMigrations(good, {}));
    } finally {
      await pool.close();
    }
  });
});
