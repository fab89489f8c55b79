import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

/** A partitioned table, its DEFAULT partition and a partitioned index, in an earlier migration. */const EVENTS = "CREATE TABLE events (id int, at date, user_id int) PARTITION BY RANGE (at);\nCREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\nCREATE TABLE events_default PARTITION OF events DEFAULT;\nCREATE INDEX events_at ON events (at);";

describe("create-unique-index", () => {
  it("reports CREATE UNIQUE INDEX on an existing table, concurrently or not", async () => {
    expect(describeFindings(await findingsOf("create-unique-index", "CREATE UNIQUE INDEX CONCURRENTLY customers_email_key ON customers (email);", { noTransaction: true })))
      .toMatchInlineSnapshot(`
        [
          "1:57 medium CREATE UNIQUE INDEX customers_email_key on customers fails if the existing rows hold a duplicate, and leaves an INVALID index behind that must be dropped before a retry.",
        ]
      `);
    expect(await findingsOf("create-unique-index", "CREATE UNIQUE INDEX customers_email_key ON customers (email);")).toHaveLength(1);
  });

  it("does not report a plain index, or a unique index on a new table", async () => {
    expect(await findingsOf("create-unique-index", "CREATE INDEX customers_email_idx ON customers (email);")).toEqual([]);
    expect(await findingsOf("create-unique-index", "CREATE TABLE tags (name text);\nCREATE UNIQUE INDEX tags_name_key ON tags (name);")).toEqual([]);
  });

  it("leaves CREATE UNIQUE INDEX CONCURRENTLY on a partitioned table to rejected-by-postgres, and hints the ON ONLY pattern for a plain one", async () => {
    expect(await findingsOf("create-unique-index", [EVENTS, "CREATE UNIQUE INDEX CONCURRENTLY events_u ON events (id, at);"], { noTransaction: true })).toEqual([]);
    expect(await findingsOf("create-unique-index", [EVENTS, "CREATE UNIQUE INDEX events_u ON ONLY events (id, at);"])).toEqual([]);
    const findings = await findingsOf("create-unique-index", [EVENTS, "CREATE UNIQUE INDEX events_u ON events (id, at);"]);
    expect(findings[0].hint).toContain("CREATE UNIQUE INDEX ... ON ONLY the parent");
    expect(findings[0].hint).not.toContain("build the index CONCURRENTLY");
  });
});
