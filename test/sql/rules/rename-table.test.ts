import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("rename-table", () => {
  it("reports renaming or moving an existing table or view", async () => {
    const sql = "ALTER TABLE customers RENAME TO clients;\nALTER VIEW active_customers RENAME TO active_clients;\nALTER TABLE invoices SET SCHEMA billing;";
    expect(describeFindings(await findingsOf("rename-table", sql))).toMatchInlineSnapshot(`
      [
        "1:13 medium ALTER TABLE customers RENAME TO clients breaks every query that uses the old name.",
        "2:12 medium ALTER VIEW active_customers RENAME TO active_clients breaks every query that uses the old name.",
        "3:13 medium ALTER TABLE invoices SET SCHEMA billing moves it: queries that name it by its old schema break.",
      ]
    `);
  });

  it("does not report renaming an index", async () => {
    expect(await findingsOf("rename-table", "ALTER INDEX customers_email_idx RENAME TO customers_email_key;")).toEqual([]);
  });

  it("does not report renaming a table created earlier in the same migration", async () => {
    expect(await findingsOf("rename-table", "CREATE TABLE clients_new (id int);\nALTER TABLE clients_new RENAME TO clients_next;")).toEqual([]);
  });
});
