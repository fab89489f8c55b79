import { describe, expect, it } from "vitest";
import { upMigrations } from "../../src/migrate/verbs/up";
import { loadMigrations } from "../../src/migrate/files";
import { assess } from "../../src/pipeline/assess";
import { freshDatabase, withClient } from "../helpers/database";
import { engineFor, settingsFor, tempFolder } from "../helpers/project";

const HISTORY = {
  "0001_items.sql": "CREATE TABLE items (id int, sku text);",
  "0002_index_id.sql": "CREATE INDEX items_id ON items (id);",
  "0003_drop_items.sql": "DROP TABLE items;",
};

describe("assess", () => {
  it("judges a checkout without a database, as the policy pack does: prod refuses the DROP TABLE, dev lets it run", async () => {
    const dir = tempFolder(HISTORY);
    const prod = await assess({ settings: settingsFor("prod"), paths: [dir] });
    expect(prod.linted.map((m) => [m.version, m.risk])).toEqual([
      ["0001", "low"],
      ["0002", "medium"],
      ["0003", "high"],
    ]);
    expect(prod.verdict.allowed).toBe(false);
    expect(prod.verdict.blocked.map((b) => [b.version, b.rules])).toEqual([["0003", ["drop-table"]]]);
    const dev = await assess({ settings: settingsFor("dev"), paths: [dir] });
    expect(dev.verdict.allowed).toBe(true);
  });

  it("lints with the stack's statementTimeout: a tier that sets none gets missing-statement-timeout, one that sets it does not", async () => {
    const dir = tempFolder(HISTORY);
    const rulesOf = async (settings: ReturnType<typeof settingsFor>) =>
      (await assess({ settings, paths: [dir] })).linted.map((m) => [m.version, m.findings.filter((f) => f.rule === "missing-statement-timeout").map((f) => f.severity)]);
    expect(await rulesOf(settingsFor("dev"))).toEqual([
      ["0001", []],
      ["0002", ["low"]],
      ["0003", []],
    ]);
    expect(await rulesOf(settingsFor("dev", { statementTimeout: "10min" }))).toEqual([
      ["0001", []],
      ["0002", []],
      ["0003", []],
    ]);
    expect((await rulesOf(settingsFor("prod"))).flatMap(([, found]) => found)).toEqual([]);
  });

  it("refuses a plan with a file that does not parse, before anything runs; lint's assessment keeps the others", async () => {
    const dir = tempFolder({ ...HISTORY, "0002_index_id.sql": "CREATE INDEKS items_id ON items (id);" });
    await expect(assess({ settings: settingsFor("dev"), paths: [dir] })).rejects.toThrow(/0002_index_id\.sql:1:8: syntax error at or near "INDEKS"\n/);
    const kept = await assess({ settings: settingsFor("prod"), paths: [dir], keepParseErrors: true });
    expect(kept.linted.map((m) => [m.version, m.parseError?.line ?? null, m.risk])).toEqual([
      ["0001", null, "low"],
      ["0002", 1, "low"],
      ["0003", null, "high"],
    ]);
  });

  it("checking only (up where risk cannot matter) runs no rule but refuses what lint refuses: SQL that does not parse, a bad dbpipe:allow", async () => {
    const dir = tempFolder(HISTORY);
    const checked = await assess({ settings: settingsFor("prod"), paths: [dir], checkOnly: true });
    expect(checked.linted.map((m) => [m.version, m.risk, m.findings.length, m.statements])).toEqual([
      ["0001", "low", 0, 1],
      ["0002", "low", 0, 1],
      ["0003", "low", 0, 1],
    ]);
    const badSql = tempFolder({ ...HISTORY, "0002_index_id.sql": "CREATE INDEKS items_id ON items (id);" });
    await expect(assess({ settings: settingsFor("dev"), paths: [badSql], checkOnly: true })).rejects.toThrow(/0002_index_id\.sql:1:8: syntax error at or near "INDEKS"\n/);
    const badDown = tempFolder({ ...HISTORY, "0003_drop_items.sql": "DROP TABLE items;\n-- dbpipe:down\nCREATE TABEL items (id int);\n" });
    await expect(assess({ settings: settingsFor("dev"), paths: [badDown], checkOnly: true })).rejects.toThrow(/0003_drop_items\.sql:3:8: syntax error/);
    const noReason = tempFolder({ ...HISTORY, "0003_drop_items.sql": "-- dbpipe:allow drop-table\nDROP TABLE items;" });
    await expect(assess({ settings: settingsFor("dev"), paths: [noReason], checkOnly: true })).rejects.toThrow(/0003_drop_items\.sql:1:1: dbpipe:allow drop-table needs a reason/);
    const unknownRule = tempFolder({ ...HISTORY, "0003_drop_items.sql": "DROP TABLE items; -- dbpipe:allow drop-tabel reviewed" });
    await expect(assess({ settings: settingsFor("dev"), paths: [unknownRule], checkOnly: true })).rejects.toThrow(/unknown rule "drop-tabel" \(did you mean drop-table\?\)/);
    const dangling = tempFolder({ ...HISTORY, "0003_drop_items.sql": "DROP TABLE items;\n-- dbpipe:allow drop-table reviewed\n" });
    await expect(assess({ settings: settingsFor("dev"), paths: [dangling], checkOnly: true })).rejects.toThrow(/dbpipe:allow is not followed by a statement/);
  });

  it("judges only the pending versions, and sizes only their tables", async () => {
    const url = await freshDatabase();
    const dir = tempFolder({ "0001_items.sql": HISTORY["0001_items.sql"] });
    await upMigrations(engineFor(dir, url));
    await withClient(url, (c) => c.query("INSERT INTO items SELECT i, 'sku' || i FROM generate_series(1, 500) i; ANALYZE items"));
    const settings = settingsFor("test", { largeTableRows: 100, requireApprovalAt: "high" });
    const files = tempFolder({ "0001_items.sql": HISTORY["0001_items.sql"], "0002_index_id.sql": HISTORY["0002_index_id.sql"], "0003_index_sku.sql": "CREATE INDEX items_sku ON items (sku);" });
    const { migrations } = loadMigrations(files, { layout: "dbpipe" });
    const result = await withClient(url, (client) => assess({ settings, migrations, pending: ["0003"], client }));
    // 0002 (as if applied long ago) keeps its offline severity; 0003 is about to run on a big table.
    expect(result.linted.map((m) => [m.version, m.risk])).toEqual([
      ["0001", "low"],
      ["0002", "medium"],
      ["0003", "high"],
    ]);
    expect(result.judged.map((m) => m.version)).toEqual(["0003"]);
    expect(result.linted[2].findings[0]).toMatchObject({ rule: "create-index-without-concurrently", tableRows: 500 });
    expect(result.verdict.blocked.map((b) => b.version)).toEqual(["0003"]);
  });

  it("with a database URL and no pending list, sizes the migrations the database has not applied", async () => {
    const url = await freshDatabase();
    const applied = tempFolder({ "0001_items.sql": HISTORY["0001_items.sql"], "0002_index_id.sql": HISTORY["0002_index_id.sql"] });
    await upMigrations(engineFor(applied, url));
    await withClient(url, (c) => c.query("INSERT INTO items SELECT i, 'sku' || i FROM generate_series(1, 500) i; ANALYZE items"));
    const files = tempFolder({ "0001_items.sql": HISTORY["0001_items.sql"], "0002_index_id.sql": HISTORY["0002_index_id.sql"], "0003_index_sku.sql": "CREATE INDEX items_sku ON items (sku);" });
    const result = await assess({ settings: settingsFor("dev", { largeTableRows: 100 }), paths: [files], databaseUrl: url });
    expect(result.linted.map((m) => [m.version, m.risk])).toEqual([
      ["0001", "low"],
      ["0002", "medium"],
      ["0003", "high"],
    ]);
    expect(result.judged).toHaveLength(3);
  });
});
