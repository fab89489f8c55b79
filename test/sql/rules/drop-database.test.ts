import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("drop-database", () => {
  it("reports DROP DATABASE", async () => {
    expect(describeFindings(await findingsOf("drop-database", "DROP DATABASE analytics;", { noTransaction: true }))).toMatchInlineSnapshot(`
      [
        "1:1 high DROP DATABASE analytics deletes a whole database.",
      ]
    `);
  });

  it("does not report dropping a schema or a table", async () => {
    expect(await findingsOf("drop-database", "CREATE TABLE t (id int);\nDROP TABLE t;")).toEqual([]);
  });
});
