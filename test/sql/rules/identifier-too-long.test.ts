import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("identifier-too-long", () => {
  it("reports each identifier over 63 bytes once, at its place, with the name PostgreSQL keeps", async () => {
    const table = `t_${"x".repeat(62)}`;
    const column = `c_${"é".repeat(31)}`;
    const sql = `CREATE TABLE ${table} (id bigint, "${column}" text);\nCREATE INDEX ${table}_idx ON ${table} (id);`;
    expect(describeFindings(await findingsOf("identifier-too-long", sql))).toEqual([
      `1:14 medium The identifier "${table}" is 64 bytes long: PostgreSQL silently cuts it to 63 bytes ("${table.slice(0, 63)}").`,
      `1:91 medium The identifier "${column}" is 64 bytes long: PostgreSQL silently cuts it to 63 bytes ("c_${"é".repeat(30)}").`,
      `2:14 medium The identifier "${table}_idx" is 68 bytes long: PostgreSQL silently cuts it to 63 bytes ("${table.slice(0, 63)}").`,
      `2:86 medium The identifier "${table}" is 64 bytes long: PostgreSQL silently cuts it to 63 bytes ("${table.slice(0, 63)}").`,
    ]);
  });

  it("reports a short name of wide characters, and one a statement quotes whatever its characters", async () => {
    // 22 characters of three bytes each: 66 bytes, the fewest characters a name over 63 bytes can have.
    const wide = "€".repeat(22);
    const spaced = `a ${"b ".repeat(40)}`;
    const sql = `CREATE TABLE ${wide} (id bigint);\nCREATE TABLE "${spaced}" (id bigint);\nCREATE TABLE ${"€".repeat(21)} (id bigint);`;
    expect((await findingsOf("identifier-too-long", sql)).map((f) => [f.line, f.column])).toEqual([
      [1, 14],
      [2, 14],
    ]);
  });

  it("does not report names of 63 bytes, or long strings and function bodies", async () => {
    const sql = `CREATE TABLE t_${"x".repeat(61)} (id bigint);\nCREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT '${"y".repeat(80)}' $$;`;
    expect(await findingsOf("identifier-too-long", sql)).toEqual([]);
  });
});
