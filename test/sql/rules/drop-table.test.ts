import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("drop-table", () => {
  it("reports dropping a table that existed before the migration, once per table", async () => {
    const findings = await findingsOf("drop-table", "-- retire the old tables\nDROP TABLE legacy_orders, billing.invoices CASCADE;");
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "2:1 high DROP TABLE legacy_orders deletes the table and all its rows. CASCADE also drops the views and foreign keys that depend on it.",
        "2:1 high DROP TABLE billing.invoices deletes the table and all its rows. CASCADE also drops the views and foreign keys that depend on it.",
      ]
    `);
    expect(findings.map((f) => f.table)).toEqual(["legacy_orders", "billing.invoices"]);
    expect(findings[0].hint).toMatch(/back it up/);
  });

  it("does not report a table created earlier in the same migration", async () => {
    expect(await findingsOf("drop-table", "CREATE TABLE scratch (id int);\nDROP TABLE scratch;")).toEqual([]);
  });

  it("does not report dropping other kinds of objects", async () => {
    expect(await findingsOf("drop-table", "DROP VIEW legacy_orders_view;\nDROP INDEX legacy_orders_idx;")).toEqual([]);
  });
});
