import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("disable-row-level-security", () => {
  it("reports DISABLE and NO FORCE ROW LEVEL SECURITY on an existing table", async () => {
    const sql = "ALTER TABLE invoices DISABLE ROW LEVEL SECURITY;\nALTER TABLE invoices NO FORCE ROW LEVEL SECURITY;";
    expect(describeFindings(await findingsOf("disable-row-level-security", sql))).toMatchInlineSnapshot(`
      [
        "1:1 medium DISABLE ROW LEVEL SECURITY on invoices: its policies stop applying, so every role with privileges on it reads and writes every row, the ones its policies hid included.",
        "2:1 medium NO FORCE ROW LEVEL SECURITY on invoices: its owner no longer goes through its policies, so whatever connects as the owner reads and writes every row.",
      ]
    `);
  });

  it("does not report ENABLE or FORCE, nor a table created in the same migration", async () => {
    expect(await findingsOf("disable-row-level-security", "ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;\nALTER TABLE invoices FORCE ROW LEVEL SECURITY;")).toEqual([]);
    expect(await findingsOf("disable-row-level-security", "CREATE TABLE notes (body text);\nALTER TABLE notes DISABLE ROW LEVEL SECURITY;")).toEqual([]);
  });

  it("does not report a gap the same transaction closes, which no other session sees", async () => {
    const sql = [
      "ALTER TABLE invoices DISABLE ROW LEVEL SECURITY, NO FORCE ROW LEVEL SECURITY;",
      "UPDATE invoices SET tenant = 'acme' WHERE tenant IS NULL;",
      "ALTER TABLE invoices ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;",
    ].join("\n");
    expect(await findingsOf("disable-row-level-security", sql)).toEqual([]);
    // Re-enabling another table, or outside a transaction, leaves the gap open.
    expect(await findingsOf("disable-row-level-security", "ALTER TABLE invoices DISABLE ROW LEVEL SECURITY;\nALTER TABLE payments ENABLE ROW LEVEL SECURITY;")).toHaveLength(1);
    expect(await findingsOf("disable-row-level-security", sql, { noTransaction: true })).toHaveLength(2);
  });
});
