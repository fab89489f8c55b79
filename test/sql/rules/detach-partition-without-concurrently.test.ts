import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

/** A partitioned table, its DEFAULT partition and a partitioned index, in an earlier migration. */const EVENTS = "CREATE TABLE events (id int, at date, user_id int) PARTITION BY RANGE (at);\nCREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\nCREATE TABLE events_default PARTITION OF events DEFAULT;\nCREATE INDEX events_at ON events (at);";

describe("detach-partition-without-concurrently", () => {
  it("reports DETACH PARTITION without CONCURRENTLY, at the partition", async () => {
    expect(describeFindings(await findingsOf("detach-partition-without-concurrently", "ALTER TABLE events DETACH PARTITION events_2019;"))).toMatchInlineSnapshot(`
      [
        "1:37 medium DETACH PARTITION events_2019 from events without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the whole partitioned table.",
      ]
    `);
  });

  it("does not report DETACH PARTITION ... CONCURRENTLY", async () => {
    expect(await findingsOf("detach-partition-without-concurrently", "ALTER TABLE events DETACH PARTITION events_2019 CONCURRENTLY;", { noTransaction: true })).toEqual([]);
  });

  it("does not push CONCURRENTLY when the table has a DEFAULT partition", async () => {
    const findings = await findingsOf("detach-partition-without-concurrently", [EVENTS, "ALTER TABLE events DETACH PARTITION events_2025;"]);
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "1:37 medium DETACH PARTITION events_2025 from events without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the whole partitioned table.",
      ]
    `);
    expect(findings[0].hint).toMatchInlineSnapshot(`"CONCURRENTLY is refused while events has a DEFAULT partition: run a plain DETACH PARTITION (it takes ACCESS EXCLUSIVE locks on events and its DEFAULT partition) in a transactional migration with a short lock_timeout (SET lock_timeout = '2s'), and retry when it times out."`);
  });
});
