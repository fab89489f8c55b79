import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

const CREATE = "CREATE TABLE products (id int PRIMARY KEY, sku varchar(20), price numeric(10,2), ip cidr);";

describe("safe-column-type-change", () => {
  it("reports a type change that needs no rewrite, low, naming the old type", async () => {
    const sql = [
      "ALTER TABLE products ALTER COLUMN sku TYPE text;",
      "ALTER TABLE products ALTER COLUMN price TYPE numeric(14,2);",
      "ALTER TABLE products ALTER COLUMN ip TYPE inet;",
    ].join("\n");
    expect(describeFindings(await findingsOf("safe-column-type-change", [CREATE, sql]))).toMatchInlineSnapshot(`
      [
        "1:35 low ALTER COLUMN sku TYPE text (from varchar(20)) on products needs no table rewrite; clients may still see a different type.",
        "2:35 low ALTER COLUMN price TYPE numeric(14,2) (from numeric(10,2)) on products needs no table rewrite; clients may still see a different type.",
        "3:35 low ALTER COLUMN ip TYPE inet (from cidr) on products needs no table rewrite; clients may still see a different type.",
      ]
    `);
  });

  it("counts a USING that only casts the column to the new type as no USING", async () => {
    const findings = await findingsOf("safe-column-type-change", [CREATE, "ALTER TABLE products ALTER COLUMN sku TYPE varchar(40) USING sku::varchar(40);"]);
    expect(findings.map((f) => f.rule)).toEqual(["safe-column-type-change"]);
  });

  it("leaves rewrites, unknown columns and collation changes to change-column-type", async () => {
    const sql = [
      "ALTER TABLE products ALTER COLUMN id TYPE bigint;",
      "ALTER TABLE products ALTER COLUMN sku TYPE varchar(40) USING upper(sku);",
      "ALTER TABLE products ALTER COLUMN sku TYPE text COLLATE \"C\";",
      "ALTER TABLE legacy ALTER COLUMN code TYPE text;",
    ].join("\n");
    expect(await findingsOf("safe-column-type-change", [CREATE, sql])).toEqual([]);
  });

  it("reports xml to text, a binary-coercible cast", async () => {
    const findings = await findingsOf("safe-column-type-change", ["CREATE TABLE pages (body xml);", "ALTER TABLE pages ALTER COLUMN body TYPE text;"]);
    expect(findings.map((f) => f.message)).toEqual(["ALTER COLUMN body TYPE text (from xml) on pages needs no table rewrite; clients may still see a different type."]);
  });

  it("leaves an array's element type change to change-column-type: PostgreSQL rewrites it even when the element widens", async () => {
    const sql = ["CREATE TABLE products (tags varchar(10)[], labels varchar[]);", "ALTER TABLE products ALTER COLUMN tags TYPE varchar(20)[];\nALTER TABLE products ALTER COLUMN labels TYPE text[];"];
    expect(await findingsOf("safe-column-type-change", sql)).toEqual([]);
  });

  it("leaves timestamp to timestamptz, which rewrites unless the session's TimeZone is UTC, to change-column-type", async () => {
    expect(await findingsOf("safe-column-type-change", ["CREATE TABLE events (at timestamp);", "ALTER TABLE events ALTER COLUMN at TYPE timestamptz;"])).toEqual([]);
  });

  it("does not report a table created earlier in the same migration", async () => {
    expect(await findingsOf("safe-column-type-change", `${CREATE}\nALTER TABLE products ALTER COLUMN sku TYPE text;`)).toEqual([]);
  });
});
