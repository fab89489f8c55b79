import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("drop-not-null", () => {
  it("reports DROP NOT NULL on an existing table", async () => {
    expect(describeFindings(await findingsOf("drop-not-null", "ALTER TABLE customers ALTER COLUMN phone DROP NOT NULL;"))).toMatchInlineSnapshot(`
      [
        "1:1 low DROP NOT NULL on customers.phone: clients may start reading NULLs they do not expect.",
      ]
    `);
  });

  it("does not report SET NOT NULL", async () => {
    expect(await findingsOf("drop-not-null", "CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a SET NOT NULL;")).toEqual([]);
  });
});
