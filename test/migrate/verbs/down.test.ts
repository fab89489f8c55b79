import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { repairHistory } from "../../../src/migrate/verbs/repair";
import { downMigrations } from "../../../src/migrate/verbs/down";
import { upMigrations } from "../../../src/migrate/verbs/up";
import { MigrationFailedError } from "../../../src/migrate/sql-error";
import { freshDatabase, failure, publicTables as tables } from "../../helpers/database";
import { engineFor, settingsFor, tempFolder } from "../../helpers/project";
import { CRM, historyRows } from "./fixtures";

describe("down", () => {
  it("reverts newest first, each with its history row", async () => {
    const url = await freshDatabase();
    const dir = tempFolder(CRM);
    await upMigrations(engineFor(dir, url));
    const result = await downMigrations(engineFor(dir, url), "0001");
    expect(result.reverted.map((r) => r.version)).toEqual(["0003", "0002"]);
    expect(await tables(url)).toEqual(["customers"]);
    expect((await historyRows(url)).map((r) => r.version)).toEqual(["0001"]);
    const again = await upMigrations(engineFor(dir, url));
    expect(again.applied.map((a) => a.version)).toEqual(["0002", "0003"]);
  });

  it("refuses before running anything when one migration has no down part", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({ ...CRM, "0004_nodown.sql": "CREATE TABLE orders (id int);" });
    await upMigrations(engineFor(dir, url));
    const error = await failure(downMigrations(engineFor(dir, url), "0001"));
    expect(error.message).toContain("cannot revert to 0001; nothing was reverted");
    expect(error.message).toContain("0004_nodown.sql: has no down part (add one after a line -- dbpipe:down, then run `dbpipe repair` to record the file's new checksum");
    expect(await tables(url)).toEqual(["customers", "orders", "products"]);

    // What the message says to do, done: the down part added, the file is changed since it was applied...
    fs.writeFileSync(path.join(dir, "0004_nodown.sql"), "CREATE TABLE orders (id int);\n-- dbpipe:down\nDROP TABLE orders;\n");
    const changed = await failure(downMigrations(engineFor(dir, url), "0003"));
    expect(changed.message).toContain("0004_nodown.sql: changed since it was applied, so its down part may not undo what ran (if only its down part was added or changed, `dbpipe repair` records the file's new checksum)");
    // ... and once repair has recorded its checksum, down runs it.
    expect((await repairHistory(engineFor(dir, url))).length).toBe(1);
    expect((await downMigrations(engineFor(dir, url), "0003")).reverted.map((r) => r.version)).toEqual(["0004"]);
    expect(await tables(url)).toEqual(["customers", "products"]);
  });

  it("rolls back a failing down part, keeping the migration applied", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({ "0001_a.sql": "CREATE TABLE a (id int);\n-- dbpipe:down\nDROP TABLE a;\nDROP TABLE not_there;" });
    await upMigrations(engineFor(dir, url));
    const error = (await failure(downMigrations(engineFor(dir, url), "0"))) as MigrationFailedError;
    expect(error.message).toContain("0001_a.sql:4:1");
    expect(await tables(url)).toEqual(["a"]);
    expect((await historyRows(url)).map((r) => r.version)).toEqual(["0001"]);
  });
});

describe("down targets", () => {
  const DRIZZLE = {
    "0000_init.sql": "CREATE TABLE init (id int);\n-- dbpipe:down\nDROP TABLE init;",
    "0001_a.sql": "CREATE TABLE a (id int);\n-- dbpipe:down\nDROP TABLE a;",
    "0002_b.sql": "CREATE TABLE b (id int);\n-- dbpipe:down\nDROP TABLE b;",
  };

  it("refuses --to 0 when a migration has version 0, pointing at --all; --all reverts it too", async () => {
    const url = await freshDatabase();
    const dir = tempFolder(DRIZZLE);
    await upMigrations(engineFor(dir, url));
    const error = await failure(downMigrations(engineFor(dir, url), "0"));
    expect(error.message).toBe(
      "--to 0 is ambiguous here: migration 0000 (init) has version 0. To revert every migration, 0000 included, use --all; to keep 0000 and revert what is newer, use --to 0000. Nothing was reverted.",
    );
    expect(await tables(url)).toEqual(["a", "b", "init"]);

    const all = await downMigrations(engineFor(dir, url), { all: true });
    expect(all.reverted.map((r) => r.version)).toEqual(["0002", "0001", "0000"]);
    expect(all.at).toBeNull();
    expect(await tables(url)).toEqual([]);
    expect(await historyRows(url)).toEqual([]);
  });

  it("keeps the version --to names, compared as numbers", async () => {
    const url = await freshDatabase();
    const dir = tempFolder(DRIZZLE);
    await upMigrations(engineFor(dir, url));
    const kept = await downMigrations(engineFor(dir, url), { to: "0000" });
    expect(kept.reverted.map((r) => r.version)).toEqual(["0002", "0001"]);
    expect(kept.at).toEqual({ version: "0000", name: "init" });
    expect(await tables(url)).toEqual(["init"]);
    await upMigrations(engineFor(dir, url));
    expect((await downMigrations(engineFor(dir, url), "1")).reverted.map((r) => r.version)).toEqual(["0002"]);
    expect((await failure(downMigrations(engineFor(dir, url), "7"))).message).toBe("--to 7: that version is not applied; applied versions are 0000, 0001 (use --all to revert everything)");
  });

  it("still reads --to 0 as everything when no migration has version 0", async () => {
    const url = await freshDatabase();
    const dir = tempFolder(CRM);
    await upMigrations(engineFor(dir, url));
    const result = await downMigrations(engineFor(dir, url), "0");
    expect(result.reverted.map((r) => r.version)).toEqual(["0003", "0002", "0001"]);
    expect(result.at).toBeNull();
    // Versions compare as numbers: 0000 is 0, which no migration has here.
    await upMigrations(engineFor(dir, url));
    expect((await downMigrations(engineFor(dir, url), "0000")).reverted.map((r) => r.version)).toEqual(["0003", "0002", "0001"]);
  });

  it("refuses a down part that would commit on its own, before reverting anything", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({
      "0001_a.sql": "CREATE TABLE a (id int);\n-- dbpipe:down\nDROP TABLE a;\nCOMMIT;\nSELECT 1;",
      "0002_b.sql": "CREATE TABLE b (id int);\n-- dbpipe:down\nBEGIN;\nDROP TABLE b;\nCOMMIT;",
    });
    await upMigrations(engineFor(dir, url));
    const error = await failure(downMigrations(engineFor(dir, url), { all: true }));
    expect(error.message).toMatch(/^0001_a\.sql:4:1: `COMMIT` would end the transaction .* Nothing was reverted\.$/s);
    expect(await tables(url)).toEqual(["a", "b"]);
    // A wrapped down part runs in dbpipe's transaction.
    expect((await downMigrations(engineFor(dir, url), "0001")).reverted.map((r) => r.version)).toEqual(["0002"]);
  });
});

describe("down of no-transaction migrations", () => {
  it("runs the down part with the stack's statement_timeout", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({ "0001_slow.sql": "-- dbpipe:no-transaction\nCREATE TABLE a (id int);\n-- dbpipe:down\nSELECT pg_sleep(2);\nDROP TABLE a;" });
    await upMigrations(engineFor(dir, url));
    const error = (await failure(downMigrations(engineFor(dir, url, settingsFor("dev", { statementTimeout: "200ms" })), { all: true }))) as MigrationFailedError;
    expect(error.code).toBe("57014");
    expect(error.message).toContain("0001_slow.sql:4:1");
    expect(await tables(url)).toEqual(["a"]);
  });

  it("leaves no session setting behind for the next down part", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({
      "0001_t.sql": "CREATE TABLE t (id int);\n-- dbpipe:down\nDROP TABLE t;",
      "0002_elsewhere.sql": "-- dbpipe:no-transaction\nCREATE SCHEMA elsewhere;\nCREATE TABLE elsewhere.t (id int);\n-- dbpipe:down\nSET search_path = elsewhere;\nDROP TABLE t;\nDROP SCHEMA elsewhere;",
    });
    await upMigrations(engineFor(dir, url));
    const result = await downMigrations(engineFor(dir, url), { all: true });
    expect(result.reverted.map((r) => r.version)).toEqual(["0002", "0001"]);
    expect(await tables(url)).toEqual([]);
  });
});
