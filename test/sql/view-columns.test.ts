import type { ViewStmt } from "libpg-query";
import { beforeAll, describe, expect, it } from "vitest";
import { nodeAs } from "../../src/sql/ast";
import { loadParser, parseSection } from "../../src/sql/parse";
import { viewColumns } from "../../src/sql/view-columns";
import { freshDatabase, migratorUrl, withClient } from "../helpers/database";

/**
 * viewColumns against PostgreSQL 15, as the role that runs migrations (the database's owner, no
 * superuser): each view is created on the server, and every name viewColumns claims to know must
 * be the one pg_attribute has, at the same position; the names it does not know are listed here,
 * so that a name it starts or stops knowing shows.
 */

const SCHEMA = `
  CREATE TABLE t (a int, b text, c numeric, d date);
  CREATE TYPE pair AS (x int, y text);
  CREATE TABLE p (v pair, arr int[]);
  CREATE FUNCTION f(int) RETURNS int LANGUAGE sql AS 'SELECT $1';
`;

/** SELECT lists (of `FROM t` unless they say otherwise), and the positions whose names are not known. */
const VIEWS: { sql: string; unknown?: number[]; more?: true }[] = [
  { sql: "SELECT a, t.b, public.t.c AS cc, d dd FROM t" },
  { sql: "SELECT count(*), sum(a), pg_catalog.max(c), public.f(1), row_number() OVER (), count(DISTINCT a) AS n2 FROM t" },
  { sql: "SELECT array_agg(a ORDER BY a), sum(a) FILTER (WHERE a > 1) AS s2, max(date_part('year', d)) AS y, min(substring(b, 1, 2)) FROM t" },
  { sql: "SELECT a + 1, 'x' AS x FROM t" },
  { sql: "SELECT 'x', -a AS neg FROM t" },
  { sql: "SELECT a IS NULL, b LIKE 'x%' AS l, a IN (1, 2) AS i, a BETWEEN 1 AND 2 AS bt, NOT true AS n, a > 1 AND a < 3 AS an FROM t" },
  { sql: "SELECT (a > 1) IS TRUE, a FROM t" },
  { sql: "SELECT a::bigint, 'x'::text, 1::int AS n1, CAST('1' AS integer) AS n2, 'x'::varchar(10) AS v1, '2020-01-01'::timestamptz AS ts FROM t" },
  { sql: "SELECT '1'::int4, a::text::int AS a2, interval '1 day', date '2020-01-01', '{1}'::int[] AS arr FROM t" },
  { sql: "SELECT coalesce(a, 0), nullif(a, 0), greatest(a, 1), least(a, 1), ARRAY[a], b COLLATE \"C\" AS bc FROM t" },
  { sql: "SELECT CASE WHEN a > 1 THEN 'x' END, CASE WHEN a > 1 THEN 'x' ELSE b END, CASE WHEN a > 1 THEN b ELSE a::text END AS c3 FROM t" },
  { sql: "SELECT CASE WHEN a > 1 THEN 'x' ELSE 'y'::text END FROM t" },
  { sql: "SELECT EXISTS (SELECT 1), ARRAY(SELECT 1), (SELECT max(a) FROM t), (SELECT 1 AS k UNION SELECT 2), (VALUES (1)) FROM t" },
  { sql: "SELECT (SELECT 1) FROM t" },
  { sql: "SELECT a = ANY (SELECT 1), (v).x, (arr)[1], (ARRAY[a])[1] AS el FROM p, t" },
  { sql: "SELECT grouping(a), a FROM t GROUP BY a" },
  { sql: "SELECT a AS \"Mixed Case\", b AS \"select\" FROM t" },
  // Names the tree does not tell for certain: SQL-syntax functions and the like.
  { sql: "SELECT a, current_user, current_date, extract(year FROM d), b FROM t", unknown: [1, 2, 3] },
  { sql: "SELECT trim(b), position('a' in b) AS p, now() AT TIME ZONE 'UTC', collation for (b) AS cf FROM t", unknown: [0, 2] },
  { sql: "SELECT xmlelement(name foo), a FROM t", unknown: [0] },
  // A * stops what is known, even when the table's columns are known.
  { sql: "SELECT * FROM t", more: true },
  { sql: "SELECT a AS first, t.*, b AS last FROM t", more: true },
  { sql: "SELECT (v).* FROM p", more: true },
  { sql: "TABLE t", more: true },
  // VALUES, set operations (the first SELECT's names), WITH, and no columns at all.
  { sql: "VALUES (1, 'a')" },
  { sql: "SELECT a AS x, b FROM t UNION ALL SELECT a, b AS y FROM t" },
  { sql: "(SELECT a FROM t ORDER BY a LIMIT 1)" },
  { sql: "WITH q AS (SELECT 1 AS z) SELECT z, a FROM q, t" },
  { sql: "SELECT FROM t" },
];

/** Definitions with a column list: CREATE VIEW <name> (<list>) AS .... */
const WITH_LISTS: { sql: string; more?: true }[] = [
  { sql: "(p1) AS SELECT a, b FROM t" },
  { sql: "(p1, p2) AS SELECT a, b FROM t" },
  { sql: "(p1, p2, p3) AS SELECT a, * FROM t", more: true },
];

function parsedView(sql: string): ViewStmt {
  return nodeAs(parseSection({ text: sql, line: 1 }, "test.sql")[0].node, "ViewStmt") as ViewStmt;
}

describe("viewColumns against PostgreSQL 15", () => {
  let url: string;
  beforeAll(async () => {
    await loadParser();
    url = await migratorUrl(await freshDatabase("views"), "views-pw");
    await withClient(url, (c) => c.query(SCHEMA));
  });

  /** The column names PostgreSQL gives the view `sql` creates. */
  async function namesOnServer(name: string, sql: string): Promise<string[]> {
    return withClient(url, async (c) => {
      await c.query(sql);
      const result = await c.query("SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 ORDER BY attnum", [name]);
      return result.rows.map((r) => r.attname as string);
    });
  }

  it("names each column as PostgreSQL does, or says it does not know", async () => {
    const servers: string[] = [];
    for (const [i, view] of VIEWS.entries()) {
      const create = `CREATE VIEW v${i} AS ${view.sql}`;
      const server = await namesOnServer(`v${i}`, create);
      servers.push(server.join(", "));
      const known = viewColumns(parsedView(create));
      const expected = view.more ? server.slice(0, known.names.length) : server.map((n, j) => (view.unknown?.includes(j) ? null : n));
      expect({ sql: view.sql, names: known.names, more: known.more ?? false }).toEqual({ sql: view.sql, names: expected, more: view.more ?? false });
      if (view.more) expect(server.length).toBeGreaterThanOrEqual(known.names.length);
    }
    // What PostgreSQL 15 named them: the names the rule's messages quote.
    expect(servers).toMatchInlineSnapshot(`
      [
        "a, b, cc, dd",
        "count, sum, max, f, row_number, n2",
        "array_agg, s2, y, min",
        "?column?, x",
        "?column?, neg",
        "?column?, l, i, bt, n, an",
        "?column?, a",
        "a, text, n1, n2, v1, ts",
        "int4, a2, interval, date, arr",
        "coalesce, nullif, greatest, least, array, bc",
        "case, b, c3",
        "case",
        "exists, array, max, k, column1",
        "?column?",
        "?column?, x, arr, el",
        "grouping, a",
        "Mixed Case, select",
        "a, current_user, current_date, extract, b",
        "btrim, p, timezone, cf",
        "xmlelement, a",
        "a, b, c, d",
        "first, a, b, c, d, last",
        "x, y",
        "a, b, c, d",
        "column1, column2",
        "x, b",
        "a",
        "z, a",
        "",
      ]
    `);
  });

  it("takes the view's column list first, the SELECT's names after it", async () => {
    for (const [i, view] of WITH_LISTS.entries()) {
      const create = `CREATE VIEW w${i} ${view.sql}`;
      const server = await namesOnServer(`w${i}`, create);
      const known = viewColumns(parsedView(create));
      expect({ names: known.names, more: known.more ?? false }).toEqual({ names: view.more ? server.slice(0, known.names.length) : server, more: view.more ?? false });
    }
  });

  it("knows nothing of a definition PostgreSQL refuses for naming more columns than it has", () => {
    expect(viewColumns(parsedView("CREATE VIEW x (p1, p2, p3) AS SELECT a, b FROM t"))).toEqual({ names: [], more: true });
  });
});
