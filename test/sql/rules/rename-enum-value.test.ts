import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("rename-enum-value", () => {
  it("reports renaming a value of an existing enum", async () => {
    expect(describeFindings(await findingsOf("rename-enum-value", "ALTER TYPE order_status RENAME VALUE 'shipped' TO 'dispatched';"))).toMatchInlineSnapshot(`
      [
        "1:1 medium ALTER TYPE order_status RENAME VALUE 'shipped' TO 'dispatched' breaks clients that still use 'shipped'.",
      ]
    `);
  });

  it("does not report adding a value", async () => {
    expect(await findingsOf("rename-enum-value", "ALTER TYPE order_status ADD VALUE 'returned';")).toEqual([]);
  });

  it("does not report an enum created earlier in the same migration", async () => {
    expect(await findingsOf("rename-enum-value", "CREATE TYPE mood AS ENUM ('happy', 'sad');\nALTER TYPE mood RENAME VALUE 'sad' TO 'blue';")).toEqual([]);
  });
});
