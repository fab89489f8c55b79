import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

/** A partitioned table, its DEFAULT partition and a partitioned index, in an earlier migration. */const EVENTS = "CREATE TABLE events (id int, at date, user_id int) PARTITION BY RANGE (at);\nCREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\nCREATE TABLE events_default PARTITION OF events DEFAULT;\nCREATE INDEX events_at ON events (at);";

describe("attach-partition", () => {
  it("reports attaching an existing table, at the partition, about the partition's size", async () => {
    const findings = await findingsOf("attach-partition", "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');");
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "1:37 medium ATTACH PARTITION events_2025 to events scans events_2025 to check the partition bound, under an ACCESS EXCLUSIVE lock on it, unless a validated CHECK constraint already implies the bound.",
      ]
    `);
    expect(findings[0].table).toBe("events_2025");
  });

  it("does not report a partition created in the same migration", async () => {
    expect(await findingsOf("attach-partition", "CREATE TABLE events_2026 (LIKE events);\nALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');")).toEqual([]);
  });

  it("does not report DETACH PARTITION or attaching an index", async () => {
    expect(await findingsOf("attach-partition", "ALTER TABLE events DETACH PARTITION events_2020;\nALTER INDEX events_at ATTACH PARTITION events_2025_at;")).toEqual([]);
  });

  it("reports attaching a new table when the parent has a DEFAULT partition, which it scans", async () => {
    const findings = await findingsOf("attach-partition", [EVENTS, "CREATE TABLE events_2026 (LIKE events);\nALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');"]);
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "2:37 medium ATTACH PARTITION events_2026 to events scans the DEFAULT partition events_default to check that none of its rows belongs in the new partition, under an ACCESS EXCLUSIVE lock on events_default (events itself gets only a SHARE UPDATE EXCLUSIVE lock).",
      ]
    `);
    expect(findings[0].table).toBe("events_default");
    expect(findings[0].hint).toMatchInlineSnapshot(`"To skip the scan of events_default, give it first a CHECK constraint that excludes the new partition's range (ALTER TABLE events_default ADD CONSTRAINT ... CHECK (NOT (...)) NOT VALID, then VALIDATE CONSTRAINT in a later migration): PostgreSQL then knows none of its rows belongs in the new partition."`);
  });

  it("says an existing partition's ATTACH scans the DEFAULT partition too", async () => {
    expect(describeFindings(await findingsOf("attach-partition", [EVENTS, "ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"]))).toMatchInlineSnapshot(`
      [
        "1:37 medium ATTACH PARTITION events_2024 to events scans events_2024 to check the partition bound, under an ACCESS EXCLUSIVE lock on it, unless a validated CHECK constraint already implies the bound; it also scans the DEFAULT partition events_default to check that none of its rows belongs in the new partition, under an ACCESS EXCLUSIVE lock on events_default.",
      ]
    `);
  });

  it("reports CREATE TABLE ... PARTITION OF an existing table: an ACCESS EXCLUSIVE lock on it, and the DEFAULT partition's scan", async () => {
    const findings = await findingsOf("attach-partition", [EVENTS, "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');"]);
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "1:14 medium CREATE TABLE events_2026 PARTITION OF events takes an ACCESS EXCLUSIVE lock on events: every query on it waits, for as long as the statement waits for running queries and until the migration commits; it also scans the DEFAULT partition events_default to check that none of its rows belongs in the new partition, under an ACCESS EXCLUSIVE lock on events_default.",
      ]
    `);
    expect(findings[0].hint).toMatchInlineSnapshot(`"Create events_2026 as a table of its own (CREATE TABLE events_2026 (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)), then ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES ...: ATTACH takes only a SHARE UPDATE EXCLUSIVE lock on events, which lets queries run. To skip the scan of events_default, give it first a CHECK constraint that excludes the new partition's range (ALTER TABLE events_default ADD CONSTRAINT ... CHECK (NOT (...)) NOT VALID, then VALIDATE CONSTRAINT in a later migration): PostgreSQL then knows none of its rows belongs in the new partition."`);
    expect(describeFindings(await findingsOf("attach-partition", "CREATE TABLE logs_2026 PARTITION OF logs FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');"))).toMatchInlineSnapshot(`
      [
        "1:14 medium CREATE TABLE logs_2026 PARTITION OF logs takes an ACCESS EXCLUSIVE lock on logs: every query on it waits, for as long as the statement waits for running queries and until the migration commits.",
      ]
    `);
  });

  it("does not report new partitions of a partitioned table created in the same migration", async () => {
    expect(await findingsOf("attach-partition", EVENTS)).toEqual([]);
    expect(await findingsOf("attach-partition", `${EVENTS}\nCREATE TABLE events_2026 (LIKE events);\nALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');`)).toEqual([]);
  });
});
