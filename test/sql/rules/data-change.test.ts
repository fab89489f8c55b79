import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("data-change", () => {
  it("reports an UPDATE or DELETE with a WHERE on an existing table", async () => {
    const sql = "UPDATE customers SET plan = 'free' WHERE plan IS NULL;\nDELETE FROM sessions WHERE expires_at < now();";
    expect(describeFindings(await findingsOf("data-change", sql))).toMatchInlineSnapshot(`
      [
        "1:8 medium UPDATE customers changes existing rows; how many depends on the data.",
        "2:13 medium DELETE FROM sessions changes existing rows; how many depends on the data.",
      ]
    `);
  });

  it("leaves statements without WHERE to the rules that say it is every row", async () => {
    expect(await findingsOf("data-change", "UPDATE customers SET plan = 'free';\nDELETE FROM sessions;")).toEqual([]);
  });

  it("does not report a table created earlier in the same migration", async () => {
    expect(await findingsOf("data-change", "CREATE TABLE tags (name text);\nINSERT INTO tags VALUES ('a');\nDELETE FROM tags WHERE name = 'a';")).toEqual([]);
  });
});
