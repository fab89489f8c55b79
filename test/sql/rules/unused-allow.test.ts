import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf, lintSql } from "../../helpers/migrations";

describe("unused-allow", () => {
  it("reports a directive whose rule finds nothing on its statement, at the directive", async () => {
    const sql = "-- dbpipe:allow drop-table sessions moved to Redis\nCREATE TABLE sessions_archive (id bigint);\nDROP TABLE sessions;";
    const [m] = await lintSql(sql);
    expect(m.findings.map((f) => [f.rule, f.severity, f.acknowledged])).toEqual([
      ["unused-allow", "low", false],
      ["drop-table", "high", false],
    ]);
    expect(describeFindings(m.findings.slice(0, 1))).toMatchInlineSnapshot(`
      [
        "1:1 low dbpipe:allow drop-table acknowledges nothing: drop-table reports nothing on the statement it stands beside (line 2).",
      ]
    `);
    expect([m.findings[0].endLine, m.findings[0].endColumn]).toEqual([1, 51]);
  });

  it("reports each unused rule of a directive naming several", async () => {
    const findings = await findingsOf("unused-allow", "DROP INDEX orders_old; -- dbpipe:allow drop-index,drop-table reviewed");
    expect(findings.map((f) => f.message)).toEqual([expect.stringContaining("dbpipe:allow drop-table acknowledges nothing")]);
  });

  it("reports a block-comment directive the same way", async () => {
    expect(await findingsOf("unused-allow", "/* dbpipe:allow truncate reviewed */\nSELECT 1;")).toHaveLength(1);
  });

  it("does not report a directive that acknowledges a finding", async () => {
    expect(await findingsOf("unused-allow", "-- dbpipe:allow drop-table reviewed\nDROP TABLE sessions;")).toEqual([]);
  });

  it("does not report a directive for a rule the stack turned off, or when unused-allow itself is off", async () => {
    const sql = "-- dbpipe:allow drop-table reviewed\nSELECT 1;";
    expect(await findingsOf("unused-allow", sql, { ruleSeverity: { "drop-table": "off" } })).toEqual([]);
    expect(await findingsOf("unused-allow", sql, { ruleSeverity: { "unused-allow": "off" } })).toEqual([]);
  });

  it("does not report a once-per-migration rule already reported on an earlier statement", async () => {
    const sql = "ALTER TABLE a ADD COLUMN x int;\n-- dbpipe:allow missing-lock-timeout reviewed\nALTER TABLE b ADD COLUMN y int;";
    expect(await findingsOf("unused-allow", sql, { lockTimeoutMs: 0 })).toEqual([]);
  });

  it("can itself be acknowledged", async () => {
    const [finding] = await findingsOf("unused-allow", "-- dbpipe:allow drop-table,unused-allow kept for the follow-up migration\nSELECT 1;");
    expect(finding.acknowledged).toBe(true);
  });
});
