import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("drop-schema", () => {
  it("reports DROP SCHEMA, saying what CASCADE takes with it", async () => {
    expect(describeFindings(await findingsOf("drop-schema", "DROP SCHEMA reporting CASCADE;"))).toMatchInlineSnapshot(`
      [
        "1:1 high DROP SCHEMA reporting deletes the schema with CASCADE, including every table and row in it.",
      ]
    `);
    expect(describeFindings(await findingsOf("drop-schema", "DROP SCHEMA IF EXISTS staging;"))).toMatchInlineSnapshot(`
      [
        "1:1 high DROP SCHEMA staging deletes the schema.",
      ]
    `);
  });

  it("does not report creating a schema", async () => {
    expect(await findingsOf("drop-schema", "CREATE SCHEMA reporting;")).toEqual([]);
  });
});
