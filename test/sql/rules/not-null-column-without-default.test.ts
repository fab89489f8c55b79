import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("not-null-column-without-default", () => {
  it("reports a NOT NULL column without a default on an existing table, at the column", async () => {
    const sql = "ALTER TABLE customers\n  ADD COLUMN country text NOT NULL;";
    expect(describeFindings(await findingsOf("not-null-column-without-default", sql))).toMatchInlineSnapshot(`
      [
        "2:14 medium ADD COLUMN country on customers is NOT NULL without a DEFAULT: it fails as soon as the table has a row.",
      ]
    `);
  });

  it("does not report the column with a constant default, or nullable", async () => {
    const sql = "ALTER TABLE customers ADD COLUMN country text NOT NULL DEFAULT 'NL';\nALTER TABLE customers ADD COLUMN region text;";
    expect(await findingsOf("not-null-column-without-default", sql)).toEqual([]);
  });

  it("reports a DEFAULT NULL, cast or not, which leaves existing rows NULL", async () => {
    const sql = "ALTER TABLE products ADD COLUMN flag int NOT NULL DEFAULT NULL;\nALTER TABLE products ADD COLUMN rank int NOT NULL DEFAULT NULL::int;\nALTER TABLE products ADD COLUMN code text DEFAULT CAST(NULL AS text) NOT NULL;";
    expect(describeFindings(await findingsOf("not-null-column-without-default", sql))).toMatchInlineSnapshot(`
      [
        "1:33 medium ADD COLUMN flag on products is NOT NULL with DEFAULT NULL, which fills existing rows with NULL: it fails as soon as the table has a row.",
        "2:33 medium ADD COLUMN rank on products is NOT NULL with DEFAULT NULL, which fills existing rows with NULL: it fails as soon as the table has a row.",
        "3:33 medium ADD COLUMN code on products is NOT NULL with DEFAULT NULL, which fills existing rows with NULL: it fails as soon as the table has a row.",
      ]
    `);
  });

  it("does not report serial and identity columns, which fill themselves", async () => {
    const sql = "ALTER TABLE customers ADD COLUMN seq bigserial NOT NULL;\nALTER TABLE orders ADD COLUMN n int GENERATED ALWAYS AS IDENTITY NOT NULL;";
    expect(await findingsOf("not-null-column-without-default", sql)).toEqual([]);
  });

  it("does not report a table created earlier in the same migration", async () => {
    expect(await findingsOf("not-null-column-without-default", "CREATE TABLE regions (id int);\nALTER TABLE regions ADD COLUMN name text NOT NULL;")).toEqual([]);
  });
});
