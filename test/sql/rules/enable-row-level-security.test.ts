import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("enable-row-level-security", () => {
  it("reports ENABLE ROW LEVEL SECURITY on an existing table, saying whether policies come first", async () => {
    expect(describeFindings(await findingsOf("enable-row-level-security", "ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;"))).toMatchInlineSnapshot(`
      [
        "1:1 medium ENABLE ROW LEVEL SECURITY on invoices: every role that does not own the table sees no rows at all (no policy is created before it in this migration).",
      ]
    `);
    const withPolicy = await findingsOf("enable-row-level-security", "CREATE POLICY own ON invoices USING (owner = current_user);\nALTER TABLE invoices ENABLE ROW LEVEL SECURITY;");
    expect(withPolicy.map((f) => f.message)).toEqual(["ENABLE ROW LEVEL SECURITY on invoices: every role that does not own the table sees only the rows the policies allow."]);
  });

  it("reports FORCE ROW LEVEL SECURITY, which filters the table's owner too", async () => {
    expect(describeFindings(await findingsOf("enable-row-level-security", "ALTER TABLE invoices FORCE ROW LEVEL SECURITY;"))).toMatchInlineSnapshot(`
      [
        "1:1 medium FORCE ROW LEVEL SECURITY on invoices: its owner, too, sees no rows at all (no policy is created before it in this migration) while row level security is enabled — a job or application that connects as the owner sees fewer rows without an error.",
      ]
    `);
  });

  it("does not report it on a table created in the same migration, nor DISABLE or NO FORCE (disable-row-level-security's)", async () => {
    expect(await findingsOf("enable-row-level-security", "CREATE TABLE notes (body text);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;")).toEqual([]);
    expect(await findingsOf("enable-row-level-security", "ALTER TABLE invoices DISABLE ROW LEVEL SECURITY;\nALTER TABLE invoices NO FORCE ROW LEVEL SECURITY;")).toEqual([]);
  });
});
