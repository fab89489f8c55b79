import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("set-not-null", () => {
  it("reports SET NOT NULL on an existing table", async () => {
    expect(describeFindings(await findingsOf("set-not-null", "ALTER TABLE customers ALTER COLUMN email SET NOT NULL;"))).toMatchInlineSnapshot(`
      [
        "1:1 medium SET NOT NULL on customers.email scans the whole table for NULLs under an ACCESS EXCLUSIVE lock.",
      ]
    `);
  });

  it("does not report SET NOT NULL once a validated CHECK (col IS NOT NULL) exists", async () => {
    const findings = await findingsOf("set-not-null", [
      "ALTER TABLE customers ADD CONSTRAINT customers_email_not_null CHECK (email IS NOT NULL) NOT VALID;",
      "ALTER TABLE customers VALIDATE CONSTRAINT customers_email_not_null;",
      "ALTER TABLE customers ALTER COLUMN email SET NOT NULL;\nALTER TABLE customers DROP CONSTRAINT customers_email_not_null;",
    ]);
    expect(findings).toEqual([]);
  });

  it("still reports it when the check was never validated", async () => {
    const findings = await findingsOf("set-not-null", [
      "ALTER TABLE customers ADD CONSTRAINT customers_email_not_null CHECK (email IS NOT NULL) NOT VALID;",
      "ALTER TABLE customers ALTER COLUMN email SET NOT NULL;",
    ]);
    expect(findings).toHaveLength(1);
  });

  it("does not report a table created earlier in the same migration", async () => {
    expect(await findingsOf("set-not-null", "CREATE TABLE notes (body text);\nALTER TABLE notes ALTER COLUMN body SET NOT NULL;")).toEqual([]);
  });
});
