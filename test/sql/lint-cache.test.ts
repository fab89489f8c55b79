import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { Migration } from "../../src/migration";
import { LintCache } from "../../src/sql/lint-cache";
import { type LintedMigration, lintMigrations } from "../../src/sql/lint";
import { migration } from "../helpers/migrations";
import { tempFolder } from "../helpers/project";

/** Three migrations with findings of the same rules (so hints repeat) and a schema that carries over. */
function history(): Migration[] {
  return [
    migration("CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\nCREATE TABLE items (id bigint PRIMARY KEY, sku text);", { version: "0001", name: "tables" }),
    migration("CREATE INDEX orders_total ON orders (total);\nCREATE INDEX items_sku ON items (sku);\nALTER TABLE orders ALTER COLUMN total TYPE text;", { version: "0002", name: "indexes" }),
    migration("CREATE INDEX orders_id ON orders (id);\nDROP TABLE items;\nUPDATE orders SET total = '0';", { version: "0003", name: "more" }),
  ];
}

/** The same results, and findings with their keys in the same order (the JSON report's order). */
function expectSame(actual: readonly LintedMigration[], expected: readonly LintedMigration[]): void {
  expect(actual).toEqual(expected);
  expect(JSON.stringify(actual.map((m) => m.findings))).toBe(JSON.stringify(expected.map((m) => m.findings)));
}

describe("the lint cache", () => {
  it("gives back exactly what a fresh lint gives, key order included, and writes each hint once", async () => {
    const file = path.join(tempFolder(), ".dbpipe/cache/lint.json");
    const fresh = await lintMigrations(history());
    const first = LintCache.open(file);
    expectSame(await first.lint(history(), {}, lintMigrations), fresh);
    first.save();

    let linted = 0;
    const counting = (ms: readonly Migration[], options: object) => ((linted += ms.length), lintMigrations(ms, options));
    const reused = await LintCache.open(file).lint(history(), {}, counting);
    expect(linted).toBe(0);
    expectSame(reused, fresh);

    const hint = fresh[1].findings.find((f) => f.rule === "create-index-without-concurrently")!.hint;
    expect(fresh.flatMap((m) => m.findings).filter((f) => f.hint === hint).length).toBeGreaterThan(2);
    expect(fs.readFileSync(file, "utf8").split(JSON.stringify(hint).slice(1, -1)).length - 1).toBe(1);
  });

  it("lints afresh from the first changed migration on, with the earlier ones' schema as history", async () => {
    const file = path.join(tempFolder(), "lint.json");
    const cache = LintCache.open(file);
    await cache.lint(history(), {}, lintMigrations);
    cache.save();

    const changed = history();
    // A type change, whose finding depends on the column type the cached first migration recorded.
    changed[1] = migration("CREATE INDEX orders_total ON orders (total);\nALTER TABLE items ALTER COLUMN sku TYPE varchar(10);", { version: "0002", name: "indexes" });
    let linted: string[] = [];
    const counting = (ms: readonly Migration[], options: object) => ((linted = ms.map((m) => m.version)), lintMigrations(ms, options));
    const again = LintCache.open(file);
    expectSame(await again.lint(changed, {}, counting), await lintMigrations(changed));
    expect(linted).toEqual(["0002", "0003"]);
    expect((await lintMigrations(changed))[1].findings.find((f) => f.rule === "change-column-type")?.message).toContain("text");
    again.save();
    expectSame(await LintCache.open(file).lint(changed, {}, lintMigrations), await lintMigrations(changed));
  });

  it("writes each distinct column type once and gives every column its own type back", async () => {
    const file = path.join(tempFolder(), "lint.json");
    const typed = (last: string): Migration[] => [
      migration("CREATE TABLE a (v10 varchar(10), v20 varchar(20), t text, ts text[], n numeric(10,2), c public.citext, u uuid);", { version: "0001", name: "a" }),
      migration("CREATE TABLE b (v10 varchar(10), v20 varchar(20), t text, ts text[], n numeric(10,2), c public.citext, u uuid);\nALTER TABLE a ADD COLUMN w varchar(10);", { version: "0002", name: "b" }),
      migration(last, { version: "0003", name: "change" }),
    ];
    const cache = LintCache.open(file);
    await cache.lint(typed("SELECT 1;"), {}, lintMigrations);
    cache.save();
    const types = (JSON.parse(fs.readFileSync(file, "utf8")) as { types: { display: string }[] }).types.map((t) => t.display);
    expect(types).toEqual(["varchar(10)", "varchar(20)", "text", "text[]", "numeric(10,2)", "public.citext", "uuid"]);

    // Linted afresh on the cached history: each column's type as the first run recorded it.
    const changes = ["v10", "v20", "t", "ts", "n", "c", "u", "w"].map((c) => `ALTER TABLE a ALTER COLUMN ${c} TYPE varchar(15);`).join("\n");
    const reused = await LintCache.open(file).lint(typed(changes), {}, lintMigrations);
    const fresh = await lintMigrations(typed(changes));
    expectSame(reused, fresh);
    expect(fresh[2].findings.filter((f) => f.rule === "change-column-type").length).toBeGreaterThan(0);
  });
});
