import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("add-unique-constraint", () => {
  it("reports UNIQUE added directly, and a new UNIQUE column", async () => {
    const sql = "ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE (email);\nALTER TABLE customers ADD COLUMN handle text UNIQUE;";
    expect(describeFindings(await findingsOf("add-unique-constraint", sql))).toMatchInlineSnapshot(`
      [
        "1:27 medium ADD CONSTRAINT customers_email_key UNIQUE on customers builds its index under an ACCESS EXCLUSIVE lock.",
        "2:46 medium ADD COLUMN handle ... UNIQUE on customers builds a unique index over the whole table under an ACCESS EXCLUSIVE lock.",
      ]
    `);
  });

  it("does not report UNIQUE USING INDEX over an index built concurrently", async () => {
    const findings = await findingsOf("add-unique-constraint", ["CREATE UNIQUE INDEX CONCURRENTLY customers_email_key ON customers (email);", "ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE USING INDEX customers_email_key;"]);
    expect(findings).toEqual([]);
  });

  it("does not report a table created earlier in the same migration", async () => {
    expect(await findingsOf("add-unique-constraint", "CREATE TABLE handles (name text);\nALTER TABLE handles ADD UNIQUE (name);")).toEqual([]);
  });
});
