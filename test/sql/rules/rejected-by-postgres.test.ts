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

/** A view of three known columns, in an earlier migration. */
const ACTIVE_USERS = "CREATE TABLE users (id int PRIMARY KEY, email text, name text, active boolean, at date);\nCREATE VIEW active_users AS SELECT id, email, name FROM users WHERE active;";

describe("rejected-by-postgres: CREATE OR REPLACE VIEW", () => {
  it("reports a replacement with fewer columns, at the first one missing, with the drop-and-create hint", async () => {
    const findings = await findingsOf("rejected-by-postgres", [ACTIVE_USERS, "CREATE OR REPLACE VIEW active_users AS\n  SELECT id, name FROM users WHERE active;"]);
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "2:14 high CREATE OR REPLACE VIEW active_users fails: it has 2 columns (id, name) where active_users has 3 columns (id, email, name), and PostgreSQL cannot drop columns from a view ("cannot drop columns from view").",
      ]
    `);
    expect(findings[0].hint).toMatchInlineSnapshot(`"Keep active_users's columns as they are, in their order (id, email, name), and add new ones after them. To remove one, DROP VIEW active_users and CREATE VIEW it anew in one transactional migration (clients never see it missing): DROP VIEW fails while other views depend on active_users (drop and re-create them in the same migration), and the grants on active_users go with it (grant them again)."`);
  });

  it("reports a renamed column, with ALTER VIEW ... RENAME COLUMN as its hint", async () => {
    const findings = await findingsOf("rejected-by-postgres", [ACTIVE_USERS, "CREATE OR REPLACE VIEW active_users AS SELECT id, email AS login, name FROM users WHERE active;"]);
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "1:51 high CREATE OR REPLACE VIEW active_users fails: its column 2 is login where active_users has email, and PostgreSQL cannot change the name of a view column ("cannot change name of view column "email" to "login"").",
      ]
    `);
    expect(findings[0].hint).toMatchInlineSnapshot(`"To rename the column, ALTER VIEW active_users RENAME COLUMN email TO login first (clients that read email break), then replace the view. Otherwise keep active_users's columns as they are, in their order (id, email, name), and add new ones after them. To reorder or remove columns, DROP VIEW active_users and CREATE VIEW it anew in one transactional migration (clients never see it missing): DROP VIEW fails while other views depend on active_users (drop and re-create them in the same migration), and the grants on active_users go with it (grant them again)."`);
  });

  it("reports a column put before the old ones, or the old ones reordered, as PostgreSQL does: a name changed at that position", async () => {
    expect(await rejected("CREATE OR REPLACE VIEW active_users AS SELECT id, at, email, name FROM users;", ACTIVE_USERS)).toMatchInlineSnapshot(`
      [
        "1:51 high CREATE OR REPLACE VIEW active_users fails: its column 2 is at where active_users has email, and PostgreSQL cannot change the name of a view column ("cannot change name of view column "email" to "at"").",
      ]
    `);
    const [reordered] = await findingsOf("rejected-by-postgres", [ACTIVE_USERS, "CREATE OR REPLACE VIEW active_users AS SELECT id, name, email FROM users;"]);
    expect(reordered.message).toContain('its column 2 is name where active_users has email');
    expect(reordered.hint).not.toContain("RENAME COLUMN");
  });

  it("knows the names PostgreSQL gives expressions, the view's column list, VALUES and UNION", async () => {
    const counts = "CREATE VIEW user_counts AS SELECT active, count(*), max(at)::text, 'x'::text, count(*) > 1 FROM users GROUP BY 1;";
    expect(await rejected("CREATE OR REPLACE VIEW user_counts AS SELECT active, count(*) AS n FROM users GROUP BY 1;", counts)).toMatchInlineSnapshot(`
      [
        "1:54 high CREATE OR REPLACE VIEW user_counts fails: it has 2 columns (active, n) where user_counts has 5 columns (active, count, max, text, "?column?"), and PostgreSQL cannot drop columns from a view ("cannot drop columns from view").",
      ]
    `);
    expect(await rejected("CREATE OR REPLACE VIEW user_counts AS SELECT u.active, count(id), max(u.at)::text, 'y'::text, count(*) > 2, now() FROM users u GROUP BY 1;", counts)).toEqual([]);
    expect(await rejected("CREATE OR REPLACE VIEW v (a, b) AS SELECT 1, 2;", "CREATE VIEW v (a, c) AS SELECT 1, 2;")).toHaveLength(1);
    expect(await rejected("CREATE OR REPLACE VIEW v AS VALUES (1, 2);", "CREATE VIEW v (column1, x) AS SELECT 1, 2;")).toHaveLength(1);
    expect(await rejected("CREATE OR REPLACE VIEW v AS SELECT 1 AS a UNION SELECT 2;", "CREATE VIEW v AS SELECT 1 AS a, 2 AS b UNION SELECT 3, 4;")).toHaveLength(1);
  });

  it("reports what a replacement in the same migration, or after renames, must keep", async () => {
    expect(await rejected(`${ACTIVE_USERS}\nCREATE OR REPLACE VIEW active_users AS SELECT id FROM users;`, "SELECT 1;")).toHaveLength(1);
    // The view renamed: its new name has the old columns.
    expect(await rejected("CREATE OR REPLACE VIEW users_on AS SELECT id FROM users;", `${ACTIVE_USERS}\nALTER VIEW active_users RENAME TO users_on;`)).toHaveLength(1);
    expect(await rejected("CREATE OR REPLACE VIEW users_on AS SELECT id FROM users;", `${ACTIVE_USERS}\nALTER TABLE active_users RENAME TO users_on;`)).toHaveLength(1);
    // A column renamed: the next replacement must keep the new name.
    expect(await rejected("CREATE OR REPLACE VIEW active_users AS SELECT id, email, name FROM users;", `${ACTIVE_USERS}\nALTER VIEW active_users RENAME COLUMN email TO login;`)).toMatchInlineSnapshot(`
      [
        "1:51 high CREATE OR REPLACE VIEW active_users fails: its column 2 is email where active_users has login, and PostgreSQL cannot change the name of a view column ("cannot change name of view column "login" to "email"").",
      ]
    `);
    expect(await rejected("CREATE OR REPLACE VIEW active_users AS SELECT id, email, name FROM users;", `${ACTIVE_USERS}\nALTER TABLE active_users RENAME COLUMN email TO login;`)).toHaveLength(1);
  });

  it("does not report a replacement that keeps the columns and adds new ones at the end", async () => {
    expect(await rejected("CREATE OR REPLACE VIEW active_users AS SELECT id, email, name, at FROM users;", ACTIVE_USERS)).toEqual([]);
    expect(await rejected("CREATE OR REPLACE VIEW active_users AS SELECT u.id, lower(u.email) AS email, u.name, u.at::text FROM users u;", ACTIVE_USERS)).toEqual([]);
    expect(await rejected("CREATE OR REPLACE VIEW active_users AS SELECT id, email AS login, name, at FROM users;", `${ACTIVE_USERS}\nALTER VIEW active_users RENAME COLUMN email TO login;`)).toEqual([]);
    expect(await rejected("CREATE OR REPLACE VIEW active_users (id, login) AS SELECT id, email, name FROM users;", `${ACTIVE_USERS}\nALTER VIEW active_users RENAME COLUMN email TO login;`)).toEqual([]);
  });

  it("does not report a view it does not know: created outside the migrations, dropped, renamed away, or moved", async () => {
    expect(await rejected("CREATE OR REPLACE VIEW active_users AS SELECT id FROM users;", "SELECT 1;")).toEqual([]);
    expect(await rejected("CREATE OR REPLACE VIEW active_users AS SELECT id FROM users;", `${ACTIVE_USERS}\nDROP VIEW active_users;`)).toEqual([]);
    expect(await rejected("CREATE OR REPLACE VIEW active_users AS SELECT id FROM users;", `${ACTIVE_USERS}\nALTER VIEW active_users RENAME TO users_on;`)).toEqual([]);
    expect(await rejected("CREATE OR REPLACE VIEW active_users AS SELECT id FROM users;", `${ACTIVE_USERS}\nALTER VIEW active_users SET SCHEMA archive;`)).toEqual([]);
    expect(await rejected("CREATE OR REPLACE VIEW active_users AS SELECT id FROM users;", `${ACTIVE_USERS}\nALTER INDEX active_users RENAME TO users_on;`)).toEqual([]);
    expect(await rejected("CREATE OR REPLACE VIEW app.active_users AS SELECT id FROM users;", ACTIVE_USERS)).toEqual([]);
  });

  it("does not report after a statement that may have dropped the view unseen: CASCADE, DROP OWNED, a DO block", async () => {
    const replace = "CREATE OR REPLACE VIEW active_users AS SELECT id FROM users;";
    for (const dropper of [
      "DROP TABLE users CASCADE;\nCREATE TABLE users (id int);",
      "ALTER TABLE users DROP COLUMN name CASCADE;",
      "ALTER TABLE users DROP CONSTRAINT users_pkey CASCADE;",
      "DROP SCHEMA app CASCADE;",
      "DROP OWNED BY app_owner;",
      "DO $$ BEGIN EXECUTE 'DROP VIEW active_users'; END $$;",
      "ALTER SCHEMA public RENAME TO old;\nCREATE SCHEMA public;\nCREATE TABLE users (id int);",
    ]) {
      expect(await rejected(replace, `${ACTIVE_USERS}\n${dropper}`), dropper).toEqual([]);
    }
  });

  it("does not report when a column's name cannot be known: *, t.*, a SQL-syntax function", async () => {
    expect(await rejected("CREATE OR REPLACE VIEW v AS SELECT id FROM users;", "CREATE VIEW v AS SELECT * FROM users;")).toEqual([]);
    expect(await rejected("CREATE OR REPLACE VIEW v AS SELECT id FROM users;", "CREATE VIEW v AS SELECT u.* FROM users u;")).toEqual([]);
    expect(await rejected("CREATE OR REPLACE VIEW v AS SELECT * FROM users;", "CREATE VIEW v AS SELECT id, email FROM users;")).toEqual([]);
    expect(await rejected("CREATE OR REPLACE VIEW v AS SELECT id, current_user, 1 AS n FROM users;", "CREATE VIEW v AS SELECT id, extract(year FROM at), 1 AS n FROM users;")).toEqual([]);
    expect(await rejected("CREATE OR REPLACE VIEW v AS SELECT id, extract(year FROM at) AS y FROM users;", "CREATE VIEW v AS SELECT id, extract(year FROM at) FROM users;")).toEqual([]);
  });

  it("reports what it knows before a * or an unknown name, and only that", async () => {
    expect(await rejected("CREATE OR REPLACE VIEW v AS SELECT id AS uid, * FROM users;", "CREATE VIEW v AS SELECT id AS user_id, * FROM users;")).toHaveLength(1);
    expect(await rejected("CREATE OR REPLACE VIEW v AS SELECT id AS user_id FROM users;", "CREATE VIEW v AS SELECT id AS user_id, email AS login, * FROM users;")).toHaveLength(1);
    expect(await rejected("CREATE OR REPLACE VIEW v AS SELECT current_user, 1 AS n FROM users;", "CREATE VIEW v AS SELECT current_user, 2 AS m FROM users;")).toHaveLength(1);
    expect(await rejected("CREATE OR REPLACE VIEW v AS SELECT id, * FROM users;", "CREATE VIEW v AS SELECT id, email, name FROM users;")).toEqual([]);
  });

  it("does not report a temporary view, or an unqualified one after a change of search_path", async () => {
    expect(await rejected("CREATE OR REPLACE TEMP VIEW active_users AS SELECT id FROM users;", ACTIVE_USERS)).toEqual([]);
    expect(await rejected("SET search_path TO app, public;\nCREATE OR REPLACE VIEW active_users AS SELECT id FROM users;", ACTIVE_USERS)).toEqual([]);
    expect(await rejected("SELECT set_config('search_path', 'app', false);\nCREATE OR REPLACE VIEW active_users AS SELECT id FROM users;", ACTIVE_USERS)).toEqual([]);
  });

  it("reports a view named with its schema after a change of search_path", async () => {
    expect(await rejected("SET search_path TO app, public;\nCREATE OR REPLACE VIEW public.active_users AS SELECT id FROM users;", ACTIVE_USERS)).toMatchInlineSnapshot(`
      [
        "2:54 high CREATE OR REPLACE VIEW public.active_users fails: it has 1 column (id) where public.active_users has 3 columns (id, email, name), and PostgreSQL cannot drop columns from a view ("cannot drop columns from view").",
      ]
    `);
  });

  it("does not report a type change, which it cannot know", async () => {
    expect(await rejected("CREATE OR REPLACE VIEW active_users AS SELECT id::bigint AS id, email, name FROM users;", ACTIVE_USERS)).toEqual([]);
  });
});
