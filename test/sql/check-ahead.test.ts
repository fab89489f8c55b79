import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { Migration } from "../../src/migration";
import { tempFolder } from "../helpers/project";

/**
 * The check-ahead thread (src/sql/check-ahead.ts) runs from the built dbpipe only (its worker is
 * dist/sql/check-ahead-worker.js), so this drives the built modules: each answer from the second
 * thread must be the one the check-only parse gives in this thread. `npm test` builds first.
 */
const DIST = path.join(__dirname, "../../dist");
/* eslint-disable @typescript-eslint/no-require-imports */
const { CheckAhead } = require(path.join(DIST, "sql/check-ahead.js")) as typeof import("../../src/sql/check-ahead");
const { checkSection, loadSectionChecker } = require(path.join(DIST, "sql/check-parse.js")) as typeof import("../../src/sql/check-parse");
const { loadMigrations } = require(path.join(DIST, "migrate/files.js")) as typeof import("../../src/migrate/files");
/* eslint-enable @typescript-eslint/no-require-imports */

/** Files of every kind the check-only parse tells apart. */
const FILES: Record<string, string> = {
  "0001_table.sql": "CREATE TABLE t (id int PRIMARY KEY, label text DEFAULT 'ünï');\n-- dbpipe:down\nDROP TABLE t;\n",
  "0002_bom.sql": "\uFEFFALTER TABLE t ADD COLUMN c int;\n",
  "0003_commit.sql": "UPDATE t SET label = 'x';\nCOMMIT;\nCREATE INDEX t_label ON t (label);\n",
  "0004_plpgsql.sql": "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n",
  "0005_broken.sql": "SELECT '😀';\nSELEC 1;\n",
  "0006_broken_down.sql": "CREATE TABLE u (id int);\n-- dbpipe:down\nDROP TABEL u;\n",
  "0007_comments.sql": "CREATE TABLE c (id int);\n-- dbpipe:down\n-- nothing but a comment\n/* and a block */\n",
  "0008_nbsp.sql": "CREATE TABLE n (id int);\n-- dbpipe:down\n\u00a0\n",
  "0009_wrapped.sql": "BEGIN;\nCREATE TABLE w (id int);\nCOMMIT;\n",
  "0010_concurrently.sql": "-- dbpipe:no-transaction\nCREATE INDEX CONCURRENTLY w_id ON w (id);\n",
};

function migrations(files: Record<string, string>): Migration[] {
  const dir = tempFolder(Object.fromEntries(Object.entries(files).map(([name, text]) => [`migrations/${name}`, text])));
  return loadMigrations(path.join(dir, "migrations"), { displayBase: dir }).migrations;
}

const sections = (all: readonly Migration[]) => all.flatMap((m) => [m.up, m.down].filter((s) => s !== undefined));

describe("the check-only parse in a second thread", () => {
  it("answers for every section what the parse in this thread answers, newest file first", async () => {
    const here = migrations(FILES);
    const ahead = CheckAhead.start();
    expect(ahead).toBeDefined();
    try {
      ahead!.submit(here);
      const answers = [];
      for (const section of sections(here)) answers.push(await ahead!.answer(section));
      // Compared with sections of a second reading of the same files, which this thread parses itself.
      await loadSectionChecker();
      expect(answers).toEqual(sections(migrations(FILES)).map((s) => checkSection(s)));
      // Not a vacuous comparison: the files hold each kind of answer.
      expect(answers).toContainEqual({ parses: false, transactionStatement: false, outsideTransactionStatement: false });
      expect(answers).toContainEqual({ parses: true, transactionStatement: true, outsideTransactionStatement: false });
      expect(answers).toContainEqual({ parses: true, transactionStatement: false, outsideTransactionStatement: false });
      expect(answers).toContainEqual({ parses: true, transactionStatement: false, outsideTransactionStatement: true });
    } finally {
      ahead!.close();
    }
  });

  it("has no answer for a section it was not sent, nor after it is closed", async () => {
    const sent = migrations(FILES);
    const ahead = CheckAhead.start()!;
    ahead.submit(sent.slice(0, 2));
    expect(await ahead.answer(sent[0].up)).toEqual({ parses: true, transactionStatement: false, outsideTransactionStatement: false });
    expect(await ahead.answer(sent[5].up)).toBeUndefined();
    ahead.submit(sent);
    ahead.close();
    ahead.close();
    // Whatever it had not answered yet stays unanswered: the caller parses it itself.
    const late = await Promise.all(sections(sent).map((s) => ahead.answer(s)));
    expect(late.every((a) => a === undefined || typeof a.parses === "boolean")).toBe(true);
  });

  it("never keeps a process open that did not close it", () => {
    const dir = tempFolder(Object.fromEntries(Object.entries(FILES).map(([name, text]) => [`migrations/${name}`, text])));
    const script = `
      const { CheckAhead } = require(${JSON.stringify(path.join(DIST, "sql/check-ahead.js"))});
      const { loadMigrations } = require(${JSON.stringify(path.join(DIST, "migrate/files.js"))});
      const all = loadMigrations(${JSON.stringify(path.join(dir, "migrations"))}).migrations;
      const ahead = CheckAhead.start();
      ahead.submit(all);
      for (let i = 0; i < 50; i++) ahead.submit(all.map((m) => ({ ...m, up: { ...m.up } })));
      ahead.answer(all[0].up).then((a) => process.stdout.write(JSON.stringify(a)));
    `;
    const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 60_000 });
    expect(run.error).toBeUndefined();
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    // It waited for the answer it asked for, then ended with the thread still holding sections to check.
    expect(JSON.parse(run.stdout)).toEqual({ parses: true, transactionStatement: false, outsideTransactionStatement: false });
  });
});
