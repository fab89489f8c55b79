import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("vacuum-full", () => {
  it("reports VACUUM FULL of a table and of the whole database", async () => {
    const findings = await findingsOf("vacuum-full", "VACUUM FULL orders;\nVACUUM (FULL, ANALYZE);", { noTransaction: true });
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "1:1 high VACUUM FULL orders rewrites the table under an ACCESS EXCLUSIVE lock that blocks reads and writes until it ends.",
        "2:1 high VACUUM FULL without a table rewrites every table of the database, each under an ACCESS EXCLUSIVE lock.",
      ]
    `);
  });

  it("does not report a plain VACUUM", async () => {
    expect(await findingsOf("vacuum-full", "VACUUM ANALYZE orders;", { noTransaction: true })).toEqual([]);
  });
});

describe("vacuum-full option values", () => {
  it("reads FULL's value: FULL false (or off, 0) is a plain VACUUM", async () => {
    for (const sql of ["VACUUM (FULL false) orders;", "VACUUM (FULL off, ANALYZE) orders;", "VACUUM (FULL 0) orders;"]) {
      expect(await findingsOf("vacuum-full", sql, { noTransaction: true }), sql).toEqual([]);
    }
    for (const sql of ["VACUUM (FULL true) orders;", "VACUUM (FULL on) orders;", "VACUUM (FULL 1) orders;", "VACUUM (FULL) orders;"]) {
      expect(await findingsOf("vacuum-full", sql, { noTransaction: true }), sql).toHaveLength(1);
    }
  });
});
