import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("domain-check-without-not-valid", () => {
  it("reports ADD CONSTRAINT ... CHECK on an existing domain without NOT VALID", async () => {
    expect(describeFindings(await findingsOf("domain-check-without-not-valid", "ALTER DOMAIN email ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');"))).toMatchInlineSnapshot(`
      [
        "1:24 medium ALTER DOMAIN email ADD CONSTRAINT email_has_at CHECK checks every value of the domain in every table that uses it, blocking writes to those tables while it scans.",
      ]
    `);
  });

  it("does not report NOT VALID, VALIDATE, or other domain changes", async () => {
    const sql = [
      "ALTER DOMAIN email ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%') NOT VALID;",
      "ALTER DOMAIN email VALIDATE CONSTRAINT email_has_at;",
      "ALTER DOMAIN email SET DEFAULT 'nobody@example.com';",
    ].join("\n");
    expect(await findingsOf("domain-check-without-not-valid", sql)).toEqual([]);
  });

  it("does not report a domain created earlier in the same migration", async () => {
    expect(await findingsOf("domain-check-without-not-valid", "CREATE DOMAIN email AS text;\nALTER DOMAIN email ADD CHECK (VALUE LIKE '%@%');")).toEqual([]);
  });
});
