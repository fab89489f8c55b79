import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("add-primary-key", () => {
  it("reports PRIMARY KEY added directly, and a new PRIMARY KEY column", async () => {
    const sql = "ALTER TABLE audit_log ADD PRIMARY KEY (id);\nALTER TABLE events ADD COLUMN event_id uuid PRIMARY KEY;";
    expect(describeFindings(await findingsOf("add-primary-key", sql))).toMatchInlineSnapshot(`
      [
        "1:27 medium ADD PRIMARY KEY on audit_log builds its index under an ACCESS EXCLUSIVE lock.",
        "2:45 medium ADD COLUMN event_id ... PRIMARY KEY on events builds a unique index over the whole table under an ACCESS EXCLUSIVE lock.",
      ]
    `);
  });

  it("does not report PRIMARY KEY USING INDEX", async () => {
    expect(await findingsOf("add-primary-key", "ALTER TABLE audit_log ADD CONSTRAINT audit_log_pkey PRIMARY KEY USING INDEX audit_log_id_idx;")).toEqual([]);
  });

  it("does not report a table created earlier in the same migration", async () => {
    expect(await findingsOf("add-primary-key", "CREATE TABLE links (id bigint NOT NULL);\nALTER TABLE links ADD PRIMARY KEY (id);")).toEqual([]);
  });
});
