import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("rename-schema", () => {
  it("reports ALTER SCHEMA ... RENAME TO", async () => {
    expect(describeFindings(await findingsOf("rename-schema", "ALTER SCHEMA billing RENAME TO invoicing;"))).toEqual([
      "1:1 medium ALTER SCHEMA billing RENAME TO invoicing breaks every client that names the schema.",
    ]);
  });

  it("does not report other renames or a new schema", async () => {
    expect(await findingsOf("rename-schema", "ALTER TABLE orders RENAME TO purchases;\nCREATE SCHEMA invoicing;")).toEqual([]);
  });
});
