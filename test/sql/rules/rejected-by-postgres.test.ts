import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

/** A partitioned table with two partitions, one of them the DEFAULT, in an earlier migration. */
const EVENTS = [
  "CREATE TABLE events (id int, at date, user_id int) PARTITION BY RANGE (at);",
  "CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
  "CREATE TABLE events_default PARTITION OF events DEFAULT;",
  "CREATE INDEX events_at ON events (at);",
  "CREATE INDEX events_2025_id ON events_2025 (id);",
].join("\n");

async function rejected(sql: string, setup = EVENTS): Promise<string[]> {
  return describeFindings(await findingsOf("rejected-by-postgres", [setup, sql], { noTransaction: true }));
}

describe("rejected-by-postgres", () => {
  it("reports CREATE INDEX CONCURRENTLY on a partitioned table, with the ON ONLY pattern as its hint", async () => {
    const findings = await findingsOf("rejected-by-postgres", [EVENTS, "CREATE UNIQUE INDEX CONCURRENTLY events_id ON events (id, at);"], { noTransaction: true });
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "1:47 high CREATE UNIQUE INDEX CONCURRENTLY events_id on events fails: events is partitioned, and PostgreSQL cannot create an index on a partitioned table concurrently.",
      ]
    `);
    expect(findings[0].hint).toMatchInlineSnapshot(
      `"PostgreSQL cannot build an index on a partitioned table CONCURRENTLY; build it in parts: CREATE UNIQUE INDEX events_id ON ONLY events (...) (instant: an invalid index on the parent alone), then CREATE UNIQUE INDEX CONCURRENTLY of the same columns on each partition (each in its own \`-- dbpipe:no-transaction\` migration), then ALTER INDEX events_id ATTACH PARTITION <partition's index> for each: events_id becomes valid once every partition's index is attached."`,
    );
  });

  it("reports it for a table partitioned earlier in the same migration too", async () => {
    expect(await rejected("CREATE TABLE logs (at date) PARTITION BY RANGE (at);\nCREATE INDEX CONCURRENTLY logs_at ON logs (at);", "SELECT 1;")).toHaveLength(1);
  });

  it("does not report CREATE INDEX CONCURRENTLY on a partition, a plain table, or a table it knows nothing of", async () => {
    expect(await rejected("CREATE INDEX CONCURRENTLY events_2025_at ON events_2025 (at);")).toEqual([]);
    expect(await rejected("CREATE INDEX CONCURRENTLY orders_at ON orders (at);", "CREATE TABLE orders (at date);")).toEqual([]);
    expect(await rejected("CREATE INDEX CONCURRENTLY logs_at ON logs (at);")).toEqual([]);
  });

  it("reports a NOT VALID foreign key on a partitioned table, with the partition-by-partition pattern", async () => {
    const findings = await findingsOf("rejected-by-postgres", [EVENTS, "ALTER TABLE events ADD CONSTRAINT events_user_fk FOREIGN KEY (user_id) REFERENCES users NOT VALID;"]);
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "1:24 high ADD CONSTRAINT events_user_fk FOREIGN KEY ... NOT VALID on events fails: events is partitioned, and PostgreSQL 15 refuses a NOT VALID foreign key on a partitioned table.",
      ]
    `);
    expect(findings[0].hint).toMatchInlineSnapshot(
      `"Add it partition by partition: ALTER TABLE <partition> ADD CONSTRAINT <name> FOREIGN KEY ... NOT VALID on each partition, VALIDATE CONSTRAINT each in a later migration, then ALTER TABLE events ADD CONSTRAINT <name> FOREIGN KEY ... (without NOT VALID): PostgreSQL attaches the partitions' validated constraints instead of checking their rows again."`,
    );
  });

  it("does not report a NOT VALID foreign key on a partition or an unknown table", async () => {
    expect(await rejected("ALTER TABLE events_2025 ADD FOREIGN KEY (user_id) REFERENCES users NOT VALID;")).toEqual([]);
    expect(await rejected("ALTER TABLE logs ADD FOREIGN KEY (user_id) REFERENCES users NOT VALID;")).toEqual([]);
  });

  it("reports ADD CONSTRAINT ... USING INDEX on a partitioned table", async () => {
    expect(await rejected("ALTER TABLE events ADD CONSTRAINT events_key UNIQUE USING INDEX events_key;\nALTER TABLE events ADD PRIMARY KEY USING INDEX events_pk;")).toMatchInlineSnapshot(`
      [
        "1:24 high ADD CONSTRAINT events_key UNIQUE USING INDEX on events fails: events is partitioned, and PostgreSQL does not support ADD CONSTRAINT ... USING INDEX on partitioned tables.",
        "2:24 high ADD PRIMARY KEY USING INDEX on events fails: events is partitioned, and PostgreSQL does not support ADD CONSTRAINT ... USING INDEX on partitioned tables.",
      ]
    `);
  });

  it("reports DETACH PARTITION CONCURRENTLY when the table has a DEFAULT partition", async () => {
    const findings = await findingsOf("rejected-by-postgres", [EVENTS, "ALTER TABLE events DETACH PARTITION events_2025 CONCURRENTLY;"], { noTransaction: true });
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "1:37 high DETACH PARTITION events_2025 CONCURRENTLY fails: events has a DEFAULT partition (events_default), and PostgreSQL cannot detach partitions concurrently when one exists.",
      ]
    `);
    expect(findings[0].hint).toContain("plain DETACH PARTITION");
  });

  it("follows the DEFAULT partition through ATTACH, DETACH, DROP and renames", async () => {
    const detach = "ALTER TABLE logs DETACH PARTITION logs_2025 CONCURRENTLY;";
    const logs = "CREATE TABLE logs (at date) PARTITION BY RANGE (at);";
    expect(await rejected(detach, `${logs}\nALTER TABLE logs ATTACH PARTITION logs_other DEFAULT;`)).toHaveLength(1);
    expect(await rejected(detach, "ALTER TABLE logs ATTACH PARTITION logs_other DEFAULT;")).toHaveLength(1);
    expect(await rejected(detach, `${logs}\nCREATE TABLE logs_other PARTITION OF logs DEFAULT;\nALTER TABLE logs_other RENAME TO logs_rest;`)).toHaveLength(1);
    expect(await rejected(detach, `${logs}\nCREATE TABLE logs_other PARTITION OF logs DEFAULT;\nALTER TABLE logs DETACH PARTITION logs_other;`)).toEqual([]);
    expect(await rejected(detach, `${logs}\nCREATE TABLE logs_other PARTITION OF logs DEFAULT;\nDROP TABLE logs_other;`)).toEqual([]);
    expect(await rejected(detach, `${logs}\nCREATE TABLE logs_2025 PARTITION OF logs FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');`)).toEqual([]);
    expect(await rejected(detach, "SELECT 1;")).toEqual([]);
  });

  it("reports DROP INDEX CONCURRENTLY of several indexes, with CASCADE, or of a partitioned index", async () => {
    expect(await rejected("DROP INDEX CONCURRENTLY a_idx, b_idx;\nDROP INDEX CONCURRENTLY a_idx CASCADE;\nDROP INDEX CONCURRENTLY events_at;")).toMatchInlineSnapshot(`
      [
        "1:1 high DROP INDEX CONCURRENTLY a_idx, b_idx fails: PostgreSQL drops one index per DROP INDEX CONCURRENTLY ("does not support dropping multiple objects").",
        "2:1 high DROP INDEX CONCURRENTLY a_idx CASCADE fails: DROP INDEX CONCURRENTLY does not support CASCADE.",
        "3:1 high DROP INDEX CONCURRENTLY events_at fails: events_at is on a partitioned table, and PostgreSQL cannot drop a partitioned index concurrently.",
      ]
    `);
  });

  it("does not report DROP INDEX CONCURRENTLY of one index on a partition or a plain table", async () => {
    expect(await rejected("DROP INDEX CONCURRENTLY events_2025_id;\nDROP INDEX CONCURRENTLY IF EXISTS orders_at;")).toEqual([]);
  });

  it("follows a partitioned index through renames, and forgets it with its table", async () => {
    expect(await rejected("DROP INDEX CONCURRENTLY events_on_at;", `${EVENTS}\nALTER INDEX events_at RENAME TO events_on_at;`)).toHaveLength(1);
    expect(await rejected("DROP INDEX CONCURRENTLY events_at;", `${EVENTS}\nDROP TABLE events;\nCREATE TABLE events (at date);\nCREATE INDEX events_at ON events (at);`)).toEqual([]);
  });
});
