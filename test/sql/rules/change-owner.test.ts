import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("change-owner", () => {
  it("reports OWNER TO of an existing table, view or sequence, with the lock it takes", async () => {
    const sql = "ALTER TABLE invoices OWNER TO billing;\nALTER VIEW open_invoices OWNER TO CURRENT_USER;\nALTER SEQUENCE invoice_no OWNER TO billing;";
    expect(describeFindings(await findingsOf("change-owner", sql))).toMatchInlineSnapshot(`
      [
        "1:1 medium ALTER TABLE invoices OWNER TO billing: billing gets every privilege on it and bypasses its row level security; the previous owner keeps none of its own, so its queries, the views it owns over it and later migrations that alter it fail unless it is a member of billing. The statement takes an ACCESS EXCLUSIVE lock on invoices.",
        "2:1 medium ALTER VIEW open_invoices OWNER TO CURRENT_USER: CURRENT_USER gets every privilege on it, and the view reads its tables with CURRENT_USER's privileges; the previous owner keeps none of its own, so its queries, the views it owns over it and later migrations that alter it fail unless it is a member of CURRENT_USER. The statement takes an ACCESS EXCLUSIVE lock on open_invoices.",
        "3:1 medium ALTER SEQUENCE invoice_no OWNER TO billing: billing gets every privilege on it; the previous owner keeps none of its own, so its queries, the views it owns over it and later migrations that alter it fail unless it is a member of billing. The statement takes an ACCESS EXCLUSIVE lock on invoice_no.",
      ]
    `);
  });

  it("reports OWNER TO of a schema, function or type, and REASSIGN OWNED", async () => {
    const sql = "ALTER SCHEMA billing OWNER TO finance;\nALTER FUNCTION billing.total(int) OWNER TO finance;\nALTER TYPE mood OWNER TO finance;\nREASSIGN OWNED BY legacy_app TO app_owner;";
    expect(describeFindings(await findingsOf("change-owner", sql))).toMatchInlineSnapshot(`
      [
        "1:1 medium ALTER SCHEMA billing OWNER TO finance: finance gets every right over it; the previous owner keeps no privilege of its own on it, so its uses of it — even to reach its own tables in it — and later migrations that alter it fail unless it is a member of finance.",
        "2:1 medium ALTER FUNCTION billing.total OWNER TO finance: finance gets every right over it; the previous owner keeps no privilege of its own on it, so its uses of it and later migrations that alter it fail unless it is a member of finance. A SECURITY DEFINER function then runs with finance's privileges.",
        "3:1 medium ALTER TYPE mood OWNER TO finance: finance gets every right over it; the previous owner keeps no privilege of its own on it, so its uses of it and later migrations that alter it fail unless it is a member of finance.",
        "4:1 medium REASSIGN OWNED BY legacy_app TO app_owner hands every object the role owns in this database, and every database it owns, to app_owner without naming them; it keeps no privilege of its own on them. Until the migration commits, its ACCESS EXCLUSIVE locks block reads and writes of every table, view and sequence it hands over.",
      ]
    `);
  });

  it("does not report OWNER TO of what the migration created", async () => {
    const sql = [
      "CREATE TABLE ledger (id bigint);",
      "ALTER TABLE ledger OWNER TO finance;",
      "CREATE SCHEMA audit;",
      "ALTER SCHEMA audit OWNER TO finance;",
      "CREATE FUNCTION audit.stamp() RETURNS timestamptz LANGUAGE sql AS 'SELECT now()';",
      "ALTER FUNCTION audit.stamp() OWNER TO finance;",
      "CREATE TYPE level AS ENUM ('low', 'high');",
      "ALTER TYPE level OWNER TO finance;",
      "CREATE SEQUENCE ticket_no;",
      "ALTER SEQUENCE ticket_no OWNER TO finance;",
    ].join("\n");
    expect(await findingsOf("change-owner", sql)).toEqual([]);
  });

  it("does not report other ALTERs, nor grants (grant-revoke's)", async () => {
    expect(await findingsOf("change-owner", "ALTER TABLE invoices SET SCHEMA billing;\nGRANT SELECT ON invoices TO reporting;\nALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO reporting;")).toEqual([]);
  });
});
