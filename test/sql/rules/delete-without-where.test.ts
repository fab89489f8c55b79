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

  it("does not report a DELETE with a WHERE", async () => {
    expect(await findingsOf("delete-without-where", "DELETE FROM sessions WHERE expires_at < now();")).toEqual([]);
  });

  it("does not report a table created earlier in the same migration", async () => {
    expect(await findingsOf("delete-without-where", "CREATE TABLE staging_rows (id int);\nDELETE FROM staging_rows;")).toEqual([]);
  });
});
