import { beforeAll, describe, expect, it } from "vitest";
import { lintMigrations } from "../../src/sql/lint";
import { estimatedRows, tableRowsLookup } from "../../src/sql/table-sizes";
import { freshDatabase, withClient } from "../helpers/database";
import { migration } from "../helpers/migrations";

let url: string;

beforeAll(async () => {
  url = await freshDatabase("sizes");
  await withClient(url, async (client) => {
    await client.query(`
      CREATE TABLE orders (id bigint, customer_id bigint, status text);
      INSERT INTO orders SELECT g, g % 100, 'new' FROM generate_series(1, 5000) g;
      CREATE SCHEMA billing;
      CREATE TABLE billing."Invoice" (id bigint);
      INSERT INTO billing."Invoice" SELECT generate_series(1, 300);
      CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);
      CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
      CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
      INSERT INTO events SELECT g, DATE '2024-06-01' + (g % 400) FROM generate_series(1, 2000) g;
      CREATE TABLE never_analyzed (id int);
      ANALYZE orders; ANALYZE billing."Invoice"; ANALYZE events_2024; ANALYZE events_2025;
    `);
  });
});

describe("estimatedRows", () => {
  it("reads PostgreSQL's estimates, resolving names as SQL writes them", async () => {
    const sizes = await withClient(url, (client) => estimatedRows(client, ["orders", 'billing."Invoice"', "events", "never_analyzed", "not_there"]));
    expect(Object.fromEntries(sizes)).toEqual({ orders: 5000, 'billing."Invoice"': 300, events: 2000 });
  });
});

describe("the data-aware pass", () => {
  it("makes a lock-taking finding on a table above largeTableRows high, and says how big the table is", async () => {
    const m = migration("CREATE INDEX orders_status ON orders (status);\nALTER TABLE orders DROP COLUMN customer_id;");
    const [linted] = await withClient(url, (client) => lintMigrations([m], { tableRows: tableRowsLookup(client), largeTableRows: 1000 }));
    const index = linted.findings.find((f) => f.rule === "create-index-without-concurrently");
    expect(index).toMatchObject({ severity: "high", tableRows: 5000, table: "orders" });
    expect(index?.message).toMatchInlineSnapshot(`"CREATE INDEX orders_status on orders without CONCURRENTLY blocks writes to the table for the whole build. orders has about 5,000 rows (more than dbpipe:largeTableRows, 1,000), so this is high risk."`);
    // Dropping a column is not slower on a big table: it stays medium.
    expect(linted.findings.find((f) => f.rule === "drop-column")?.severity).toBe("medium");
    expect(linted.risk).toBe("high");
  });

  it("leaves findings on tables below the threshold as they were, with their size", async () => {
    const m = migration("CREATE INDEX orders_status ON orders (status);");
    const [linted] = await withClient(url, (client) => lintMigrations([m], { tableRows: tableRowsLookup(client) }));
    expect(linted.findings[0]).toMatchObject({ severity: "medium", tableRows: 5000 });
    expect(linted.findings[0].message).not.toContain("rows");
    expect(linted.risk).toBe("medium");
  });
});
