import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("volatile-default", () => {
  it("reports a volatile default and a stored generated column on an existing table", async () => {
    const sql = [
      "ALTER TABLE customers ADD COLUMN public_id uuid DEFAULT gen_random_uuid();",
      "ALTER TABLE orders ADD COLUMN total_cents bigint GENERATED ALWAYS AS (total * 100) STORED;",
      "ALTER TABLE orders ADD COLUMN checked_at timestamptz DEFAULT clock_timestamp();",
    ].join("\n");
    expect(describeFindings(await findingsOf("volatile-default", sql))).toMatchInlineSnapshot(`
      [
        "1:49 high ADD COLUMN public_id on customers has a default that calls gen_random_uuid(), which dbpipe treats as volatile: PostgreSQL rewrites the whole table to fill it, under an ACCESS EXCLUSIVE lock.",
        "2:50 high ADD COLUMN total_cents on orders is a stored generated column: PostgreSQL rewrites the whole table to compute it, under an ACCESS EXCLUSIVE lock.",
        "3:54 high ADD COLUMN checked_at on orders has a default that calls clock_timestamp(), which dbpipe treats as volatile: PostgreSQL rewrites the whole table to fill it, under an ACCESS EXCLUSIVE lock.",
      ]
    `);
  });

  it("does not report constant and non-volatile defaults, which PostgreSQL stores without a rewrite", async () => {
    const sql = [
      "ALTER TABLE customers ADD COLUMN active boolean NOT NULL DEFAULT true;",
      "ALTER TABLE customers ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();",
      "ALTER TABLE customers ADD COLUMN settings jsonb NOT NULL DEFAULT '{}'::jsonb;",
      "ALTER TABLE customers ADD COLUMN tier int DEFAULT 2 + 2;",
    ].join("\n");
    expect(await findingsOf("volatile-default", sql)).toEqual([]);
  });

  it("treats an unknown function as volatile", async () => {
    const findings = await findingsOf("volatile-default", "ALTER TABLE customers ADD COLUMN code text DEFAULT make_customer_code();");
    expect(findings[0].message).toContain("make_customer_code()");
  });

  it("does not report a table created earlier in the same migration", async () => {
    expect(await findingsOf("volatile-default", "CREATE TABLE tokens (id int);\nALTER TABLE tokens ADD COLUMN value uuid DEFAULT gen_random_uuid();")).toEqual([]);
  });

  it("reports ADD COLUMN of a domain with a CHECK or NOT NULL constraint, with or without a DEFAULT", async () => {
    const domains = "CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);\nCREATE DOMAIN required_int AS int NOT NULL;\nCREATE DOMAIN small_positive AS positive_int;\nCREATE DOMAIN later_checked AS int;\nALTER DOMAIN later_checked ADD CONSTRAINT later_positive CHECK (VALUE > 0);";
    const findings = await findingsOf("volatile-default", [
      domains,
      "ALTER TABLE products ADD COLUMN qty positive_int;\nALTER TABLE products ADD COLUMN qty2 positive_int DEFAULT 1;\nALTER TABLE products ADD COLUMN qty3 required_int DEFAULT 1;\nALTER TABLE products ADD COLUMN qty4 small_positive;\nALTER TABLE products ADD COLUMN qty5 later_checked;",
    ]);
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "1:37 high ADD COLUMN qty on products is of type positive_int, a domain with a CHECK or NOT NULL constraint: PostgreSQL rewrites the whole table to check the new column's value in every row, with or without a DEFAULT, under an ACCESS EXCLUSIVE lock.",
        "2:38 high ADD COLUMN qty2 on products is of type positive_int, a domain with a CHECK or NOT NULL constraint: PostgreSQL rewrites the whole table to check the new column's value in every row, with or without a DEFAULT, under an ACCESS EXCLUSIVE lock.",
        "3:38 high ADD COLUMN qty3 on products is of type required_int, a domain with a CHECK or NOT NULL constraint: PostgreSQL rewrites the whole table to check the new column's value in every row, with or without a DEFAULT, under an ACCESS EXCLUSIVE lock.",
        "4:38 high ADD COLUMN qty4 on products is of type small_positive, a domain with a CHECK or NOT NULL constraint: PostgreSQL rewrites the whole table to check the new column's value in every row, with or without a DEFAULT, under an ACCESS EXCLUSIVE lock.",
        "5:38 high ADD COLUMN qty5 on products is of type later_checked, a domain with a CHECK or NOT NULL constraint: PostgreSQL rewrites the whole table to check the new column's value in every row, with or without a DEFAULT, under an ACCESS EXCLUSIVE lock.",
      ]
    `);
    expect(findings[0].hint).toMatchInlineSnapshot(`"Add the column with the domain's base type instead, and put the domain's check on the table: ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT in a later migration (changing the column to positive_int later rewrites the table too)."`);
  });

  it("does not report a domain without constraints, one whose constraint was dropped, an array of one, or an unknown type", async () => {
    const domains = "CREATE DOMAIN plain_int AS int;\nCREATE DOMAIN was_checked AS int CONSTRAINT was_positive CHECK (VALUE > 0);\nALTER DOMAIN was_checked DROP CONSTRAINT was_positive;\nCREATE DOMAIN positive_int AS int CHECK (VALUE > 0);\nCREATE DOMAIN gone AS int CHECK (VALUE > 0);\nDROP DOMAIN gone;";
    expect(
      await findingsOf("volatile-default", [
        domains,
        "ALTER TABLE products ADD COLUMN a plain_int DEFAULT 1;\nALTER TABLE products ADD COLUMN b was_checked;\nALTER TABLE products ADD COLUMN c positive_int[];\nALTER TABLE products ADD COLUMN d gone;\nALTER TABLE products ADD COLUMN e some_domain;",
      ]),
    ).toEqual([]);
  });

  it("does not report a domain column added to a table created in the same migration", async () => {
    expect(await findingsOf("volatile-default", ["CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);", "CREATE TABLE products (id int);\nALTER TABLE products ADD COLUMN qty positive_int;"])).toEqual([]);
  });
});
