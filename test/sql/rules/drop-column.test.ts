import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("drop-column", () => {
  it("reports each dropped column of an existing table", async () => {
    const sql = "ALTER TABLE products DROP COLUMN description, DROP COLUMN IF EXISTS legacy_sku;";
    expect(describeFindings(await findingsOf("drop-column", sql))).toMatchInlineSnapshot(`
      [
        "1:22 medium DROP COLUMN description on products deletes the column's data; clients still using it break.",
        "1:47 medium DROP COLUMN legacy_sku on products deletes the column's data; clients still using it break.",
      ]
    `);
  });

  it("does not report adding a column", async () => {
    expect(await findingsOf("drop-column", "ALTER TABLE products ADD COLUMN description text;")).toEqual([]);
  });

  it("does not report a table created earlier in the same migration", async () => {
    expect(await findingsOf("drop-column", "CREATE TABLE drafts (id int, body text);\nALTER TABLE drafts DROP COLUMN body;")).toEqual([]);
  });
});
