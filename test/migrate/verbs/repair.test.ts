import { InputError } from "../../../src/errors";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { planMigrations } from "../../../src/migrate/verbs/plan";
import { repairHistory } from "../../../src/migrate/verbs/repair";
import { upMigrations } from "../../../src/migrate/verbs/up";
import { freshDatabase, failure } from "../../helpers/database";
import { engineFor, tempFolder, writeFiles } from "../../helpers/project";

describe("repair", () => {
  it("realigns a modified checksum and removes a missing file's record; dry run changes nothing", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({ "0001_a.sql": "CREATE TABLE a (id int);", "0002_b.sql": "CREATE TABLE b (id int);" });
    await upMigrations(engineFor(dir, url));
    writeFiles(dir, { "0001_a.sql": "CREATE TABLE a (id int); -- documented" });
    fs.rmSync(path.join(dir, "0002_b.sql"));

    const preview = await repairHistory(engineFor(dir, url), { dryRun: true });
    expect(preview.map((c) => [c.version, c.action])).toEqual([
      ["0001", "checksum-realigned"],
      ["0002", "removed-missing"],
    ]);
    expect((await planMigrations(engineFor(dir, url))).plan.problems).toHaveLength(2);

    await repairHistory(engineFor(dir, url));
    const { plan } = await planMigrations(engineFor(dir, url));
    expect(plan.problems).toEqual([]);
    expect(plan.entries.map((e) => [e.version, e.status])).toEqual([["0001", "applied"]]);
  });

  it("refuses to forget the whole history when no applied migration has a file (a wrong folder), unless told to", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({ "0001_a.sql": "CREATE TABLE a (id int);", "0002_b.sql": "CREATE TABLE b (id int);" });
    await upMigrations(engineFor(dir, url));
    const wrong = tempFolder({ "0001/migration.sql": "SELECT 1;" });
    const error = await failure(repairHistory({ ...engineFor(wrong, url), layout: "dbpipe" }));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(/^none of the 2 applied migrations in the history has a file in \. \(layout dbpipe\): is --dir or --layout wrong\?/);
    expect((await planMigrations(engineFor(dir, url))).plan.entries.map((e) => e.status)).toEqual(["applied", "applied"]);

    const forgotten = await repairHistory({ ...engineFor(wrong, url), layout: "dbpipe" }, { forgetAll: true });
    expect(forgotten.map((c) => [c.version, c.action])).toEqual([
      ["0001", "removed-missing"],
      ["0002", "removed-missing"],
    ]);
  });
});
