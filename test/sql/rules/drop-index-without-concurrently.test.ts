import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

/** A partitioned table, its DEFAULT partition and a partitioned index, in an earlier migration. */const EVENTS = "CREATE TABLE events (id int, at date, user_id int) PARTITION BY RANGE (at);\nCREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\nCREATE TABLE events_default PARTITION OF events DEFAULT;\nCREATE INDEX events_at ON events (at);";

describe("drop-index-without-concurrently", () => {
  it("reports DROP INDEX without CONCURRENTLY", async () => {
    expect(describeFindings(await findingsOf("drop-index-without-concurrently", "DROP INDEX IF EXISTS orders_status_idx;"))).toMatchInlineSnapshot(`
      [
        "1:1 medium DROP INDEX orders_status_idx without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table, blocking reads and writes while it waits and runs.",
      ]
    `);
  });

  it("does not report DROP INDEX CONCURRENTLY", async () => {
    expect(await findingsOf("drop-index-without-concurrently", "DROP INDEX CONCURRENTLY orders_status_idx;", { noTransaction: true })).toEqual([]);
  });

  it("does not report an index created on a new table earlier in the same migration", async () => {
    expect(await findingsOf("drop-index-without-concurrently", "CREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);\nDROP INDEX t_id;")).toEqual([]);
  });

  it("does not push CONCURRENTLY for a partitioned index", async () => {
    const findings = await findingsOf("drop-index-without-concurrently", [EVENTS, "DROP INDEX events_at;"]);
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "1:1 medium DROP INDEX events_at without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table (for a partitioned index, on the partitioned table and every partition), blocking reads and writes while it waits and runs.",
      ]
    `);
    expect(findings[0].hint).toMatchInlineSnapshot(`"events_at is a partitioned index, which PostgreSQL cannot drop CONCURRENTLY: keep the plain DROP INDEX (it locks the partitioned table and every partition) in a migration with a short lock_timeout (SET lock_timeout = '2s'), and retry when it times out."`);
  });

  it("hints one index per DROP INDEX CONCURRENTLY, and no CASCADE", async () => {
    const findings = await findingsOf("drop-index-without-concurrently", "DROP INDEX a_idx, b_idx CASCADE;");
    expect(findings[0].hint).toMatchInlineSnapshot(`"DROP INDEX CONCURRENTLY one index per statement, without CASCADE (drop what depends on the index first), each in its own migration starting with \`-- dbpipe:no-transaction\`: PostgreSQL refuses CONCURRENTLY with several indexes or CASCADE."`);
  });
});
