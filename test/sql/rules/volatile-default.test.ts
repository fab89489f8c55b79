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
});
