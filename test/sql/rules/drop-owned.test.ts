import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("drop-owned", () => {
  it("reports DROP OWNED BY, with CASCADE", async () => {
    expect(describeFindings(await findingsOf("drop-owned", "DROP OWNED BY legacy_app;\nDROP OWNED BY etl, reporting CASCADE;"))).toMatchInlineSnapshot(`
      [
        "1:1 high DROP OWNED BY legacy_app drops every object the role owns in the database, tables and their rows included, without naming them.",
        "2:1 high DROP OWNED BY etl, reporting drops every object these roles own in the database, tables and their rows included, without naming them. CASCADE also drops everything that depends on them.",
      ]
    `);
  });

  it("does not report REASSIGN OWNED", async () => {
    expect(await findingsOf("drop-owned", "REASSIGN OWNED BY legacy_app TO app_owner;")).toEqual([]);
  });
});
