import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("grant-revoke", () => {
  it("reports GRANT, REVOKE and ALTER DEFAULT PRIVILEGES", async () => {
    const sql = [
      "GRANT SELECT ON customers TO reporting;",
      "REVOKE UPDATE ON orders FROM app;",
      "GRANT reporting TO analyst;",
      "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO reporting;",
    ].join("\n");
    expect(describeFindings(await findingsOf("grant-revoke", sql))).toMatchInlineSnapshot(`
      [
        "1:1 medium GRANT in a migration changes access outside the stack's declared roles and grants.",
        "2:1 medium REVOKE in a migration changes access outside the stack's declared roles and grants: if the application's role loses access, the application fails.",
        "3:1 medium GRANT in a migration changes access outside the stack's declared roles and grants.",
        "4:1 medium ALTER DEFAULT PRIVILEGES in a migration changes access outside the stack's declared roles and grants.",
      ]
    `);
  });

  it("does not report a migration without access changes", async () => {
    expect(await findingsOf("grant-revoke", "CREATE TABLE t (id int);")).toEqual([]);
  });
});
