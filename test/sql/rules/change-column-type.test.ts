import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

const CREATE = "CREATE TABLE products (id int PRIMARY KEY, sku varchar(20), price numeric(10,2), name varchar(100), notes char(10), ip cidr);";

describe("change-column-type", () => {
  it("reports a type change that rewrites the table, naming the old type from earlier migrations", async () => {
    const findings = await findingsOf("change-column-type", [CREATE, "ALTER TABLE products ALTER COLUMN id TYPE bigint;\nALTER TABLE products ALTER COLUMN sku TYPE varchar(10);"]);
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "1:35 high ALTER COLUMN id TYPE int8 (from int4) rewrites products and rebuilds its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes.",
        "2:35 high ALTER COLUMN sku TYPE varchar(10) (from varchar(20)) rewrites products and rebuilds its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes.",
      ]
    `);
  });

  it("reports a USING that computes new values, which always rewrites", async () => {
    const sql = "ALTER TABLE products ALTER COLUMN price TYPE numeric(12,2) USING round(price, 1);\nALTER TABLE products ALTER COLUMN name TYPE varchar(200) USING name::text;";
    const findings = await findingsOf("change-column-type", [CREATE, sql]);
    expect(findings.map((f) => [f.line, f.message])).toEqual([
      [1, expect.stringContaining("with a USING expression rewrites products")],
      [2, expect.stringContaining("with a USING expression rewrites products")],
    ]);
  });

  it("treats a USING that only casts the column to the new type as no USING", async () => {
    const safe = "ALTER TABLE products ALTER COLUMN price TYPE numeric(12,2) USING price::numeric(12,2);\nALTER TABLE products ALTER COLUMN sku TYPE text USING products.sku;";
    expect(await findingsOf("change-column-type", [CREATE, safe])).toEqual([]);
    const rewrite = await findingsOf("change-column-type", [CREATE, "ALTER TABLE products ALTER COLUMN id TYPE bigint USING id::bigint;"]);
    expect(rewrite.map((f) => f.message)).toEqual(["ALTER COLUMN id TYPE int8 (from int4) rewrites products and rebuilds its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes."]);
  });

  it("is high, like the other rewrites of an existing table", async () => {
    const [finding] = await findingsOf("change-column-type", [CREATE, "ALTER TABLE products ALTER COLUMN id TYPE bigint;"]);
    expect(finding.severity).toBe("high");
  });

  it("does not report changes PostgreSQL makes without a rewrite", async () => {
    const safe = [
      "ALTER TABLE products ALTER COLUMN sku TYPE text;",
      "ALTER TABLE products ALTER COLUMN name TYPE varchar(200);",
      "ALTER TABLE products ALTER COLUMN price TYPE numeric(14,2);",
      "ALTER TABLE products ALTER COLUMN ip TYPE inet;",
    ].join("\n");
    expect(await findingsOf("change-column-type", [CREATE, safe])).toEqual([]);
  });

  it("reports char(n) to text, which strips trailing spaces and rewrites", async () => {
    expect(await findingsOf("change-column-type", [CREATE, "ALTER TABLE products ALTER COLUMN notes TYPE text;"])).toHaveLength(1);
  });

  it("follows the column's type through earlier changes", async () => {
    const findings = await findingsOf("change-column-type", [CREATE, "ALTER TABLE products ALTER COLUMN sku TYPE text;", "ALTER TABLE products ALTER COLUMN sku TYPE varchar;"]);
    expect(findings).toEqual([]);
  });

  it("assumes a rewrite when it has not seen the column, and says so", async () => {
    expect(describeFindings(await findingsOf("change-column-type", "ALTER TABLE legacy ALTER COLUMN code TYPE text;"))).toMatchInlineSnapshot(`
      [
        "1:33 high ALTER COLUMN code TYPE text on legacy: dbpipe has not seen the column's current type in the migrations, so it assumes PostgreSQL rewrites the table and its indexes under an ACCESS EXCLUSIVE lock. (varchar(n) to text or to a longer varchar needs no rewrite.)",
      ]
    `);
  });

  it("does not report a table created earlier in the same migration", async () => {
    expect(await findingsOf("change-column-type", `${CREATE}\nALTER TABLE products ALTER COLUMN id TYPE bigint;`)).toEqual([]);
  });
});

describe("change-column-type on array columns", () => {
  const products = "CREATE TABLE products (id int PRIMARY KEY, tags varchar(10)[], labels varchar[], codes numeric(10,2)[]);";

  it("reports any change of the element type, which PostgreSQL makes element by element and so rewrites, even a widening", async () => {
    const sql = [
      "ALTER TABLE products ALTER COLUMN tags TYPE varchar(20)[];",
      "ALTER TABLE products ALTER COLUMN tags TYPE text[];",
      "ALTER TABLE products ALTER COLUMN labels TYPE text[];",
      "ALTER TABLE products ALTER COLUMN codes TYPE numeric(12,2)[];",
    ];
    expect(describeFindings(await findingsOf("change-column-type", [products, ...sql]))).toMatchInlineSnapshot(`
      [
        "1:35 high ALTER COLUMN tags TYPE varchar(20)[] (from varchar(10)[]) rewrites products and rebuilds its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes: PostgreSQL converts an array column element by element, even when the element type only widens.",
        "1:35 high ALTER COLUMN tags TYPE text[] (from varchar(20)[]) rewrites products and rebuilds its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes: PostgreSQL converts an array column element by element, even when the element type only widens.",
        "1:35 high ALTER COLUMN labels TYPE text[] (from varchar[]) rewrites products and rebuilds its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes: PostgreSQL converts an array column element by element, even when the element type only widens.",
        "1:35 high ALTER COLUMN codes TYPE numeric(12,2)[] (from numeric(10,2)[]) rewrites products and rebuilds its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes: PostgreSQL converts an array column element by element, even when the element type only widens.",
      ]
    `);
  });

  it("reports a narrowing or a change of type, without the widening explanation", async () => {
    const sql = "ALTER TABLE products ALTER COLUMN tags TYPE varchar(5)[];\nALTER TABLE products ALTER COLUMN id TYPE int[] USING ARRAY[id];";
    expect(describeFindings(await findingsOf("change-column-type", [products, sql]))).toMatchInlineSnapshot(`
      [
        "1:35 high ALTER COLUMN tags TYPE varchar(5)[] (from varchar(10)[]) rewrites products and rebuilds its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes.",
        "2:35 high ALTER COLUMN id TYPE int4[] (from int4) with a USING expression rewrites products and rebuilds its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes.",
      ]
    `);
  });

  it("does not report dropping the element's modifier, which keeps the array type and needs no rewrite", async () => {
    const sql = "ALTER TABLE products ALTER COLUMN tags TYPE varchar[];\nALTER TABLE products ALTER COLUMN codes TYPE numeric[];";
    expect(await findingsOf("change-column-type", [products, sql])).toEqual([]);
  });
});

describe("change-column-type between timestamp and timestamptz", () => {
  const events = "CREATE TABLE events (id int PRIMARY KEY, at timestamp, seen timestamptz(3));";

  it("says it rewrites unless the session's TimeZone is UTC, both ways, and stays high", async () => {
    const sql = "ALTER TABLE events ALTER COLUMN at TYPE timestamptz;\nALTER TABLE events ALTER COLUMN seen TYPE timestamp;";
    const findings = await findingsOf("change-column-type", [events, sql]);
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "1:33 high ALTER COLUMN at TYPE timestamptz (from timestamp) rewrites events and rebuilds its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes, unless the session's TimeZone is UTC: then PostgreSQL keeps the table and rebuilds only the indexes on the column, under the same lock.",
        "2:33 high ALTER COLUMN seen TYPE timestamp (from timestamptz(3)) rewrites events and rebuilds its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes, unless the session's TimeZone is UTC: then PostgreSQL keeps the table and rebuilds only the indexes on the column, under the same lock.",
      ]
    `);
    expect(findings[0].hint).toMatchInlineSnapshot(`"If the stored values are UTC, run the ALTER after SET LOCAL TimeZone = 'UTC' in the same transaction: the table is then not rewritten. Otherwise add a new column, backfill it in batches, switch reads, then drop the old column in a later migration."`);
  });

  it("says it always rewrites when the new type has a precision below 6, applied to the cast's result", async () => {
    const sql = "ALTER TABLE events ALTER COLUMN at TYPE timestamptz(3);\nALTER TABLE events ALTER COLUMN seen TYPE timestamp(6);";
    expect(describeFindings(await findingsOf("change-column-type", [events, sql]))).toMatchInlineSnapshot(`
      [
        "1:33 high ALTER COLUMN at TYPE timestamptz(3) (from timestamp) rewrites events and rebuilds its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes.",
        "2:33 high ALTER COLUMN seen TYPE timestamp(6) (from timestamptz(3)) rewrites events and rebuilds its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes, unless the session's TimeZone is UTC: then PostgreSQL keeps the table and rebuilds only the indexes on the column, under the same lock.",
      ]
    `);
  });
});

describe("change-column-type: which changes PostgreSQL 15 makes without a rewrite", () => {
  const table = [
    "CREATE TABLE t (",
    "  vc varchar(10), tx text, ch char(10), num numeric(10,2), bits bit varying(5), fixed bit(5), net cidr, doc xml,",
    "  ts timestamp(3), span interval(6), day_span interval day, clock time(3), plain_ts timestamp, plain_span interval",
    ");",
  ].join("\n");

  it.each([
    ["vc TYPE varchar(20)"],
    ["vc TYPE text"],
    ["vc TYPE varchar"],
    ["tx TYPE varchar"],
    ["num TYPE numeric(12,2)"],
    ["num TYPE numeric"],
    ["bits TYPE bit varying(10)"],
    ["bits TYPE varbit"],
    ["net TYPE inet"],
    ["doc TYPE text"],
    ["doc TYPE varchar"],
    ["ts TYPE timestamp(6)"],
    ["ts TYPE timestamp"],
    ["span TYPE interval"],
    ["day_span TYPE interval hour to minute"],
    ["clock TYPE time(6)"],
    ["plain_ts TYPE timestamp(6)"],
    ["plain_span TYPE interval(6)"],
  ])("no rewrite: ALTER COLUMN %s", async (change) => {
    expect(await findingsOf("change-column-type", [table, `ALTER TABLE t ALTER COLUMN ${change};`])).toEqual([]);
  });

  it.each([
    ["vc TYPE varchar(5)"],
    ["tx TYPE varchar(20)"],
    ["ch TYPE varchar(10)"],
    ["ch TYPE varchar"],
    ["ch TYPE char(20)"],
    ["num TYPE numeric(12,3)"],
    ["num TYPE numeric(12,1)"],
    ["num TYPE numeric(8,2)"],
    ["fixed TYPE bit varying(5)"],
    ["doc TYPE varchar(10)"],
    ["ts TYPE timestamp(2)"],
    ["span TYPE interval(3)"],
    ["span TYPE interval second(2)"],
    ["clock TYPE time(2)"],
    ["plain_ts TYPE timestamp(5)"],
  ])("rewrite: ALTER COLUMN %s", async (change) => {
    const findings = await findingsOf("change-column-type", [table, `ALTER TABLE t ALTER COLUMN ${change};`]);
    expect(findings.map((f) => f.message)).toEqual([expect.stringMatching(/\) rewrites t and rebuilds its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes\.$/)]);
  });
});

describe("change-column-type on a column with a CHECK constraint", () => {
  it("reports a change that needs no rewrite when a CHECK on the column re-checks every row", async () => {
    const sql = [
      "CREATE TABLE products (sku varchar(10) CHECK (length(sku) > 2), name varchar(10));",
      "ALTER TABLE products ALTER COLUMN sku TYPE varchar(20);\nALTER TABLE products ALTER COLUMN name TYPE varchar(20);",
    ];
    expect((await findingsOf("change-column-type", sql)).map((f) => f.message)).toEqual([
      "ALTER COLUMN sku TYPE varchar(20) needs no rewrite of products, but PostgreSQL re-checks every row against the CHECK constraint products_sku_check on the column, under an ACCESS EXCLUSIVE lock that blocks reads and writes.",
    ]);
    expect((await findingsOf("safe-column-type-change", sql)).map((f) => f.message)).toEqual([
      "ALTER COLUMN name TYPE varchar(20) (from varchar(10)) on products needs no table rewrite; clients may still see a different type.",
    ]);
  });

  it("knows checks added later by ALTER TABLE, and forgets dropped ones", async () => {
    const base = "CREATE TABLE products (sku varchar(10));";
    const added = await findingsOf("change-column-type", [base, "ALTER TABLE products ADD CONSTRAINT sku_len CHECK (length(sku) > 2) NOT VALID;", "ALTER TABLE products ALTER COLUMN sku TYPE varchar(20);"]);
    expect(added).toHaveLength(1);
    const dropped = await findingsOf("change-column-type", [base, "ALTER TABLE products ADD CONSTRAINT sku_len CHECK (length(sku) > 2) NOT VALID;", "ALTER TABLE products DROP CONSTRAINT sku_len;\nALTER TABLE products ALTER COLUMN sku TYPE varchar(20);"]);
    expect(dropped).toEqual([]);
  });
});

describe("change-column-type on a column added earlier in the same migration", () => {
  it("knows the type it was added with: no rewrite says nothing, a rewrite names the old type, not an unknown one", async () => {
    // orders is a table the migrations never created (made before dbpipe): only this file says what the column is.
    expect(await findingsOf("change-column-type", "ALTER TABLE orders ADD COLUMN note varchar(10);\nALTER TABLE orders ALTER COLUMN note TYPE text;")).toEqual([]);
    expect(describeFindings(await findingsOf("change-column-type", "ALTER TABLE orders ADD COLUMN qty int;\nALTER TABLE orders ALTER COLUMN qty TYPE bigint;"))).toMatchInlineSnapshot(`
      [
        "2:33 high ALTER COLUMN qty TYPE int8 (from int4) rewrites orders and rebuilds its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes.",
      ]
    `);
  });

  it("follows an earlier part of the same ALTER TABLE, and an earlier type change of the new column", async () => {
    expect(await findingsOf("change-column-type", "ALTER TABLE orders ADD COLUMN note varchar(10), ALTER COLUMN note TYPE text;")).toEqual([]);
    const changedTwice = "ALTER TABLE orders ADD COLUMN code varchar(10);\nALTER TABLE orders ALTER COLUMN code TYPE int USING code::int;\nALTER TABLE orders ALTER COLUMN code TYPE bigint;";
    expect((await findingsOf("change-column-type", changedTwice)).map((f) => f.message)).toEqual([
      "ALTER COLUMN code TYPE int4 (from varchar(10)) rewrites orders and rebuilds its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes.",
      "ALTER COLUMN code TYPE int8 (from int4) rewrites orders and rebuilds its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes.",
    ]);
  });
});
