import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("check-without-not-valid", () => {
  it("reports a CHECK added without NOT VALID, and a new column with a CHECK", async () => {
    const sql = "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);\nALTER TABLE orders ADD COLUMN discount numeric CHECK (discount >= 0);";
    expect(describeFindings(await findingsOf("check-without-not-valid", sql))).toMatchInlineSnapshot(`
      [
        "1:24 medium ADD CONSTRAINT orders_total_positive CHECK on orders scans every row under an ACCESS EXCLUSIVE lock.",
        "2:48 medium ADD COLUMN discount ... CHECK on orders scans every row to validate the check, under an ACCESS EXCLUSIVE lock.",
      ]
    `);
  });

  it("does not report CHECK ... NOT VALID", async () => {
    expect(await findingsOf("check-without-not-valid", "ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;")).toEqual([]);
  });

  it("does not report a table created earlier in the same migration", async () => {
    expect(await findingsOf("check-without-not-valid", "CREATE TABLE refunds (amount numeric);\nALTER TABLE refunds ADD CHECK (amount > 0);")).toEqual([]);
  });
});
