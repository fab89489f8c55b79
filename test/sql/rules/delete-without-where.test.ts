import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("delete-without-where", () => {
  it("reports a DELETE without WHERE on an existing table, at the table name", async () => {
    expect(describeFindings(await findingsOf("delete-without-where", "DELETE FROM sessions;"))).toMatchInlineSnapshot(`
      [
        "1:13 high DELETE FROM sessions has no WHERE: it deletes every row.",
      ]
    `);
  });

  it("counts a WHERE that is always true as no WHERE", async () => {
    const sql = [
      "DELETE FROM sessions WHERE true;",
      "DELETE FROM sessions WHERE 1 = 1;",
      "DELETE FROM sessions WHERE 'a' = 'a' OR id = 42;",
      "DELETE FROM sessions WHERE NOT false AND 't'::boolean;",
    ].join("\n");
    const findings = await findingsOf("delete-without-where", sql);
    expect(findings.map((f) => f.line)).toEqual([1, 2, 3, 4]);
    expect(findings[0].message).toBe("DELETE FROM sessions has a WHERE that is always true: it deletes every row.");
  });

  it("does not report a WHERE that only looks constant", async () => {
    const sql = [
      "DELETE FROM sessions WHERE 1 = 0 OR id = 42;",
      "DELETE FROM sessions WHERE id = id;",
      "DELETE FROM sessions WHERE true AND id = 42;",
    ].join("\n");
    expect(await findingsOf("delete-without-where", sql)).toEqual([]);
  });

  it("does not report a DELETE with a WHERE", async () => {
    expect(await findingsOf("delete-without-where", "DELETE FROM sessions WHERE expires_at < now();")).toEqual([]);
  });

  it("does not report a table created earlier in the same migration", async () => {
    expect(await findingsOf("delete-without-where", "CREATE TABLE staging_rows (id int);\nDELETE FROM staging_rows;")).toEqual([]);
  });
});
