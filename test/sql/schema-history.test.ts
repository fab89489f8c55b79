import { beforeAll, describe, expect, it } from "vitest";
import { loadParser, parseSection } from "../../src/sql/parse";
import { type SchemaEvent, SchemaHistory, schemaEvents } from "../../src/sql/schema-history";

/** The events of `sql`, statement by statement. */
function eventsOf(sql: string): SchemaEvent[] {
  return parseSection({ text: sql, line: 1 }, "test.sql").flatMap((s) => schemaEvents(s.node));
}

/** For each CREATE in `sql`, whether it creates something new given what came before it. */
function creates(sql: string, history = new SchemaHistory()): boolean[] {
  const out: boolean[] = [];
  for (const e of eventsOf(sql)) {
    if (e.event === "create-table" || e.event === "create-index") out.push(history.creates(e));
    history.apply([e]);
  }
  return out;
}

describe("the schema history", () => {
  beforeAll(loadParser);

  it("counts a plain CREATE as new, and IF NOT EXISTS as new only for what it knows is gone", () => {
    expect(creates("CREATE TABLE a (id int);")).toEqual([true]);
    expect(creates("CREATE TABLE IF NOT EXISTS a (id int);")).toEqual([false]);
    expect(creates("CREATE TABLE a (id int);\nCREATE TABLE IF NOT EXISTS a (id int);")).toEqual([true, false]);
    expect(creates("DROP TABLE a;\nCREATE TABLE IF NOT EXISTS a (id int);")).toEqual([true]);
    expect(creates("ALTER TABLE a RENAME TO b;\nCREATE TABLE IF NOT EXISTS a (id int);\nCREATE TABLE IF NOT EXISTS b (id int);")).toEqual([true, false]);
  });

  it("knows an index is gone when it, or its table, was dropped", () => {
    expect(creates("CREATE INDEX IF NOT EXISTS i ON t (a);")).toEqual([false]);
    expect(creates("DROP INDEX i;\nCREATE INDEX IF NOT EXISTS i ON t (a);")).toEqual([true]);
    expect(creates("CREATE INDEX i ON t (a);\nDROP TABLE t;\nCREATE INDEX IF NOT EXISTS i ON t2 (a);")).toEqual([true, true]);
    expect(creates("CREATE INDEX i ON t (a);\nALTER INDEX i RENAME TO j;\nCREATE INDEX IF NOT EXISTS i ON t (a);\nCREATE INDEX IF NOT EXISTS j ON t (a);")).toEqual([true, true, false]);
  });

  it("follows an index through renames of it and of its table, and drops it with the table it is on then", () => {
    // The index moves with its table: dropping the old name leaves it, dropping the new one takes it.
    expect(creates("CREATE INDEX i ON t (a);\nALTER TABLE t RENAME TO u;\nDROP TABLE t;\nCREATE INDEX IF NOT EXISTS i ON u (a);")).toEqual([true, false]);
    expect(creates("CREATE INDEX i ON t (a);\nALTER TABLE t RENAME TO u;\nDROP TABLE u;\nCREATE INDEX IF NOT EXISTS i ON v (a);")).toEqual([true, true]);
    // A renamed index stays on its table; an index made again on another table leaves the first one's table.
    expect(creates("CREATE INDEX i ON t (a);\nALTER INDEX i RENAME TO j;\nDROP TABLE t;\nCREATE INDEX IF NOT EXISTS j ON t (a);")).toEqual([true, true]);
    expect(creates("CREATE INDEX i ON t (a);\nDROP INDEX i;\nCREATE INDEX i ON u (a);\nDROP TABLE t;\nCREATE INDEX IF NOT EXISTS i ON u (a);")).toEqual([true, true, false]);
    // Only the dropped table's indexes go.
    expect(creates("CREATE INDEX i ON t (a);\nCREATE INDEX k ON u (a);\nDROP TABLE t;\nCREATE INDEX IF NOT EXISTS i ON t (a);\nCREATE INDEX IF NOT EXISTS k ON u (a);")).toEqual([true, true, true, false]);
  });

  it("keeps the columns of a table that a later CREATE TABLE IF NOT EXISTS leaves alone", () => {
    const history = new SchemaHistory();
    history.apply(eventsOf("CREATE TABLE products (sku char(10) NOT NULL);\nCREATE TABLE IF NOT EXISTS products (sku text);"));
    expect(history.column("public.products", "sku")).toMatchObject({ type: { name: "bpchar" }, notNull: true });
  });

  it("learns no columns or checks from a CREATE TABLE IF NOT EXISTS of a table it has not seen", () => {
    const history = new SchemaHistory();
    history.apply(eventsOf("CREATE TABLE IF NOT EXISTS products (sku text, CHECK (sku IS NOT NULL));"));
    expect(history.column("public.products", "sku")).toBeUndefined();
    expect(history.hasValidatedNotNullCheck("public.products", "sku")).toBe(false);
  });

  it("names an unnamed check after its first column, as PostgreSQL does", () => {
    expect(eventsOf("ALTER TABLE orders ADD CHECK (total > 0 AND qty > 0) NOT VALID;")).toEqual([{ event: "add-check", table: "public.orders", name: "orders_total_check", notNullColumn: undefined, columns: ["total", "qty"], validated: false }]);
  });
});
