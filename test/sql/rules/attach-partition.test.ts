import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

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
});
