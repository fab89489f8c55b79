import { describe, expect, it } from "vitest";
import { lintSql } from "../helpers/migrations";

/** Statements on a column that an earlier statement of the same migration added to an existing table. */
describe("a column added earlier in the same migration", () => {
  it("is new: changing its default, dropping it, renaming it or its NOT NULL is not reported", async () => {
    const sql = [
      "ALTER TABLE customers ADD COLUMN tier text;",
      "ALTER TABLE customers ALTER COLUMN tier SET DEFAULT 'free';",
      "ALTER TABLE customers ALTER COLUMN tier DROP NOT NULL;",
      "ALTER TABLE customers RENAME COLUMN tier TO plan;",
      "ALTER TABLE customers ADD COLUMN scratch text;",
      "ALTER TABLE customers DROP COLUMN scratch;",
    ].join("\n");
    const [linted] = await lintSql(sql);
    expect(linted.findings.map((f) => f.rule)).toEqual([]);
  });

  it("stays old in a later migration", async () => {
    const linted = await lintSql(["ALTER TABLE customers ADD COLUMN tier text;", "ALTER TABLE customers DROP COLUMN tier;"]);
    expect(linted[1].findings.map((f) => f.rule)).toEqual(["drop-column"]);
  });
});
