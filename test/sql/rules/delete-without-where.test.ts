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

describe("delete-without-where in a WITH or under EXPLAIN ANALYZE (checked on PostgreSQL 15)", () => {
  it("reports a DELETE in the WITH of a SELECT, INSERT, UPDATE or DELETE, used by the query or not, at its table", async () => {
    const sql = [
      "WITH d AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM d;",
      "WITH d AS (DELETE FROM orders RETURNING *) INSERT INTO orders_archive SELECT * FROM d;",
      "WITH d AS (DELETE FROM sessions) UPDATE users SET active = active WHERE id = 1;",
      "WITH a AS (SELECT 1), b AS (DELETE FROM sessions RETURNING 1) SELECT * FROM a;",
      "WITH d AS (DELETE FROM sessions RETURNING user_id) DELETE FROM users WHERE id = 1;",
    ].join("\n");
    expect(describeFindings(await findingsOf("delete-without-where", sql))).toMatchInlineSnapshot(`
      [
        "1:24 high DELETE FROM orders has no WHERE: it deletes every row.",
        "2:24 high DELETE FROM orders has no WHERE: it deletes every row.",
        "3:24 high DELETE FROM sessions has no WHERE: it deletes every row.",
        "4:41 high DELETE FROM sessions has no WHERE: it deletes every row.",
        "5:24 high DELETE FROM sessions has no WHERE: it deletes every row.",
      ]
    `);
  });

  it("reports the DELETE that EXPLAIN ANALYZE runs, and one in the WITH of its query", async () => {
    const sql = [
      "EXPLAIN ANALYZE DELETE FROM sessions;",
      "EXPLAIN (ANALYZE) DELETE FROM sessions;",
      "EXPLAIN (ANALYZE true, BUFFERS) DELETE FROM sessions WHERE true;",
      "EXPLAIN (COSTS off, ANALYZE on) WITH d AS (DELETE FROM sessions RETURNING id) SELECT 1;",
      "EXPLAIN ANALYZE VERBOSE DELETE FROM sessions;",
    ].join("\n");
    expect(describeFindings(await findingsOf("delete-without-where", sql))).toMatchInlineSnapshot(`
      [
        "1:29 high DELETE FROM sessions has no WHERE: it deletes every row.",
        "2:31 high DELETE FROM sessions has no WHERE: it deletes every row.",
        "3:45 high DELETE FROM sessions has a WHERE that is always true: it deletes every row.",
        "4:56 high DELETE FROM sessions has no WHERE: it deletes every row.",
        "5:37 high DELETE FROM sessions has no WHERE: it deletes every row.",
      ]
    `);
  });

  it("reports a DELETE in the query of COPY (...) TO and of CREATE TABLE ... AS, which run it", async () => {
    const sql = "COPY (DELETE FROM sessions RETURNING id) TO STDOUT;\nCREATE TABLE gone AS WITH d AS (DELETE FROM sessions RETURNING id) SELECT id FROM d;";
    expect((await findingsOf("delete-without-where", sql)).map((f) => `${f.line}:${f.column}`)).toEqual(["1:19", "2:45"]);
  });

  it("does not report what runs nothing: EXPLAIN without ANALYZE, or with ANALYZE false", async () => {
    const sql = [
      "EXPLAIN DELETE FROM sessions;",
      "EXPLAIN (ANALYZE false) DELETE FROM sessions;",
      "EXPLAIN (ANALYZE off, VERBOSE) DELETE FROM sessions;",
      "EXPLAIN (ANALYZE 0) DELETE FROM sessions;",
      "EXPLAIN WITH d AS (DELETE FROM sessions RETURNING id) SELECT 1;",
    ].join("\n");
    expect(await findingsOf("delete-without-where", sql)).toEqual([]);
  });

  it("does not report a WITH that only reads, or a DELETE with a WHERE in a WITH", async () => {
    const sql = "WITH s AS (SELECT * FROM sessions) SELECT count(*) FROM s;\nWITH d AS (DELETE FROM sessions WHERE id = 1 RETURNING id) SELECT 1;";
    expect(await findingsOf("delete-without-where", sql)).toEqual([]);
  });

  it("does not report a DELETE in a WITH that PostgreSQL refuses (not at the top level) and so never runs", async () => {
    const sql = [
      "WITH a AS (WITH d AS (DELETE FROM sessions RETURNING id) SELECT id FROM d) SELECT * FROM a;",
      "SELECT * FROM (WITH d AS (DELETE FROM sessions RETURNING id) SELECT id FROM d) s;",
      "INSERT INTO log WITH d AS (DELETE FROM sessions RETURNING id) SELECT id FROM d;",
      "(WITH d AS (DELETE FROM sessions RETURNING id) SELECT 1) UNION ALL SELECT 2;",
    ].join("\n");
    expect(await findingsOf("delete-without-where", sql)).toEqual([]);
  });

  it("does not report a DELETE in a WITH of a table created earlier in the same migration", async () => {
    expect(await findingsOf("delete-without-where", "CREATE TABLE staging_rows (id int);\nWITH d AS (DELETE FROM staging_rows RETURNING id) SELECT count(*) FROM d;")).toEqual([]);
  });
});
