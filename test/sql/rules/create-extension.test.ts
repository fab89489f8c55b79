import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("create-extension", () => {
  it("reports CREATE EXTENSION of an extension the stack does not declare", async () => {
    expect(describeFindings(await findingsOf("create-extension", "CREATE EXTENSION IF NOT EXISTS pg_trgm;"))).toMatchInlineSnapshot(`
      [
        "1:1 low CREATE EXTENSION pg_trgm: the stack does not declare it in dbpipe:extensions, so the migration role must be allowed to create it on every server.",
      ]
    `);
  });

  it("does not report an extension declared in the stack's dbpipe:extensions", async () => {
    expect(await findingsOf("create-extension", "CREATE EXTENSION IF NOT EXISTS pg_trgm;", { extensions: ["pg_trgm"] })).toEqual([]);
  });
});
