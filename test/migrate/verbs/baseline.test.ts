import { describe, expect, it } from "vitest";
import { baselineMigrations } from "../../../src/migrate/verbs/baseline";
import { upMigrations } from "../../../src/migrate/verbs/up";
import { freshDatabase, withClient, failure } from "../../helpers/database";
import { engineFor, tempFolder } from "../../helpers/project";
import { CRM, historyRows } from "./fixtures";

describe("baseline", () => {
  it("records migrations up to a version without running them; up applies the rest", async () => {
    const url = await freshDatabase();
    await withClient(url, (c) => c.query("CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL UNIQUE)"));
    const dir = tempFolder(CRM);
    const result = await baselineMigrations(engineFor(dir, url), "0001");
    expect(result.recorded).toEqual([{ version: "0001", name: "customers" }]);
    expect((await historyRows(url)).map((r) => [r.version, r.kind, r.execution_ms])).toEqual([["0001", "baseline", 0]]);
    const up = await upMigrations(engineFor(dir, url));
    expect(up.applied.map((a) => a.version)).toEqual(["0002", "0003"]);
  });

  it("refuses an unknown version and a database that already has history", async () => {
    const url = await freshDatabase();
    const dir = tempFolder(CRM);
    expect((await failure(baselineMigrations(engineFor(dir, url), "0009"))).message).toBe("--version 0009: no migration has this version; versions here are 0001, 0002, 0003");
    await upMigrations(engineFor(dir, url));
    expect((await failure(baselineMigrations(engineFor(dir, url), "0002"))).message).toContain("the history already records 3 migration(s)");
  });
});
