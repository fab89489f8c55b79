import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

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
});
