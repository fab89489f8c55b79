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

  it("reports DROP ATTRIBUTE of an existing composite type: PostgreSQL 15 strips the value from every row of every column of the type, without CASCADE", async () => {
    // Checked: CREATE TYPE addr AS (street text, zip text); a table's row ('main st', '123'); after ALTER TYPE addr DROP ATTRIBUTE zip it reads ("main st").
    expect((await findingsOf("drop-column", "ALTER TYPE addr DROP ATTRIBUTE zip;")).map((f) => f.message)).toEqual([
      'ALTER TYPE addr DROP ATTRIBUTE zip deletes that value from every column of type addr, in every table and row that holds it; clients still using it break.',
    ]);
    expect(await findingsOf("drop-column", "CREATE TYPE addr AS (street text, zip text);\nALTER TYPE addr DROP ATTRIBUTE zip;")).toEqual([]);
    // Neither a view's nor a foreign table's column: nothing of either is dropped this way.
    expect(await findingsOf("drop-column", "ALTER FOREIGN TABLE remote_orders DROP COLUMN note;")).toEqual([]);
  });
});
