import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("update-without-where", () => {
  it("reports an UPDATE without WHERE on an existing table", async () => {
    expect(describeFindings(await findingsOf("update-without-where", "UPDATE customers SET newsletter = false;"))).toMatchInlineSnapshot(`
      [
        "1:8 high UPDATE customers has no WHERE: it rewrites every row.",
      ]
    `);
  });

  it("counts a WHERE that is always true as no WHERE", async () => {
    const sql = [
      "UPDATE customers SET newsletter = false WHERE true;",
      "UPDATE customers SET newsletter = false WHERE 1 = 1;",
      "UPDATE customers SET newsletter = false WHERE 'a' = 'a' OR id = 42;",
      "UPDATE customers SET newsletter = false WHERE NOT false AND 't'::boolean;",
    ].join("\n");
    const findings = await findingsOf("update-without-where", sql);
    expect(findings.map((f) => f.line)).toEqual([1, 2, 3, 4]);
    expect(findings[0].message).toBe("UPDATE customers has a WHERE that is always true: it rewrites every row.");
  });

  it("does not report a WHERE that only looks constant", async () => {
    const sql = [
      "UPDATE customers SET newsletter = false WHERE 1 = 0 OR id = 42;",
      "UPDATE customers SET newsletter = false WHERE id = id;",
      "UPDATE customers SET newsletter = false WHERE true AND id = 42;",
    ].join("\n");
    expect(await findingsOf("update-without-where", sql)).toEqual([]);
  });

  it("does not report an UPDATE with a WHERE", async () => {
    expect(await findingsOf("update-without-where", "UPDATE customers SET newsletter = false WHERE id = 42;")).toEqual([]);
  });

  it("does not report a table created earlier in the same migration", async () => {
    expect(await findingsOf("update-without-where", "CREATE TABLE flags (on_off boolean);\nUPDATE flags SET on_off = true;")).toEqual([]);
  });
});

describe("update-without-where in a WITH or under EXPLAIN ANALYZE (checked on PostgreSQL 15)", () => {
  it("reports an UPDATE in a WITH, and the UPDATE that EXPLAIN ANALYZE runs, at its table", async () => {
    const sql = [
      "WITH x AS (UPDATE users SET active = false RETURNING id) SELECT count(*) FROM x;",
      "WITH u AS (UPDATE users SET active = false RETURNING id) INSERT INTO log SELECT id FROM u;",
      "EXPLAIN (ANALYZE) UPDATE users SET active = true;",
      "EXPLAIN (ANALYZE true, COSTS off) UPDATE users SET active = true;",
    ].join("\n");
    expect(describeFindings(await findingsOf("update-without-where", sql))).toMatchInlineSnapshot(`
      [
        "1:19 high UPDATE users has no WHERE: it rewrites every row.",
        "2:19 high UPDATE users has no WHERE: it rewrites every row.",
        "3:26 high UPDATE users has no WHERE: it rewrites every row.",
        "4:42 high UPDATE users has no WHERE: it rewrites every row.",
      ]
    `);
  });

  it("does not report a plain EXPLAIN, or a WITH that only reads", async () => {
    const sql = "EXPLAIN UPDATE users SET active = true;\nEXPLAIN (ANALYZE false) UPDATE users SET active = true;\nWITH u AS (SELECT id FROM users) SELECT count(*) FROM u;";
    expect(await findingsOf("update-without-where", sql)).toEqual([]);
  });
});
