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

  it("does not report a column of a table created earlier in the same migration", async () => {
    expect(await findingsOf("rename-column", "CREATE TABLE drafts (titel text);\nALTER TABLE drafts RENAME COLUMN titel TO title;")).toEqual([]);
  });

  it("does not report renaming a table's constraint", async () => {
    expect(await findingsOf("rename-column", "ALTER TABLE customers RENAME CONSTRAINT c1 TO customers_email_check;")).toEqual([]);
  });
});
