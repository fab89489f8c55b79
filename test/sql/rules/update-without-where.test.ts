import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("update-without-where", () => {
  it("reports an UPDATE without WHERE on an existing table", async () => {
    expect(describeFindings(await findingsOf("update-without-where", "UPDATE customers SET newsletter = false;"))).toMatchInlineSnapshot(`
      [
        "1:8 high UPDATE customers has no WHERE: it rewrites every row.",
      ]
    `);
  });

  it("does not report an UPDATE with a WHERE", async () => {
    expect(await findingsOf("update-without-where", "UPDATE customers SET newsletter = false WHERE id = 42;")).toEqual([]);
  });

  it("does not report a table created earlier in the same migration", async () => {
    expect(await findingsOf("update-without-where", "CREATE TABLE flags (on_off boolean);\nUPDATE flags SET on_off = true;")).toEqual([]);
  });
});
