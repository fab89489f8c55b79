import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("truncate", () => {
  it("reports TRUNCATE of existing tables, and what CASCADE adds", async () => {
    const findings = await findingsOf("truncate", "TRUNCATE sessions, audit_log CASCADE;");
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "1:10 high TRUNCATE sessions deletes every row of the table. CASCADE also empties every table that references it.",
        "1:20 high TRUNCATE audit_log deletes every row of the table. CASCADE also empties every table that references it.",
      ]
    `);
  });

  it("does not report a table created earlier in the same migration", async () => {
    expect(await findingsOf("truncate", "CREATE TABLE import_buffer (line text);\nTRUNCATE import_buffer;")).toEqual([]);
  });

  it("does not report a DELETE with a WHERE", async () => {
    expect(await findingsOf("truncate", "DELETE FROM sessions WHERE expires_at < now();")).toEqual([]);
  });
});
