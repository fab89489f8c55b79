import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("create-unique-index", () => {
  it("reports CREATE UNIQUE INDEX on an existing table, concurrently or not", async () => {
    expect(describeFindings(await findingsOf("create-unique-index", "CREATE UNIQUE INDEX CONCURRENTLY customers_email_key ON customers (email);", { noTransaction: true })))
      .toMatchInlineSnapshot(`
        [
          "1:57 medium CREATE UNIQUE INDEX customers_email_key on customers fails if the existing rows hold a duplicate, and leaves an INVALID index behind that must be dropped before a retry.",
        ]
      `);
    expect(await findingsOf("create-unique-index", "CREATE UNIQUE INDEX customers_email_key ON customers (email);")).toHaveLength(1);
  });

  it("does not report a plain index, or a unique index on a new table", async () => {
    expect(await findingsOf("create-unique-index", "CREATE INDEX customers_email_idx ON customers (email);")).toEqual([]);
    expect(await findingsOf("create-unique-index", "CREATE TABLE tags (name text);\nCREATE UNIQUE INDEX tags_name_key ON tags (name);")).toEqual([]);
  });
});
