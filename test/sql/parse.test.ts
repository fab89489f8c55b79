import { beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors";
import { SqlSyntaxError, loadParser, parseSection, parseSectionAhead, parseSqlSection, parseSqlSectionFrom, sectionParserText, statementSpans } from "../../src/sql/parse";
import { parseToJson } from "../../src/sql/parser-wasm";

beforeAll(async () => {
  await loadParser();
});

/** Statements of `text` as [line, column, text] triples, the section starting at `line`. */
function split(text: string, line = 1) {
  return parseSection({ text, line }, "m.sql").map((s) => [s.line, s.column, s.text]);
}

describe("parseSection", () => {
  it("returns no statements for an empty or comment-only section", () => {
    expect(parseSection({ text: "", line: 1 }, "m.sql")).toEqual([]);
    expect(parseSection({ text: "  \n\n", line: 1 }, "m.sql")).toEqual([]);
    expect(parseSection({ text: "-- nothing yet\n/* still nothing */\n", line: 1 }, "m.sql")).toEqual([]);
  });

  it("gives each statement its own text and its line and column in the file", () => {
    const sql = "-- create things\nCREATE TABLE a (id int);\n\n  CREATE INDEX a_id ON a (id); SELECT 1";
    expect(split(sql, 5)).toEqual([
      [6, 1, "CREATE TABLE a (id int)"],
      [8, 3, "CREATE INDEX a_id ON a (id)"],
      [8, 32, "SELECT 1"],
    ]);
  });

  it("names each statement's kind and keeps the parser's node", () => {
    const [s] = parseSection({ text: "CREATE INDEX CONCURRENTLY i ON t (a);", line: 1 }, "m.sql");
    expect(s.kind).toBe("IndexStmt");
    expect(s.node).toMatchObject({ IndexStmt: { idxname: "i", concurrent: true } });
    expect(s.offset).toBe(0);
    expect(s.end).toBe(36);
  });

  it("keeps dollar-quoted function bodies whole, semicolons and all", () => {
    const sql = [
      "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $body$",
      "BEGIN",
      "  NEW.updated_at := now(); -- not the end",
      "  RETURN NEW;",
      "END;",
      "$body$;",
      "DO $$ BEGIN PERFORM 1; END $$;",
    ].join("\n");
    const statements = parseSection({ text: sql, line: 1 }, "m.sql");
    expect(statements.map((s) => s.kind)).toEqual(["CreateFunctionStmt", "DoStmt"]);
    expect(statements[0].text.endsWith("$body$")).toBe(true);
    expect(statements[1].line).toBe(7);
  });

  it("splits Drizzle's output at its statement breakpoints", () => {
    const sql = 'CREATE TABLE "users" (\n\t"id" serial PRIMARY KEY NOT NULL\n);\n--> statement-breakpoint\nCREATE INDEX "users_id" ON "users" ("id");';
    expect(split(sql)).toEqual([
      [1, 1, 'CREATE TABLE "users" (\n\t"id" serial PRIMARY KEY NOT NULL\n)'],
      [5, 1, 'CREATE INDEX "users_id" ON "users" ("id")'],
    ]);
  });

  it("reads Prisma's generated migrations", () => {
    const sql = [
      "-- CreateEnum",
      "CREATE TYPE \"Role\" AS ENUM ('USER', 'ADMIN');",
      "",
      "-- CreateTable",
      'CREATE TABLE "User" (',
      '    "id" SERIAL NOT NULL,',
      '    "role" "Role" NOT NULL DEFAULT \'USER\',',
      '    CONSTRAINT "User_pkey" PRIMARY KEY ("id")',
      ");",
      "",
      "-- CreateIndex",
      'CREATE UNIQUE INDEX "User_email_key" ON "User"("email");',
      "",
    ].join("\n");
    const statements = parseSection({ text: sql, line: 1 }, "prisma/migrations/20240101_init/migration.sql");
    expect(statements.map((s) => [s.kind, s.line])).toEqual([
      ["CreateEnumStmt", 2],
      ["CreateStmt", 5],
      ["IndexStmt", 12],
    ]);
    expect(statements[1].comments.map((c) => c.text)).toEqual(["-- CreateTable"]);
  });

  it("counts columns in characters, not bytes, after non-ASCII text", () => {
    const sql = "COMMENT ON TABLE t IS 'café 😀'; DROP TABLE t;";
    const statements = parseSection({ text: sql, line: 1 }, "m.sql");
    expect(statements[1].column).toBe(sql.indexOf("DROP") + 1);
    expect(statements[1].text).toBe("DROP TABLE t");
  });

  it("maps parser locations inside a statement to the file, after non-ASCII text", () => {
    const parsed = parseSqlSection({ text: "SELECT 'ü';\nALTER TABLE ünïcode ADD COLUMN x int;", line: 10 }, "m.sql");
    const alter = parsed.statements[1].node as { AlterTableStmt: { relation: { location: number } } };
    expect(parsed.positionOf(alter.AlterTableStmt.relation.location)).toMatchObject({ line: 11, column: 13 });
  });

  it("maps parser locations asked in any order, after non-ASCII text", () => {
    const text = "SELECT 'é😀';\nALTER TABLE ünï ADD COLUMN ç int;\nSELECT '😀', 'ß';\nDROP TABLE ünï;";
    const parsed = parseSqlSection({ text, line: 1 }, "m.sql");
    // Every place of a character, by its UTF-8 byte offset, asked last to first, then first to last.
    const places: [number, number][] = [];
    let byte = 0;
    for (let offset = 0; offset < text.length; ) {
      places.push([byte, offset]);
      const point = text.codePointAt(offset) as number;
      byte += Buffer.byteLength(String.fromCodePoint(point), "utf8");
      offset += point >= 0x10000 ? 2 : 1;
    }
    for (const [b, offset] of [...places].reverse()) expect(parsed.positionOf(b).offset).toBe(offset);
    for (const [b, offset] of places) expect(parsed.positionOf(b).offset).toBe(offset);
    for (const [b, offset] of [places[40], places[3], places[55], places[20], places[21]]) expect(parsed.positionOf(b).offset).toBe(offset);
  });

  it("leaves trailing comments and escaped quotes out of the statement's text", () => {
    expect(split("SELECT E'it\\'s; fine' -- note\n;SELECT 2 /* done */")).toEqual([
      [1, 1, "SELECT E'it\\'s; fine'"],
      [2, 2, "SELECT 2"],
    ]);
  });

  it("gives a statement the comments before it and one on the line where it ends", () => {
    const parsed = parseSqlSection({ text: "-- first\nDROP TABLE a; -- same line\n-- next one\nDROP TABLE b;\n-- after everything\n", line: 1 }, "m.sql");
    expect(parsed.statements.map((s) => s.comments.map((c) => [c.line, c.text]))).toEqual([
      [
        [1, "-- first"],
        [2, "-- same line"],
      ],
      [[3, "-- next one"]],
    ]);
    expect(parsed.trailingComments.map((c) => c.text)).toEqual(["-- after everything"]);
  });

  it("ignores a byte order mark", () => {
    expect(split("\uFEFFSELECT 1")).toEqual([[1, 2, "SELECT 1"]]);
  });

  it("reports SQL that does not parse at its file, line and column, with a snippet", () => {
    let error: unknown;
    try {
      parseSection({ text: "CREATE TABLE ok (id int);\nALTER TABEL customers ADD COLUMN note text;", line: 3 }, "migrations/0002_note.sql");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SqlSyntaxError);
    expect(error).toBeInstanceOf(InputError);
    expect((error as SqlSyntaxError).message).toMatchInlineSnapshot(`
      "migrations/0002_note.sql:4:7: syntax error at or near "TABEL"
        4 | ALTER TABEL customers ADD COLUMN note text;
          |       ^"
    `);
    expect((error as SqlSyntaxError).stack).toBeDefined();
  });

  it("places a syntax error after non-ASCII text at the right column", () => {
    expect(() => parseSection({ text: "SELECT '日本語' FORM t;", line: 1 }, "m.sql")).toThrow(/^m\.sql:1:19: syntax error at or near "t"/);
  });

  it("reports unterminated input at its end", () => {
    expect(() => parseSection({ text: "CREATE TABLE t (\n  id int,", line: 1 }, "m.sql")).toThrow(/^m\.sql:2:10: syntax error at end of input/);
  });
});

describe("parsing ahead (the parse-ahead thread's half of a parse)", () => {
  /** SQL whose statements' spans are easy to get wrong when read off the parser's JSON as text. */
  const TRICKY = [
    // Strings and identifiers holding the very text the spans are read by.
    `INSERT INTO t (a) VALUES ('{"stmt":{"x":1},"stmt_location":99,"stmt_len":7}');\nSELECT '\\",\\"stmt_len\\":5' AS "{""stmt"":", E'\\\\",\\"stmt_len\\":3'`,
    // Nested statements that are not top-level ones: a rule's actions, CREATE SCHEMA's elements, EXPLAIN, a function body.
    "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO u VALUES (1); UPDATE u SET a = 2);\nCREATE SCHEMA s CREATE TABLE s.a (i int) CREATE VIEW s.v AS SELECT 1;\nEXPLAIN SELECT 1;",
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; SELECT 2 $$; -- after it\n/* between */ SELECT 3",
    // Non-ASCII text before and between statements, several on one line, no final semicolon.
    "-- 'é' 😀\nCREATE TABLE \"tä\" (\"ü\" text DEFAULT 'ß'); SELECT 'ñ'; SELECT 1\n",
    // A directive inside a statement and one after it on its line.
    "ALTER TABLE t\n  -- dbpipe:allow drop-column: gone\n  DROP COLUMN c; -- dbpipe:allow table-lock: small\nSELECT 1;;\n-- the end\n",
  ];

  it("gives an empty text no statements, as it does a blank one", () => {
    for (const sql of ["", " ", "-- only a comment"]) {
      const answer = parseToJson(sql);
      if (answer.error) throw new Error(`${JSON.stringify(sql)}: ${answer.error.message}`);
      expect((JSON.parse(answer.tree) as { stmts: unknown[] }).stmts, JSON.stringify(sql)).toEqual([]);
      expect(statementSpans(answer.tree)).toEqual([]);
    }
  });

  it("reads each statement's span off the parser's JSON as the tree gives it", () => {
    for (const sql of TRICKY) {
      const answer = parseToJson(sql);
      if (answer.error) throw new Error(`${sql}: ${answer.error.message}`);
      const tree = JSON.parse(answer.tree) as { stmts: { stmt?: unknown; stmt_location?: number; stmt_len?: number }[] };
      const fromTree = tree.stmts.map((s) => ({ location: s.stmt_location ?? 0, length: s.stmt_len ?? 0, node: s.stmt !== undefined }));
      expect(statementSpans(answer.tree), sql).toEqual(fromTree);
    }
  });

  it("gives, from what it sends, the statements and comments a parse in one thread gives", () => {
    for (const sql of TRICKY) {
      const section = { text: sql, line: 3 };
      const here = parseSqlSection(section, "m.sql");
      const ahead = parseSqlSectionFrom(section, "m.sql", parseSectionAhead(sectionParserText(section) as string));
      expect(ahead.statements, sql).toEqual(here.statements);
      expect(ahead.trailingComments, sql).toEqual(here.trailingComments);
      for (const s of here.statements) expect(ahead.positionOf(Buffer.byteLength(sql.slice(0, s.end), "utf8"))).toEqual(here.positionOf(Buffer.byteLength(sql.slice(0, s.end), "utf8")));
    }
  });
});
