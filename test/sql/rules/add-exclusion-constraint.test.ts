import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("add-exclusion-constraint", () => {
  it("reports ADD CONSTRAINT ... EXCLUDE on an existing table", async () => {
    const sql = "ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);";
    expect(describeFindings(await findingsOf("add-exclusion-constraint", sql))).toMatchInlineSnapshot(`
      [
        "1:26 medium ADD CONSTRAINT no_overlap EXCLUDE on bookings builds its index and checks every row under an ACCESS EXCLUSIVE lock that blocks reads and writes.",
      ]
    `);
  });

  it("does not report it on a table created in the same migration, nor other constraints", async () => {
    expect(await findingsOf("add-exclusion-constraint", "CREATE TABLE rooms (room int, during tstzrange);\nALTER TABLE rooms ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);")).toEqual([]);
    expect(await findingsOf("add-exclusion-constraint", "ALTER TABLE bookings ADD CONSTRAINT positive CHECK (room > 0) NOT VALID;")).toEqual([]);
  });
});
