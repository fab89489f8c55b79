import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("refresh-materialized-view-without-concurrently", () => {
  it("reports a plain REFRESH of an existing materialized view", async () => {
    expect(describeFindings(await findingsOf("refresh-materialized-view-without-concurrently", "REFRESH MATERIALIZED VIEW sales_by_month;"))).toMatchInlineSnapshot(`
      [
        "1:27 medium REFRESH MATERIALIZED VIEW sales_by_month blocks every read of the view until the refresh ends.",
      ]
    `);
  });

  it("does not report REFRESH ... CONCURRENTLY", async () => {
    expect(await findingsOf("refresh-materialized-view-without-concurrently", "REFRESH MATERIALIZED VIEW CONCURRENTLY sales_by_month;")).toEqual([]);
  });

  it("does not report a view created earlier in the same migration", async () => {
    expect(await findingsOf("refresh-materialized-view-without-concurrently", "CREATE MATERIALIZED VIEW totals AS SELECT 1 AS n WITH NO DATA;\nREFRESH MATERIALIZED VIEW totals;")).toEqual([]);
  });
});
