import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { FolderStore } from "../../src/backup/folder-store";
import { InputError, RefusedError } from "../../src/errors";
import { upMigrations } from "../../src/migrate/verbs/up";
import { PolicyRefusedError, deploy } from "../../src/pipeline/deploy";
import { freshDatabase, withClient, failure, publicTables as tables } from "../helpers/database";
import { engineFor, settingsFor, tempFolder, writeFiles } from "../helpers/project";

async function historyRows(url: string) {
  return withClient(url, async (c) => (await c.query("SELECT version, risk, backup_ref FROM dbpipe.schema_migrations ORDER BY version")).rows);
}

function store(): FolderStore {
  return new FolderStore(tempFolder({}, "dbpipe-backups-"));
}

const FILES = {
  "0001_a.sql": "CREATE TABLE a (id int);\n-- dbpipe:down\nDROP TABLE a;",
  "0002_b.sql": "CREATE TABLE b (id int);\n-- dbpipe:down\nDROP TABLE b;",
  "0003_drop_a.sql": "DROP TABLE a;",
};

describe("deploy up", () => {
  it("takes the backup the verdict asks for into the given store, records it, and returns what it did", async () => {
    const url = await freshDatabase();
    const dir = tempFolder(FILES);
    const backups = store();
    const result = await deploy({ ...engineFor(dir, url, settingsFor("test")), backupStore: backups });
    expect(result.applied.map((m) => [m.version, m.risk])).toEqual([
      ["0001", "low"],
      ["0002", "low"],
      ["0003", "high"],
    ]);
    expect(result.head).toEqual({ version: "0003", name: "drop_a" });
    expect(result.verdict).toMatchObject({ allowed: true, backupRequired: true });
    expect(result.backup?.manifest.before.map((m) => m.version)).toEqual(["0001", "0002", "0003"]);
    expect((await backups.list()).map((b) => b.ref)).toEqual([result.backup!.ref]);
    expect((await historyRows(url)).map((r) => [r.version, r.risk, r.backup_ref])).toEqual([
      ["0001", "low", result.backup!.ref],
      ["0002", "low", result.backup!.ref],
      ["0003", "high", result.backup!.ref],
    ]);
  });

  it("refuses a run that needs a backup when no store is given, applying nothing", async () => {
    const url = await freshDatabase();
    const error = await failure(deploy(engineFor(tempFolder(FILES), url, settingsFor("test"))));
    expect(error).toBeInstanceOf(RefusedError);
    expect(error.message).toContain("No backup destination is configured, so nothing was applied.");
    expect(await tables(url)).toEqual([]);
  });

  it("refuses files that differ from the checksums it was planned with, naming each, before connecting", async () => {
    const dir = tempFolder(FILES);
    const planned = await deploy({ ...engineFor(dir, await freshDatabase()), action: { verb: "up", rehearse: true } });
    const expected = new Map(planned.migrations.map((m) => [m.version, m.checksum]));
    writeFiles(dir, { "0002_b.sql": "CREATE TABLE b (id bigint);", "0004_c.sql": "CREATE TABLE c (id int);" });
    fs.rmSync(path.join(dir, "0001_a.sql"));
    const unreachable = "postgres://nobody@127.0.0.1:1/none";
    const error = await failure(deploy({ ...engineFor(dir, unreachable), expectedChecksums: expected }));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(/^the migration files differ from the ones the run was planned with; nothing was run/);
    expect(error.message).toContain("0002_b.sql: changed since the run was planned");
    expect(error.message).toContain("0004_c.sql: not in the migrations the run was planned with");
    expect(error.message).toContain("version 0001: planned, but no file has it any more");
  });
});

describe("deploy up on a tier where risk cannot matter (dev: only the check that refuses a file)", () => {
  const clean = {
    "0001_a.sql": "CREATE TABLE a (id int);",
    "0002_f.sql": "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;",
    "0003_wrapped.sql": "BEGIN;\nCREATE TABLE w (id int);\nCOMMIT;\n",
    "0004_b.sql": "CREATE TABLE b (id int);\n-- dbpipe:down\nDROP TABLE b;",
  };

  it("refuses a syntax error in the 5th pending file at its file, line and column, before the 1st is applied", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({ ...clean, "0005_typo.sql": "CREATE TABLE ok (id int);\nCREATE TABLE broken (id int,, name text);\n" });
    const error = await failure(deploy(engineFor(dir, url)));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain('0005_typo.sql:2:29: syntax error at or near ","');
    expect(await tables(url)).toEqual([]);
  });

  it("refuses a down section that does not parse, and a malformed or unknown dbpipe:allow, applying nothing", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ "0005_down.sql": "CREATE TABLE c (id int);\n-- dbpipe:down\nDROP TABEL c;" }, "0005_down.sql:3:6: syntax error at or near \"TABEL\""],
      [{ "0005_allow.sql": "-- dbpipe:allow no-such-rule because\nDROP TABLE a;" }, '0005_allow.sql:1:1: dbpipe:allow names unknown rule "no-such-rule"'],
      [{ "0005_reason.sql": "-- dbpipe:allow drop-table\nDROP TABLE a;" }, "0005_reason.sql:1:1: dbpipe:allow drop-table needs a reason"],
    ];
    for (const [files, message] of cases) {
      const url = await freshDatabase();
      const error = await failure(deploy(engineFor(tempFolder({ ...clean, ...files }), url)));
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toContain(message);
      expect(await tables(url)).toEqual([]);
    }
  });

  it("applies files whose PL/pgSQL END or whole-file BEGIN/COMMIT is no transaction control, and refuses a COMMIT in the middle", async () => {
    const url = await freshDatabase();
    const result = await deploy(engineFor(tempFolder(clean), url));
    expect(result.applied.map((m) => [m.version, m.risk])).toEqual([
      ["0001", null],
      ["0002", null],
      ["0003", null],
      ["0004", null],
    ]);
    expect(await tables(url)).toEqual(["a", "b", "w"]);
    const url2 = await freshDatabase();
    const error = await failure(deploy(engineFor(tempFolder({ ...clean, "0005_commit.sql": "CREATE TABLE c (id int);\nCOMMIT;\nCREATE TABLE d (id int);" }), url2)));
    expect(error.message).toContain("0005_commit.sql:2:1: `COMMIT` would end the transaction dbpipe runs this migration in");
    expect(await tables(url2)).toEqual([]);
  });
});

describe("deploy down", () => {
  const DROPS = { "0001_a.sql": "CREATE TABLE a (id int);\n-- dbpipe:down\nDROP TABLE a;" };

  it("prod refuses a down part that drops a table without an approval, reverting nothing", async () => {
    const url = await freshDatabase();
    const dir = tempFolder(DROPS);
    await upMigrations(engineFor(dir, url));
    const backups = store();
    const error = await failure(deploy({ ...engineFor(dir, url, settingsFor("prod")), backupStore: backups, action: { verb: "down", target: { all: true } } }));
    expect(error).toBeInstanceOf(PolicyRefusedError);
    expect(error.message).toContain("stack prod (tier prod) refuses to revert a migration with its down part; nothing was reverted.");
    expect(error.message).toContain("0001_a.sql:3:1 high drop-table");
    expect(await backups.list()).toEqual([]);
    expect(await tables(url)).toEqual(["a"]);
  });

  it("runs it once the file (checksum covering the down part) is approved, after the backup prod asks for", async () => {
    const url = await freshDatabase();
    const dir = tempFolder(DROPS);
    const { migrations } = await upMigrations(engineFor(dir, url));
    const prod = settingsFor("prod");
    const settings = { ...prod, risk: { ...prod.risk, approvals: [{ version: "0001", checksum: migrations[0].checksum, reason: "retiring a" }] } };
    const backups = store();
    const result = await deploy({ ...engineFor(dir, url, settings), backupStore: backups, action: { verb: "down", target: { all: true } } });
    expect(result.reverted.map((r) => [r.version, r.risk])).toEqual([["0001", "high"]]);
    expect(result.head).toBeNull();
    expect(result.backup?.manifest.before.map((m) => m.version)).toEqual(["0001"]);
    expect((await backups.list()).map((b) => b.ref)).toEqual([result.backup!.ref]);
    expect(await tables(url)).toEqual([]);
  });
});
