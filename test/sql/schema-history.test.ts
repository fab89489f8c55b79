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

  it("knows which tables are partitioned, their DEFAULT partitions, and the indexes on them", () => {
    const history = new SchemaHistory();
    history.apply(
      eventsOf(
        [
          "CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);",
          "CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
          "CREATE TABLE events_default PARTITION OF events DEFAULT;",
          "CREATE INDEX events_at ON events (at);",
          "CREATE INDEX events_2025_id ON events_2025 (id);",
          "ALTER TABLE logs ATTACH PARTITION logs_rest DEFAULT;",
        ].join("\n"),
      ),
    );
    expect(history.isPartitioned("public.events")).toBe(true);
    expect(history.isPartitioned("public.events_2025")).toBe(false);
    expect(history.isPartitioned("public.logs")).toBe(true);
    expect(history.isPartitioned("public.unknown")).toBe(false);
    expect(history.defaultPartitionOf("public.events")).toBe("public.events_default");
    expect(history.defaultPartitionOf("public.logs")).toBe("public.logs_rest");
    expect(history.isPartitionedIndex("public.events_at")).toBe(true);
    expect(history.isPartitionedIndex("public.events_2025_id")).toBe(false);

    history.apply(eventsOf("ALTER TABLE events_default RENAME TO events_rest;\nALTER INDEX events_at RENAME TO events_on_at;\nALTER TABLE logs DETACH PARTITION logs_rest;"));
    expect(history.defaultPartitionOf("public.events")).toBe("public.events_rest");
    expect(history.isPartitionedIndex("public.events_on_at")).toBe(true);
    expect(history.defaultPartitionOf("public.logs")).toBeUndefined();

    history.apply(eventsOf("ALTER TABLE events RENAME TO old_events;\nDROP TABLE events_rest;"));
    expect(history.isPartitioned("public.old_events")).toBe(true);
    expect(history.defaultPartitionOf("public.old_events")).toBeUndefined();

    history.apply(eventsOf("DROP TABLE old_events;\nCREATE TABLE old_events (id int);\nCREATE INDEX events_on_at ON old_events (id);"));
    expect(history.isPartitioned("public.old_events")).toBe(false);
    expect(history.isPartitionedIndex("public.events_on_at")).toBe(false);
  });

  it("drops a partitioned table's DEFAULT partition with it", () => {
    const history = new SchemaHistory();
    history.apply(eventsOf("CREATE TABLE e (at date) PARTITION BY RANGE (at);\nCREATE TABLE e_rest PARTITION OF e DEFAULT;\nDROP TABLE e;\nCREATE TABLE e (at date) PARTITION BY RANGE (at);"));
    expect(history.defaultPartitionOf("public.e")).toBeUndefined();
  });

  it("learns nothing about partitioning from a CREATE TABLE IF NOT EXISTS of a table that may exist", () => {
    const history = new SchemaHistory();
    history.apply(eventsOf("CREATE TABLE IF NOT EXISTS events (at date) PARTITION BY RANGE (at);"));
    expect(history.isPartitioned("public.events")).toBe(false);
  });

  it("knows which domains have CHECK or NOT NULL constraints, their own or their base domain's", () => {
    const history = new SchemaHistory();
    history.apply(
      eventsOf(
        [
          "CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);",
          "CREATE DOMAIN required AS text NOT NULL;",
          "CREATE DOMAIN plain AS int;",
          "CREATE DOMAIN small_positive AS positive_int;",
          "CREATE DOMAIN positives AS positive_int[];",
          "CREATE DOMAIN twice AS int CHECK (VALUE > 0) CHECK (VALUE < 10);",
          "ALTER DOMAIN twice DROP CONSTRAINT twice_check;",
          "CREATE DOMAIN dropped AS int CONSTRAINT dropped_positive CHECK (VALUE > 0);",
          "ALTER DOMAIN dropped DROP CONSTRAINT dropped_positive;",
          "ALTER DOMAIN plain SET NOT NULL;",
          "ALTER DOMAIN required DROP NOT NULL;",
          "CREATE DOMAIN renamed AS int CHECK (VALUE > 0);",
          "ALTER DOMAIN renamed RENAME TO new_name;",
          "CREATE DOMAIN gone AS int CHECK (VALUE > 0);",
          "DROP DOMAIN gone;",
          "ALTER DOMAIN elsewhere ADD CONSTRAINT elsewhere_positive CHECK (VALUE > 0);",
        ].join("\n"),
      ),
    );
    const constrained = ["positive_int", "required", "plain", "small_positive", "positives", "twice", "dropped", "renamed", "new_name", "gone", "elsewhere", "unknown"].filter((d) =>
      history.isConstrainedDomain(`public.${d}`),
    );
    expect(constrained).toEqual(["positive_int", "plain", "small_positive", "twice", "new_name", "elsewhere"]);
  });
  it("counts sequences as tables: CREATE, DROP and RENAME of one, and the sequence a serial or identity column gets", () => {
    expect(eventsOf("CREATE SEQUENCE app.invoice_no;\nCREATE SEQUENCE IF NOT EXISTS s;\nALTER SEQUENCE s RENAME TO s2;\nDROP SEQUENCE s2, app.invoice_no;")).toEqual([
      { event: "create-table", table: "app.invoice_no", columns: undefined },
      { event: "create-table", table: "public.s", columns: undefined, ifNotExists: true },
      { event: "rename-table", table: "public.s", to: "public.s2" },
      { event: "drop-table", table: "public.s2" },
      { event: "drop-table", table: "app.invoice_no" },
    ]);
    const sequences = (sql: string) => eventsOf(sql).filter((e) => e.event === "create-table" && e.columns === undefined).map((e) => (e as { table: string }).table);
    expect(sequences("CREATE TABLE app.orders (id bigserial, n int GENERATED ALWAYS AS IDENTITY, m int GENERATED BY DEFAULT AS IDENTITY (SEQUENCE NAME m_seq), note text);")).toEqual([
      "app.orders_id_seq",
      "app.orders_n_seq",
      "app.m_seq",
    ]);
    // Past 63 bytes PostgreSQL shortens the name its own way: no guess.
    expect(sequences(`CREATE TABLE ${"t".repeat(40)} (${"c".repeat(20)} serial);`)).toEqual([]);
    expect(creates("CREATE SEQUENCE s;\nDROP SEQUENCE s;\nCREATE TABLE IF NOT EXISTS s (id int);")).toEqual([true, true]);
  });

  it("knows a view's columns from its CREATE VIEW, through JSON (as events cross threads), renames and replacements", () => {
    const history = new SchemaHistory();
    const columns = (sql: string, view = "public.v") => {
      history.apply(JSON.parse(JSON.stringify(eventsOf(sql))) as SchemaEvent[]);
      return history.viewColumns(view);
    };
    expect(columns("CREATE VIEW v AS SELECT a, current_user, b FROM t;")).toEqual({ names: ["a", null, "b"] });
    expect(columns("ALTER VIEW v RENAME COLUMN b TO c;")).toEqual({ names: ["a", null, "c"] });
    expect(columns("CREATE OR REPLACE VIEW v AS SELECT a, current_user, c, d, * FROM t;")).toEqual({ names: ["a", null, "c", "d"], more: true });
    expect(columns("ALTER TABLE v RENAME TO w;", "public.w")).toEqual({ names: ["a", null, "c", "d"], more: true });
    expect(history.viewColumns("public.v")).toBeUndefined();
    expect(columns("CREATE OR REPLACE VIEW w AS SELECT * FROM t;", "public.w")).toBeUndefined();
    expect(columns("CREATE VIEW x AS SELECT 1 AS one;\nCREATE TEMP VIEW x AS SELECT 2 AS two;", "public.x")).toBeUndefined();
  });

  it("forgets the columns of views a statement may drop, move or redefine without naming them", () => {
    const after = (sql: string) => {
      const history = new SchemaHistory();
      history.apply(eventsOf(`CREATE VIEW v AS SELECT a FROM t;\nCREATE VIEW app.w AS SELECT b FROM t;\n${sql}`));
      return [history.viewColumns("public.v") !== undefined, history.viewColumns("app.w") !== undefined];
    };
    expect(after("DROP TABLE t;")).toEqual([true, true]);
    expect(after("DROP TABLE t CASCADE;")).toEqual([false, false]);
    expect(after("DROP FUNCTION f CASCADE;")).toEqual([false, false]);
    expect(after("ALTER TABLE t DROP COLUMN a CASCADE;")).toEqual([false, false]);
    expect(after("ALTER TYPE pair DROP ATTRIBUTE x CASCADE;")).toEqual([false, false]);
    expect(after("DROP OWNED BY someone;")).toEqual([false, false]);
    expect(after("DO $$ BEGIN END $$;")).toEqual([false, false]);
    expect(after("CALL tidy();")).toEqual([false, false]);
    expect(after("ALTER SCHEMA app RENAME TO old;")).toEqual([false, false]);
    expect(after("ALTER VIEW v SET SCHEMA app;")).toEqual([false, true]);
    expect(after("ALTER INDEX app.w RENAME TO w2;")).toEqual([true, false]);
    expect(after("DROP VIEW app.w;")).toEqual([true, false]);
  });
});
