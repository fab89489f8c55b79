import { describe, expect, it } from "vitest";
import { IntegrityError } from "../../src/migrate/plan";
import { readHistory } from "../../src/migrate/history";
import { unadoptedHistory } from "../../src/migrate/unadopted-history";
import { planMigrations } from "../../src/migrate/verbs/plan";
import { upMigrations } from "../../src/migrate/verbs/up";
import { deploy } from "../../src/pipeline/deploy";
import { planWithRisk } from "../../src/pipeline/plan";
import { failure, freshDatabase, publicTables, withClient } from "../helpers/database";
import { engineFor, settingsFor, tempFolder, writeFiles } from "../helpers/project";

/**
 * The engine on a database another tool migrated and dbpipe has no history of: `up` refuses before
 * anything runs, `plan` has the refusal as a problem without a version, and `ignoreOtherHistory`
 * lets both go on. Drizzle's table, in its own schema, as drizzle-orm creates it.
 */

const DRIZZLE = `CREATE SCHEMA drizzle; CREATE TABLE drizzle.__drizzle_migrations (id serial PRIMARY KEY, hash text NOT NULL, created_at bigint)`;
const FILES = { "0001_a.sql": "CREATE TABLE a (id int);\n" };

describe("another tool's history, not adopted", () => {
  it("up refuses with an IntegrityError before anything is written; the plan has it as its one problem", async () => {
    const url = await freshDatabase("unadopted");
    await withClient(url, (c) => c.query(DRIZZLE));
    const dir = tempFolder(FILES);
    const error = await failure(upMigrations(engineFor(dir, url)));
    expect(error).toBeInstanceOf(IntegrityError);
    expect(error.message).toMatch(/^this database has Drizzle's migration history \(drizzle\.__drizzle_migrations\) but no dbpipe history .*\nNothing was applied\.$/s);
    expect(await publicTables(url)).toEqual([]);
    expect(await withClient(url, async (c) => (await c.query("SELECT to_regnamespace('dbpipe') IS NULL AS absent")).rows[0].absent)).toBe(true);

    const { plan } = await planMigrations(engineFor(dir, url));
    expect(plan.pending.map((m) => m.version)).toEqual(["0001"]);
    expect(plan.problems).toHaveLength(1);
    expect(plan.problems[0]).not.toHaveProperty("version");
    expect(plan.problems[0].message).toContain("run `dbpipe adopt`");

    // The deploy every front end calls, and the plan with its risk, the same.
    expect((await failure(deploy({ settings: settingsFor(), migrationsDir: dir, databaseUrl: url, displayBase: dir }))).message).toBe(error.message);
    expect((await planWithRisk(engineFor(dir, url))).report.problems).toEqual(plan.problems);
  });

  it("ignoreOtherHistory plans and applies every migration; with dbpipe's history, the other table is not looked for", async () => {
    const url = await freshDatabase("unadopted");
    await withClient(url, (c) => c.query(DRIZZLE));
    const dir = tempFolder(FILES);
    const options = { ...engineFor(dir, url), ignoreOtherHistory: true };
    expect((await planMigrations(options)).plan.problems).toEqual([]);
    expect((await upMigrations(options)).applied.map((a) => a.version)).toEqual(["0001"]);

    await withClient(url, async (c) => expect(await unadoptedHistory(c, await readHistory(c))).toEqual([]));
    writeFiles(dir, { "0002_b.sql": "CREATE TABLE b (id int);\n" });
    expect((await upMigrations(engineFor(dir, url))).applied.map((a) => a.version)).toEqual(["0002"]);
  });

  it("is no problem when nothing is pending; ignoring it skips the look", async () => {
    const url = await freshDatabase("unadopted");
    await withClient(url, (c) => c.query(DRIZZLE));
    const empty = tempFolder({});
    expect((await planMigrations(engineFor(empty, url))).plan.problems).toEqual([]);
    expect((await upMigrations(engineFor(empty, url))).applied).toEqual([]);
    await withClient(url, async (c) => {
      expect(await unadoptedHistory(c, [])).toEqual([{ tool: "drizzle", schema: "drizzle", table: "__drizzle_migrations", qualified: "drizzle.__drizzle_migrations" }]);
      expect(await unadoptedHistory(c, [], true)).toEqual([]);
    });
  });
});
