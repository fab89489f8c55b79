import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

/** A partitioned table, its DEFAULT partition and a partitioned index, in an earlier migration. */const EVENTS = "CREATE TABLE events (id int, at date, user_id int) PARTITION BY RANGE (at);\nCREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\nCREATE TABLE events_default PARTITION OF events DEFAULT;\nCREATE INDEX events_at ON events (at);";

describe("create-index-without-concurrently", () => {
  it("reports CREATE INDEX without CONCURRENTLY on an existing table, at the table name", async () => {
    const sql = "CREATE INDEX orders_customer_id ON orders (customer_id);\nCREATE UNIQUE INDEX ON customers (lower(email));";
    expect(describeFindings(await findingsOf("create-index-without-concurrently", sql))).toMatchInlineSnapshot(`
      [
        "1:36 medium CREATE INDEX orders_customer_id on orders without CONCURRENTLY blocks writes to the table for the whole build.",
        "2:24 medium CREATE UNIQUE INDEX on customers without CONCURRENTLY blocks writes to the table for the whole build.",
      ]
    `);
  });

  it("does not report CREATE INDEX CONCURRENTLY", async () => {
    expect(await findingsOf("create-index-without-concurrently", "CREATE INDEX CONCURRENTLY orders_customer_id ON orders (customer_id);", { noTransaction: true })).toEqual([]);
  });

  it("does not report an index on a table created earlier in the same migration", async () => {
    expect(await findingsOf("create-index-without-concurrently", "CREATE TABLE invoices (id bigint, customer_id bigint);\nCREATE INDEX invoices_customer_id ON invoices (customer_id);")).toEqual([]);
  });

  it("on a partitioned table, says every partition is blocked and hints the ON ONLY pattern instead of CONCURRENTLY", async () => {
    const findings = await findingsOf("create-index-without-concurrently", [EVENTS, "CREATE INDEX events_id ON events (id);"]);
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "1:27 medium CREATE INDEX events_id on events without CONCURRENTLY blocks writes to the table and every one of its partitions for the whole build.",
      ]
    `);
    expect(findings[0].hint).toMatch(/^PostgreSQL cannot build an index on a partitioned table CONCURRENTLY; build it in parts: CREATE INDEX events_id ON ONLY events/);
  });

  it("does not report CREATE INDEX ON ONLY a partitioned table, which builds nothing", async () => {
    expect(await findingsOf("create-index-without-concurrently", [EVENTS, "CREATE INDEX events_id ON ONLY events (id);"])).toEqual([]);
  });
});
