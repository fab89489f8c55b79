import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { planMigrations } from "../../../src/migrate/verbs/plan";
import { upMigrations } from "../../../src/migrate/verbs/up";
import { IntegrityError } from "../../../src/migrate/plan";
import { freshDatabase, failure, publicTables as tables } from "../../helpers/database";
import { engineFor, settingsFor, tempFolder, writeFiles } from "../../helpers/project";

describe("integrity", () => {
  it("refuses to run when an applied file was changed, applying nothing", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({ "0001_a.sql": "CREATE TABLE a (id int);" });
    await upMigrations(engineFor(dir, url));
    writeFiles(dir, { "0001_a.sql": "CREATE TABLE a (id bigint);", "0002_b.sql": "CREATE TABLE b (id int);" });
    const error = await failure(upMigrations(engineFor(dir, url)));
    expect(error).toBeInstanceOf(IntegrityError);
    expect(error.message).toMatch(/0001_a\.sql was changed after it was applied on .* \(checksum [0-9a-f]{12} recorded, [0-9a-f]{12} now\)/);
    expect(error.message).toContain("write a new migration for the change");
    expect(error.message).toContain("dbpipe repair");
    expect(error.message).toContain("Nothing was applied.");
    expect(await tables(url)).toEqual(["a"]);

    const { plan } = await planMigrations(engineFor(dir, url));
    expect(plan.entries.map((e) => [e.version, e.status])).toEqual([
      ["0001", "modified"],
      ["0002", "pending"],
    ]);
  });

  it("treats a CRLF re-save of an applied file as unchanged", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({ "0001_a.sql": "CREATE TABLE a (id int);\nSELECT 1;\n" });
    await upMigrations(engineFor(dir, url));
    writeFiles(dir, { "0001_a.sql": "CREATE TABLE a (id int);\r\nSELECT 1;\r\n" });
    const { plan } = await planMigrations(engineFor(dir, url));
    expect(plan.entries[0].status).toBe("applied");
  });

  it("refuses when an applied file is missing", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({ "0001_a.sql": "CREATE TABLE a (id int);", "0002_b.sql": "CREATE TABLE b (id int);" });
    await upMigrations(engineFor(dir, url));
    fs.rmSync(path.join(dir, "0001_a.sql"));
    const error = await failure(upMigrations(engineFor(dir, url)));
    expect(error.message).toContain("version 0001 (a) was applied on");
    expect(error.message).toContain("but its file is gone: restore it");
  });

  it("refuses a pending migration older than the newest applied one unless out-of-order is allowed", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({ "0002_b.sql": "CREATE TABLE b (id int);" });
    await upMigrations(engineFor(dir, url));
    writeFiles(dir, { "0001_a.sql": "CREATE TABLE a (id int);" });
    const error = await failure(upMigrations(engineFor(dir, url)));
    expect(error.message).toContain("0001_a.sql is pending but older than 0002 (b), which is already applied");
    expect(error.message).toContain("dbpipe:outOfOrder: true");

    const allowed = await upMigrations(engineFor(dir, url, settingsFor("dev", { outOfOrder: true })));
    expect(allowed.applied.map((a) => a.version)).toEqual(["0001"]);
  });
});
