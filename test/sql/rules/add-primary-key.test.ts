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

  it("reports PRIMARY KEY USING INDEX over a column the history knows may hold NULLs, which PostgreSQL scans under the lock", async () => {
    const table = "CREATE TABLE legacy_orders (ref text, n int NOT NULL);\nCREATE UNIQUE INDEX legacy_orders_ref_idx ON legacy_orders (ref);\nCREATE UNIQUE INDEX legacy_orders_n_idx ON legacy_orders (n);";
    const pk = (index: string) => `ALTER TABLE legacy_orders ADD CONSTRAINT legacy_orders_pkey PRIMARY KEY USING INDEX ${index};`;
    expect(describeFindings(await findingsOf("add-primary-key", [table, pk("legacy_orders_ref_idx")]))).toEqual([
      "1:31 medium ADD PRIMARY KEY USING INDEX legacy_orders_ref_idx on legacy_orders makes ref NOT NULL: PostgreSQL scans the whole table for NULLs under an ACCESS EXCLUSIVE lock, and fails if a row holds one.",
    ]);
    // Already NOT NULL, or proved so by a validated CHECK: no scan (PostgreSQL 15's DEBUG1 says "existing constraints ... are sufficient").
    expect(await findingsOf("add-primary-key", [table, pk("legacy_orders_n_idx")])).toEqual([]);
    expect(await findingsOf("add-primary-key", [table, "ALTER TABLE legacy_orders ADD CONSTRAINT ref_nn CHECK (ref IS NOT NULL) NOT VALID;", "ALTER TABLE legacy_orders VALIDATE CONSTRAINT ref_nn;", pk("legacy_orders_ref_idx")])).toEqual([]);
    // An index the history does not know, or on an expression: nothing to say.
    expect(await findingsOf("add-primary-key", [table, pk("other_idx")])).toEqual([]);
  });
});

