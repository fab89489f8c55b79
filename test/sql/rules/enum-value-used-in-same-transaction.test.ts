import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("enum-value-used-in-same-transaction", () => {
  it("reports a new enum value used later in the same transactional migration, at the use", async () => {
    const sql = "ALTER TYPE mood ADD VALUE 'sad';\nUPDATE people SET mood = 'sad' WHERE id = 1;";
    expect(describeFindings(await findingsOf("enum-value-used-in-same-transaction", sql))).toEqual([
      "2:26 high 'sad' is added to mood and used on line 2 in the same transaction: PostgreSQL refuses a new enum value until the transaction that added it commits, so the migration fails.",
    ]);
  });

  it("does not report the value used after a COMMIT in a no-transaction migration, in a later migration, or for a new type", async () => {
    const noTx = "-- dbpipe:no-transaction\nBEGIN;\nALTER TYPE mood ADD VALUE 'sad';\nCOMMIT;\nUPDATE people SET mood = 'sad' WHERE id = 1;";
    expect(await findingsOf("enum-value-used-in-same-transaction", noTx, { noTransaction: true })).toEqual([]);
    expect(await findingsOf("enum-value-used-in-same-transaction", ["ALTER TYPE mood ADD VALUE 'sad';", "UPDATE people SET mood = 'sad' WHERE id = 1;"])).toEqual([]);
    expect(await findingsOf("enum-value-used-in-same-transaction", "CREATE TYPE mood AS ENUM ('ok');\nALTER TYPE mood ADD VALUE 'sad';\nSELECT 'sad'::mood;")).toEqual([]);
    expect(await findingsOf("enum-value-used-in-same-transaction", "ALTER TYPE mood ADD VALUE 'sad';\nUPDATE people SET mood = 'ok' WHERE id = 1;")).toEqual([]);
  });

  it("does not count the same text written as another type (a cast, or a column the history knows is not the enum) as a use", async () => {
    const setup = "CREATE TABLE audit_log (id int, message text);\nCREATE TABLE orders (id int, status order_status);";
    const rule = "enum-value-used-in-same-transaction";
    expect(await findingsOf(rule, [setup, "ALTER TYPE order_status ADD VALUE 'shipped';\nINSERT INTO audit_log (id, message) VALUES (1, 'shipped');\nUPDATE audit_log SET message = 'shipped';\nSELECT 'shipped'::text;"])).toEqual([]);
    // Uses of the enum, as PostgreSQL 15 refuses them: the column of its type, a cast to it, a column the history does not know.
    for (const use of ["INSERT INTO orders (id, status) VALUES (1, 'shipped');", "UPDATE orders SET status = 'shipped';", "SELECT 'shipped'::order_status;", "UPDATE invoices SET state = 'shipped';", "SELECT * FROM orders WHERE status = 'shipped';"]) {
      expect({ use, findings: (await findingsOf(rule, [setup, `ALTER TYPE order_status ADD VALUE 'shipped';\n${use}`])).length }).toEqual({ use, findings: 1 });
    }
  });
});

