import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import { lintMigration, lintMigrations, parseErrorOf } from "../../src/sql/lint";
import { SettingsError } from "../../src/settings/stack-settings";
import { lintSql, migration } from "../helpers/migrations";

describe("a migration's risk", () => {
  it("is low when nothing is found", async () => {
    const [m] = await lintSql("CREATE TABLE notes (id bigint PRIMARY KEY, body text);\nCREATE INDEX notes_body ON notes (body);\nCOMMENT ON TABLE notes IS 'free text';");
    expect(m).toMatchObject({ risk: "low", findings: [], statements: 3 });
  });

  it("is its highest finding", async () => {
    const [m] = await lintSql("ALTER TABLE customers ADD COLUMN note text;\nALTER TABLE customers DROP COLUMN legacy;\nDROP TABLE sessions;");
    expect(m.findings.map((f) => [f.rule, f.severity])).toEqual([
      ["drop-column", "medium"],
      ["drop-table", "high"],
    ]);
    expect(m.risk).toBe("high");
  });

  it("carries the migration's version, name, file and checksum", async () => {
    const m = migration("DROP TABLE sessions;", { version: "0007", name: "drop_sessions" });
    expect(await lintMigration(m)).toMatchObject({ version: "0007", name: "drop_sessions", file: "migrations/0007_drop_sessions.sql", checksum: m.checksum });
  });
});

describe("positions", () => {
  it("are in the file, also when the up section starts further down", async () => {
    const m = migration("");
    m.up = { text: "SELECT 1;\n\n  DROP TABLE sessions;", line: 4 };
    const [f] = (await lintMigration(m)).findings;
    expect([f.line, f.column, f.endLine, f.endColumn]).toEqual([6, 3, 6, 22]);
    expect(f.sql).toBe("DROP TABLE sessions");
  });

  it("point at their own part of a multi-part ALTER TABLE", async () => {
    const sql = [
      'ALTER TABLE ONLY billing."Invoices"',
      "  ADD COLUMN note text DEFAULT 'a, b',",
      "  ALTER COLUMN total SET NOT NULL, -- the comment, with a comma",
      "  ADD CONSTRAINT positive CHECK (total > 0),",
      "  /* dropped */ DROP COLUMN legacy;",
    ].join("\n");
    const [linted] = await lintSql(sql);
    const at = linted.findings.map((f) => `${f.rule} ${f.line}:${f.column}-${f.endLine}:${f.endColumn}`);
    expect(at).toEqual(["set-not-null 3:3-3:34", "check-without-not-valid 4:7-4:44", "drop-column 5:17-5:35"]);
  });

  it("point at the statement for a single-part ALTER TABLE", async () => {
    const [linted] = await lintSql("ALTER TABLE t\n  DROP COLUMN legacy;");
    expect(linted.findings.map((f) => `${f.line}:${f.column}-${f.endLine}:${f.endColumn}`)).toEqual(["1:1-2:21"]);
  });
});

/** Rule, line and whether it is acknowledged, for each finding of `rules` (and of `unused-allow`) in `sql`. */
async function acknowledgedOf(rules: readonly string[], sql: string): Promise<[string, number, boolean][]> {
  const [m] = await lintSql(sql);
  return m.findings.filter((f) => rules.includes(f.rule) || f.rule === "unused-allow").map((f) => [f.rule, f.line, f.acknowledged]);
}

describe("-- dbpipe:allow", () => {
  it("acknowledges a finding: it stays, marked, and no longer raises the risk", async () => {
    const [m] = await lintSql("-- dbpipe:allow drop-table sessions moved to Redis in 2024; nothing reads this table\nDROP TABLE sessions;\nALTER TABLE customers DROP COLUMN legacy;");
    expect(m.findings.map((f) => [f.rule, f.acknowledged, f.acknowledgedReason])).toEqual([
      ["drop-table", true, "sessions moved to Redis in 2024; nothing reads this table"],
      ["drop-column", false, undefined],
    ]);
    expect(m.risk).toBe("medium");
  });

  it("works at the end of the statement's line, and for several rules at once", async () => {
    const [m] = await lintSql("DROP INDEX orders_old; -- dbpipe:allow drop-index,drop-index-without-concurrently unused since 2023, table is tiny\nDROP TABLE x;");
    expect(m.findings.map((f) => [f.rule, f.acknowledged])).toEqual([
      ["drop-index-without-concurrently", true],
      ["drop-index", true],
      ["drop-table", false],
    ]);
  });

  it("acknowledges only the statement it stands before", async () => {
    const [m] = await lintSql("-- dbpipe:allow drop-table reviewed\nDROP TABLE a;\nDROP TABLE b;");
    expect(m.findings.map((f) => f.acknowledged)).toEqual([true, false]);
    expect(m.risk).toBe("high");
  });

  it("requires a reason", async () => {
    await expect(lintSql("-- dbpipe:allow drop-table\nDROP TABLE a;")).rejects.toThrow(
      "migrations/0001_test.sql:1:1: dbpipe:allow drop-table needs a reason: -- dbpipe:allow drop-table <why this is safe here>",
    );
  });

  it("rejects an unknown rule, suggesting the closest one", async () => {
    const error = await lintSql("-- dbpipe:allow drop-tabel legacy\nDROP TABLE a;").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatchInlineSnapshot(`"migrations/0001_test.sql:1:1: dbpipe:allow names unknown rule "drop-tabel" (did you mean drop-table?); \`dbpipe lint\` prints rule ids beside each finding"`);
  });

  it("works in a block comment, over several lines", async () => {
    const [m] = await lintSql("/* dbpipe:allow drop-table sessions moved to Redis;\n   nothing reads this table */\nDROP TABLE sessions;");
    expect(m.findings.map((f) => [f.rule, f.acknowledged, f.acknowledgedReason])).toEqual([["drop-table", true, "sessions moved to Redis; nothing reads this table"]]);
  });

  it("works inside the statement, but not inside a string", async () => {
    const [m] = await lintSql("ALTER TABLE customers\n  -- dbpipe:allow drop-column unused since 2023\n  DROP COLUMN legacy;\nSELECT '-- dbpipe:allow drop-table not a comment';\nDROP TABLE sessions;");
    expect(m.findings.map((f) => [f.rule, f.acknowledged])).toEqual([
      ["drop-column", true],
      ["drop-table", false],
    ]);
  });

  it("is no directive inside a string literal, standard or E'...', across lines", async () => {
    const acknowledged = await acknowledgedOf(
      ["drop-column"],
      "ALTER TABLE customers DROP COLUMN legacy, ALTER COLUMN note SET DEFAULT '\n-- dbpipe:allow drop-column a string, not a comment\n';\n" +
        "ALTER TABLE orders DROP COLUMN legacy, ALTER COLUMN note SET DEFAULT E'it\\'s\n-- dbpipe:allow drop-column a string, not a comment\n';\n" +
        "ALTER TABLE files DROP COLUMN legacy, ALTER COLUMN path SET DEFAULT name'C:\\' -- dbpipe:allow drop-column a real comment after name'...', where a backslash escapes nothing\n;",
    );
    expect(acknowledged).toEqual([
      ["drop-column", 1, false],
      ["drop-column", 4, false],
      ["drop-column", 7, true],
    ]);
  });

  it("is no directive inside a dollar-quoted body, and a $ inside a name starts no body", async () => {
    const acknowledged = await acknowledgedOf(
      ["unanalyzable-code", "drop-column"],
      "DO $$\nBEGIN\n  -- dbpipe:allow unanalyzable-code the body's own comment, not the migration's\n  PERFORM 1;\nEND $$;\n" +
        "ALTER TABLE prices\n  DROP COLUMN amount$usd$, -- dbpipe:allow drop-column replaced by amount_cents\n  ADD COLUMN note text;\n" +
        "ALTER TABLE taxes DROP COLUMN rate$x$, ALTER COLUMN note SET DEFAULT '$x$ -- dbpipe:allow drop-column inside a string';",
    );
    expect(acknowledged).toEqual([
      ["unanalyzable-code", 1, false],
      ["drop-column", 7, true],
      ["drop-column", 9, false],
    ]);
  });

  it("is no directive inside a block comment, nested or not", async () => {
    const acknowledged = await acknowledgedOf(
      ["drop-table"],
      "/*\n-- dbpipe:allow drop-table commented out\n*/\nDROP TABLE a;\n" +
        "DROP TABLE /* -- dbpipe:allow drop-table inside a block comment */ b;\n" +
        "/* outer /* inner */ dbpipe:allow drop-table still in the outer comment */\nDROP TABLE c;",
    );
    expect(acknowledged).toEqual([
      ["drop-table", 4, false],
      ["drop-table", 5, false],
      ["drop-table", 7, false],
    ]);
  });

  it("checks a block-comment directive like a line comment", async () => {
    await expect(lintSql("/* dbpipe:allow drop-tabel legacy */\nDROP TABLE a;")).rejects.toThrow(/0001_test\.sql:1:1: dbpipe:allow names unknown rule "drop-tabel"/);
    await expect(lintSql("DROP TABLE a;\n/* dbpipe:allow drop-table forgot the statement */")).rejects.toThrow(/0001_test\.sql:2:1: dbpipe:allow is not followed by a statement/);
  });

  it("rejects a directive that no statement follows", async () => {
    await expect(lintSql("DROP TABLE a;\n\n-- dbpipe:allow drop-table forgot the statement")).rejects.toThrow(/0001_test\.sql:3:1: dbpipe:allow is not followed by a statement/);
  });
});

describe("the stack's rule severities", () => {
  it("override a rule's severity, and `off` drops the rule", async () => {
    const [m] = await lintSql("DROP TABLE sessions;\nALTER TABLE customers DROP COLUMN legacy;", { ruleSeverity: { "drop-table": "medium", "drop-column": "off" } });
    expect(m.findings.map((f) => [f.rule, f.severity])).toEqual([["drop-table", "medium"]]);
    expect(m.risk).toBe("medium");
  });

  it("must name rules that exist, each reported by its key", async () => {
    const error = await lintSql("SELECT 1;", { ruleSeverity: { "drop-tabel": "low", "no-such-rule": "off" }, settingsSource: "Pulumi.prod.yaml" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as Error).message).toMatchInlineSnapshot(`
      "Pulumi.prod.yaml: invalid stack settings:
        Pulumi.prod.yaml: dbpipe:ruleSeverity.drop-tabel: no such rule (did you mean drop-table?); \`dbpipe lint\` prints rule ids beside each finding
        Pulumi.prod.yaml: dbpipe:ruleSeverity.no-such-rule: no such rule; \`dbpipe lint\` prints rule ids beside each finding"
    `);
  });
});

describe("what earlier migrations did", () => {
  it("informs later ones: the history of applied migrations gives column types", async () => {
    const applied = migration("CREATE TABLE products (sku varchar(20));", { version: "0001" });
    const pending = migration("ALTER TABLE products ALTER COLUMN sku TYPE text;", { version: "0002" });
    expect((await lintMigrations([pending], { history: [applied] }))[0].findings.map((f) => f.rule)).toEqual(["safe-column-type-change"]);
    expect((await lintMigrations([pending]))[0].findings.map((f) => f.rule)).toEqual(["change-column-type"]);
  });

  it("are linted in version order whatever order they are given in", async () => {
    const create = migration("CREATE TABLE products (sku varchar(20));", { version: "0001" });
    const alter = migration("ALTER TABLE products ALTER COLUMN sku TYPE text;", { version: "0002" });
    expect((await lintMigrations([alter, create])).map((m) => [m.version, m.findings.map((f) => f.rule)])).toEqual([
      ["0001", []],
      ["0002", ["safe-column-type-change"]],
    ]);
  });
});

describe("a table created earlier in the same migration", () => {
  it("is only the table an unqualified name means under the search_path it was created with", async () => {
    const rules = async (sql: string) => (await lintMigrations([migration(sql, { version: "0002" })]))[0].findings.map((f) => f.rule);
    // The tester's case: the DROP names public.events, with its data, not the app.events just created.
    expect(await rules("SET search_path TO app;\nCREATE TABLE events (id bigint PRIMARY KEY, payload text);\nSET search_path TO public;\nDROP TABLE events;")).toContain("drop-table");
    expect(await rules("CREATE TABLE events (id bigint);\nSELECT pg_catalog.set_config('search_path', 'app', false);\nDROP TABLE events;")).toContain("drop-table");
    expect(await rules("CREATE TABLE events (id bigint);\nRESET ALL;\nDROP TABLE events;")).toContain("drop-table");
    // Under one search_path, or named with its schema, it is the new table: nothing to report.
    expect(await rules("SET search_path TO app;\nCREATE TABLE events (id bigint);\nDROP TABLE events;")).not.toContain("drop-table");
    expect(await rules("CREATE TABLE public.events (id bigint);\nSET search_path TO app;\nDROP TABLE public.events;")).not.toContain("drop-table");
    expect(await rules("CREATE TABLE events (id bigint);\nSET lock_timeout = '2s';\nDROP TABLE events;")).not.toContain("drop-table");
  });
});

describe("SQL that does not parse", () => {
  it("is recorded on its migration at its file, line and column; the other migrations are still linted", async () => {
    const [broken, good] = await lintSql(["CREATE TABLE ok (id int);\nDROP TABEL x;", "DROP TABLE ok;"]);
    expect(broken.parseError).toMatchObject({ file: "migrations/0001_test.sql", line: 2, column: 6, message: 'syntax error at or near "TABEL"' });
    expect(broken.findings).toEqual([]);
    expect(good.parseError).toBeUndefined();
    expect(good.findings.map((f) => f.rule)).toContain("drop-table");
  });

  it("gives the parser's error back, with the message it had", async () => {
    const [m] = await lintSql("CREATE TABLE ok (id int);\nDROP TABEL x;");
    expect(parseErrorOf(m.parseError!)).toBeInstanceOf(InputError);
    expect(parseErrorOf(m.parseError!).message).toMatch(/^migrations\/0001_test\.sql:2:6: syntax error at or near "TABEL"\n/);
  });

  it("is recorded in the down section too, at its line in the file", async () => {
    const m = migration("CREATE TABLE ok (id int);\n");
    m.down = { text: "\nDROP TABEL ok;\n", line: 3 };
    expect((await lintMigration(m)).parseError).toMatchObject({ line: 4, column: 6, message: 'syntax error at or near "TABEL"' });
  });

  it("is not looked for in a down section that parses, whose statements are not reported", async () => {
    const m = migration("CREATE TABLE ok (id int);\n");
    m.down = { text: "DROP TABLE ok;\nTRUNCATE other;\n", line: 3 };
    expect((await lintMigration(m)).findings).toEqual([]);
  });
});

describe("CREATE ... IF NOT EXISTS", () => {
  const USERS = "CREATE TABLE users (id bigint PRIMARY KEY, email text);";

  it("of a table an earlier migration created does not make it new: what follows is reported", async () => {
    const later = [
      "CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY, email text);",
      "ALTER TABLE users ADD COLUMN plan text NOT NULL;",
      "CREATE INDEX users_email ON users (email);",
      "TRUNCATE users;",
      "DROP TABLE users;",
    ].join("\n");
    const [, m] = await lintSql([USERS, later]);
    expect(m.findings.map((f) => [f.line, f.rule, f.severity])).toEqual([
      [2, "not-null-column-without-default", "medium"],
      [3, "create-index-without-concurrently", "medium"],
      [4, "truncate", "high"],
      [5, "drop-table", "high"],
    ]);
    expect(m.risk).toBe("high");
  });

  it("of a table no migration mentions does not make it new either: it may exist with data", async () => {
    const [m] = await lintSql("CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY);\nDROP TABLE users;");
    expect(m.findings.map((f) => [f.rule, f.severity])).toEqual([["drop-table", "high"]]);
  });

  it("of a table known to be gone makes it new", async () => {
    const [, m] = await lintSql([USERS, "DROP TABLE users;\nCREATE TABLE IF NOT EXISTS users (id bigint);\nCREATE INDEX users_id ON users (id);\nTRUNCATE users;"]);
    expect(m.findings.map((f) => [f.line, f.rule])).toEqual([[1, "drop-table"]]);
  });

  it("learns nothing about the columns of a table that may already exist", async () => {
    const [, m] = await lintSql(["CREATE TABLE products (sku char(10));", "CREATE TABLE IF NOT EXISTS products (sku varchar(20));\nALTER TABLE products ALTER COLUMN sku TYPE text;"]);
    expect(m.findings.map((f) => f.rule)).toEqual(["change-column-type"]);
  });

  it("of an index does not make it new, so dropping it is reported", async () => {
    const [m] = await lintSql("CREATE TABLE tags (name text);\nCREATE INDEX IF NOT EXISTS tags_name ON tags (name);\nDROP INDEX tags_name;\nCREATE INDEX tags_name2 ON tags (name);\nDROP INDEX tags_name2;");
    expect(m.findings.map((f) => [f.line, f.rule])).toEqual([
      [3, "drop-index-without-concurrently"],
      [3, "drop-index"],
    ]);
  });

  it("CREATE TABLE ... AS and SELECT ... INTO make new tables unless IF NOT EXISTS", async () => {
    const [m] = await lintSql([
      "CREATE TABLE totals AS SELECT 1 AS n;",
      "SELECT 1 AS n INTO snapshot;",
      "CREATE TABLE IF NOT EXISTS archive AS SELECT 1 AS n;",
      "TRUNCATE totals, snapshot, archive;",
    ].join("\n"));
    expect(m.findings.map((f) => [f.rule, f.table])).toEqual([["truncate", "archive"]]);
  });

  it("CREATE OR REPLACE VIEW of an existing view does not make it new", async () => {
    const [, m] = await lintSql(["CREATE VIEW active_users AS SELECT 1 AS id;", "CREATE OR REPLACE VIEW active_users AS SELECT 2 AS id;\nDROP VIEW active_users;"]);
    expect(m.findings.map((f) => f.rule)).toEqual(["drop-object"]);
  });
});

describe("statements PostgreSQL runs inside another (checked on PostgreSQL 15)", () => {
  it("are checked by every rule as if they stood alone: a DELETE in a WITH, the UPDATE that EXPLAIN ANALYZE runs", async () => {
    const [m] = await lintSql("WITH d AS (DELETE FROM sessions RETURNING user_id) UPDATE users SET active = false WHERE id IN (SELECT user_id FROM d);\nEXPLAIN ANALYZE UPDATE users SET active = true;");
    expect(m.findings.map((f) => `${f.rule} ${f.severity} ${f.line}:${f.column} ${f.table}`)).toEqual([
      "bulk-data-change high 1:59 users",
      "delete-without-where high 1:24 sessions",
      "update-without-where high 2:24 users",
    ]);
    expect(m.findings[1]).toMatchObject({ endLine: 1, endColumn: 119, sql: m.findings[0].sql });
  });

  it("are acknowledged by a dbpipe:allow on the statement that holds them", async () => {
    const sql = "-- dbpipe:allow delete-without-where the table is emptied on purpose\nWITH d AS (DELETE FROM sessions RETURNING 1) SELECT count(*) FROM d;";
    const [m] = await lintSql(sql);
    expect(m.findings.map((f) => [f.rule, f.acknowledged])).toEqual([["delete-without-where", true]]);
    expect(m.risk).toBe("low");
  });

  it("are none for a plain EXPLAIN, or a WITH that only reads", async () => {
    const [m] = await lintSql("EXPLAIN DELETE FROM sessions;\nEXPLAIN (ANALYZE false) UPDATE users SET active = true;\nWITH s AS (SELECT * FROM sessions) SELECT count(*) FROM s;");
    expect(m.findings).toEqual([]);
  });
});
