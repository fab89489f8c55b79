import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

/** A partitioned table, its DEFAULT partition and a partitioned index, in an earlier migration. */const EVENTS = "CREATE TABLE events (id int, at date, user_id int) PARTITION BY RANGE (at);\nCREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\nCREATE TABLE events_default PARTITION OF events DEFAULT;\nCREATE INDEX events_at ON events (at);";

describe("add-unique-constraint", () => {
  it("reports UNIQUE added directly, and a new UNIQUE column", async () => {
    const sql = "ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE (email);\nALTER TABLE customers ADD COLUMN handle text UNIQUE;";
    expect(describeFindings(await findingsOf("add-unique-constraint", sql))).toMatchInlineSnapshot(`
      [
        "1:27 medium ADD CONSTRAINT customers_email_key UNIQUE on customers builds its index under an ACCESS EXCLUSIVE lock.",
        "2:46 medium ADD COLUMN handle ... UNIQUE on customers builds a unique index over the whole table under an ACCESS EXCLUSIVE lock.",
      ]
    `);
  });

  it("does not report UNIQUE USING INDEX over an index built concurrently", async () => {
    const findings = await findingsOf("add-unique-constraint", ["CREATE UNIQUE INDEX CONCURRENTLY customers_email_key ON customers (email);", "ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE USING INDEX customers_email_key;"]);
    expect(findings).toEqual([]);
  });

  it("does not report a table created earlier in the same migration", async () => {
    expect(await findingsOf("add-unique-constraint", "CREATE TABLE handles (name text);\nALTER TABLE handles ADD UNIQUE (name);")).toEqual([]);
  });

  it("on a partitioned table, hints the partition-by-partition pattern instead of USING INDEX on the table", async () => {
    const findings = await findingsOf("add-unique-constraint", [EVENTS, "ALTER TABLE events ADD CONSTRAINT events_key UNIQUE (id, at);"]);
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "1:24 medium ADD CONSTRAINT events_key UNIQUE on events builds its index under an ACCESS EXCLUSIVE lock on events (and a SHARE lock on every partition, blocking writes).",
      ]
    `);
    expect(findings[0].hint).toMatchInlineSnapshot(`"On each partition, CREATE UNIQUE INDEX CONCURRENTLY (in its own \`-- dbpipe:no-transaction\` migration), then ALTER TABLE <partition> ADD CONSTRAINT ... UNIQUE USING INDEX; then ALTER TABLE events ADD CONSTRAINT ... UNIQUE (...): PostgreSQL attaches the partitions' constraints instead of building new indexes, under a brief ACCESS EXCLUSIVE lock on events."`);
  });
});
