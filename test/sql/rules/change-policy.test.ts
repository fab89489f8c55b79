import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("change-policy", () => {
  it("reports ALTER POLICY on an existing table, saying what it changes", async () => {
    const sql = [
      "ALTER POLICY tenant ON invoices USING (true);",
      "ALTER POLICY tenant ON invoices USING (tenant = current_setting('app.tenant')) WITH CHECK (tenant = current_setting('app.tenant'));",
      "ALTER POLICY tenant ON invoices TO reporting;",
    ].join("\n");
    expect(describeFindings(await findingsOf("change-policy", sql))).toMatchInlineSnapshot(`
      [
        "1:24 medium ALTER POLICY tenant ON invoices: USING (true) shows the roles it applies to every row, from the moment the migration commits.",
        "2:24 medium ALTER POLICY tenant ON invoices: a new USING changes which rows the roles it applies to read, update and delete; a new WITH CHECK changes which rows they may write, from the moment the migration commits.",
        "3:24 medium ALTER POLICY tenant ON invoices: new roles change whom it applies to, from the moment the migration commits.",
      ]
    `);
  });

  it("reports a policy dropped and created again, which drop-object leaves alone", async () => {
    const sql = "DROP POLICY tenant ON billing.invoices;\nCREATE POLICY tenant ON billing.invoices USING (true);";
    expect(describeFindings(await findingsOf("change-policy", sql))).toMatchInlineSnapshot(`
      [
        "1:1 medium DROP POLICY tenant ON billing.invoices, then CREATE POLICY tenant again: the new policy replaces the old one, so which rows the roles it applies to read and write changes when the migration commits.",
      ]
    `);
    expect(await findingsOf("drop-object", sql)).toEqual([]);
  });

  it("leaves a DROP POLICY that is not followed by a new one to drop-object", async () => {
    expect(await findingsOf("change-policy", "DROP POLICY tenant ON invoices;")).toEqual([]);
    expect(await findingsOf("drop-object", "DROP POLICY tenant ON invoices;")).toHaveLength(1);
  });

  it("does not report a policy or table the migration created, nor a renamed policy", async () => {
    expect(await findingsOf("change-policy", "CREATE POLICY tenant ON invoices USING (false);\nALTER POLICY tenant ON invoices USING (true);")).toEqual([]);
    expect(await findingsOf("change-policy", "CREATE TABLE notes (body text);\nCREATE POLICY p ON notes USING (true);\nDROP POLICY p ON notes;\nCREATE POLICY p ON notes USING (false);")).toEqual([]);
    expect(await findingsOf("change-policy", "CREATE TABLE notes (body text);\nALTER POLICY p ON notes USING (true);")).toEqual([]);
    expect(await findingsOf("change-policy", "ALTER POLICY tenant ON invoices RENAME TO by_tenant;")).toEqual([]);
  });
});
