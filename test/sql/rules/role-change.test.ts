import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("role-change", () => {
  it("reports role changes, and a password committed with them", async () => {
    const sql = "CREATE ROLE reporting LOGIN PASSWORD 'hunter2';\nALTER ROLE app SET statement_timeout = '5s';\nDROP ROLE IF EXISTS old_app;";
    expect(describeFindings(await findingsOf("role-change", sql))).toMatchInlineSnapshot(`
      [
        "1:1 medium CREATE ROLE in a migration changes server-wide roles outside the stack's declared roles. It also puts a password in the repository.",
        "2:1 medium ALTER ROLE ... SET in a migration changes server-wide roles outside the stack's declared roles.",
        "3:1 medium DROP ROLE in a migration changes server-wide roles outside the stack's declared roles.",
      ]
    `);
  });

  it("does not report a migration without role changes", async () => {
    expect(await findingsOf("role-change", "CREATE TABLE t (id int);")).toEqual([]);
  });
});
