import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("rename-column", () => {
  it("reports renaming a column of an existing table", async () => {
    expect(describeFindings(await findingsOf("rename-column", "ALTER TABLE customers RENAME COLUMN name TO full_name;"))).toMatchInlineSnapshot(`
      [
        "1:13 medium RENAME COLUMN name TO full_name on customers breaks every query that uses the old name.",
      ]
    `);
  });

  it("reports renaming a column of an existing view, materialized view or foreign table", async () => {
    const sql = "ALTER VIEW active_customers RENAME COLUMN email TO mail;\nALTER MATERIALIZED VIEW sales_summary RENAME COLUMN total TO amount;\nALTER FOREIGN TABLE remote_orders RENAME COLUMN ref TO reference;";
    const findings = await findingsOf("rename-column", sql);
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "1:12 medium RENAME COLUMN email TO mail on view active_customers breaks every query that uses the old name.",
        "2:25 medium RENAME COLUMN total TO amount on materialized view sales_summary breaks every query that uses the old name.",
        "3:21 medium RENAME COLUMN ref TO reference on foreign table remote_orders breaks every query that uses the old name.",
      ]
    `);
    expect(findings[0].hint).toContain("CREATE OR REPLACE VIEW with the new name added as its last column");
  });

  it("does not report a column of a view created earlier in the same migration, nor renaming the view (rename-table's)", async () => {
    expect(await findingsOf("rename-column", "CREATE VIEW recent_orders AS SELECT id, total FROM orders;\nALTER VIEW recent_orders RENAME COLUMN total TO amount;")).toEqual([]);
    expect(await findingsOf("rename-column", "ALTER VIEW active_customers RENAME TO customers_active;")).toEqual([]);
    expect(await findingsOf("rename-table", "ALTER VIEW active_customers RENAME TO customers_active;")).toHaveLength(1);
  });

  it("does not report a column of a table created earlier in the same migration", async () => {
    expect(await findingsOf("rename-column", "CREATE TABLE drafts (titel text);\nALTER TABLE drafts RENAME COLUMN titel TO title;")).toEqual([]);
  });

  it("does not report renaming a table's constraint", async () => {
    expect(await findingsOf("rename-column", "ALTER TABLE customers RENAME CONSTRAINT c1 TO customers_email_check;")).toEqual([]);
  });
});
