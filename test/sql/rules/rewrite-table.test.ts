import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("rewrite-table", () => {
  it("reports SET TABLESPACE, SET LOGGED and SET UNLOGGED on existing tables", async () => {
    const sql = "ALTER TABLE events SET TABLESPACE fast_ssd;\nALTER TABLE import_rows SET LOGGED;\nALTER TABLE cache SET UNLOGGED;";
    expect(describeFindings(await findingsOf("rewrite-table", sql))).toMatchInlineSnapshot(`
      [
        "1:1 high ALTER TABLE events SET TABLESPACE copies the whole table under an ACCESS EXCLUSIVE lock that blocks reads and writes.",
        "2:1 high ALTER TABLE import_rows SET LOGGED copies the whole table under an ACCESS EXCLUSIVE lock that blocks reads and writes.",
        "3:1 high ALTER TABLE cache SET UNLOGGED copies the whole table under an ACCESS EXCLUSIVE lock that blocks reads and writes.",
      ]
    `);
  });

  it("does not report storage parameters, which need no rewrite", async () => {
    expect(await findingsOf("rewrite-table", "ALTER TABLE events SET (autovacuum_vacuum_scale_factor = 0.01);")).toEqual([]);
  });

  it("does not report a table created earlier in the same migration", async () => {
    expect(await findingsOf("rewrite-table", "CREATE TABLE import_rows (line text);\nALTER TABLE import_rows SET UNLOGGED;")).toEqual([]);
  });
});
