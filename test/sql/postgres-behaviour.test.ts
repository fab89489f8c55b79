import { describe, expect, it } from "vitest";
import { freshDatabase, migratorUrl, withClient } from "../helpers/database";

/**
 * What the classifier's newer rules claim about PostgreSQL, checked on a real server: each
 * rule's message rests on one of these.
 */

describe("PostgreSQL behaviour the rules rely on", () => {
  it("refuses a new enum value in the transaction that added it (enum-value-used-in-same-transaction)", async () => {
    const url = await freshDatabase("enum");
    await withClient(url, async (client) => {
      await client.query("CREATE TYPE mood AS ENUM ('ok'); CREATE TABLE people (m mood)");
      await client.query("BEGIN");
      await client.query("ALTER TYPE mood ADD VALUE 'sad'");
      await expect(client.query("INSERT INTO people VALUES ('sad')")).rejects.toThrow(/unsafe use of new value "sad"/);
      await client.query("ROLLBACK");
    });
  });

  it("fails CREATE UNIQUE INDEX on duplicates, and CONCURRENTLY leaves an invalid index behind (create-unique-index)", async () => {
    const url = await freshDatabase("uniq");
    await withClient(url, async (client) => {
      await client.query("CREATE TABLE t (k int); INSERT INTO t VALUES (1), (1), (2)");
      await expect(client.query("CREATE UNIQUE INDEX t_k ON t (k)")).rejects.toThrow(/could not create unique index/);
      await expect(client.query("CREATE UNIQUE INDEX CONCURRENTLY t_k ON t (k)")).rejects.toThrow(/could not create unique index/);
      const invalid = await client.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_k'::regclass");
      expect(invalid.rows).toEqual([{ indisvalid: false }]);
    });
  });

  it("re-checks every row against a column's CHECK constraints on a type change that needs no rewrite, and keeps its indexes (change-column-type)", async () => {
    const url = await freshDatabase("retype");
    await withClient(url, async (client) => {
      // The check counts its calls in a sequence: a re-check of existing rows calls it once per row.
      await client.query("CREATE SEQUENCE calls; CREATE FUNCTION counted(text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT nextval('calls') > 0 $$");
      await client.query("CREATE TABLE t (v varchar(10), w varchar(10)); INSERT INTO t SELECT 'v', 'w' FROM generate_series(1, 100)");
      await client.query("ALTER TABLE t ADD CONSTRAINT v_counted CHECK (counted(v))");
      const calls = async () => Number((await client.query("SELECT last_value FROM calls")).rows[0].last_value);
      const beforeType = await calls();
      await client.query("ALTER TABLE t ALTER COLUMN v TYPE varchar(20)");
      const rechecked = (await calls()) - beforeType;
      await client.query("CREATE INDEX t_w ON t (w)");
      const node = async (name: string) => (await client.query("SELECT relfilenode FROM pg_class WHERE relname = $1", [name])).rows[0].relfilenode as number;
      const [index, table] = [await node("t_w"), await node("t")];
      await client.query("ALTER TABLE t ALTER COLUMN w TYPE varchar(20)");
      expect({ rechecked, indexRebuilt: (await node("t_w")) !== index, tableRewritten: (await node("t")) !== table }).toEqual({ rechecked: 100, indexRebuilt: false, tableRewritten: false });
    });
  });

  it("hides every row from a non-owner once row level security is on and no policy exists (enable-row-level-security)", async () => {
    const url = await freshDatabase("rls");
    await withClient(url, async (client) => {
      const role = `app_${Date.now()}`;
      await client.query(`CREATE TABLE t (i int); INSERT INTO t VALUES (1); CREATE ROLE ${role}; GRANT SELECT ON t TO ${role}`);
      await client.query(`SET ROLE ${role}`);
      expect((await client.query("SELECT count(*)::int AS n FROM t")).rows).toEqual([{ n: 1 }]);
      await client.query("RESET ROLE");
      await client.query("ALTER TABLE t ENABLE ROW LEVEL SECURITY");
      await client.query(`SET ROLE ${role}`);
      expect((await client.query("SELECT count(*)::int AS n FROM t")).rows).toEqual([{ n: 0 }]);
      await client.query("RESET ROLE");
      await client.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
    });
  });

  it("refuses a CREATE OR REPLACE VIEW that drops, renames or retypes a column, and follows renames of the view (rejected-by-postgres)", async () => {
    const url = await migratorUrl(await freshDatabase("views"), "views-pw");
    await withClient(url, async (client) => {
      const refusal = async (sql: string) => client.query(sql).then(() => "accepted", (error: Error) => error.message);
      await client.query("CREATE TABLE t (a int, b text, c date); CREATE VIEW v AS SELECT a, b FROM t");
      expect({
        drop: await refusal("CREATE OR REPLACE VIEW v AS SELECT a FROM t"),
        // Fewer columns is checked first, whatever else changed.
        dropAndRename: await refusal("CREATE OR REPLACE VIEW v AS SELECT c FROM t"),
        rename: await refusal("CREATE OR REPLACE VIEW v AS SELECT a, b AS bee FROM t"),
        insertBefore: await refusal("CREATE OR REPLACE VIEW v AS SELECT a, c, b FROM t"),
        retype: await refusal("CREATE OR REPLACE VIEW v AS SELECT a::bigint AS a, b FROM t"),
        collation: await refusal('CREATE OR REPLACE VIEW v AS SELECT a, b COLLATE "C" AS b FROM t'),
        addAtEnd: await refusal("CREATE OR REPLACE VIEW v AS SELECT a, b, c FROM t"),
        replaceMaterialized: await refusal("CREATE OR REPLACE MATERIALIZED VIEW v AS SELECT a FROM t"),
      }).toMatchInlineSnapshot(`
        {
          "addAtEnd": "accepted",
          "collation": "cannot change collation of view column "b" from "default" to "C"",
          "drop": "cannot drop columns from view",
          "dropAndRename": "cannot drop columns from view",
          "insertBefore": "cannot change name of view column "b" to "c"",
          "rename": "cannot change name of view column "b" to "bee"",
          "replaceMaterialized": "syntax error at or near "MATERIALIZED"",
          "retype": "cannot change data type of view column "a" from integer to bigint",
        }
      `);
      // Renames carry what a replacement must keep; a drop forgets it.
      await client.query("ALTER VIEW v RENAME COLUMN b TO bee; ALTER TABLE v RENAME TO w");
      expect(await refusal("CREATE OR REPLACE VIEW w AS SELECT a, b, c FROM t")).toBe('cannot change name of view column "bee" to "b"');
      expect(await refusal("CREATE OR REPLACE VIEW v AS SELECT c FROM t")).toBe("accepted");
      await client.query("DROP VIEW v");
      expect(await refusal("CREATE OR REPLACE VIEW v AS SELECT b FROM t")).toBe("accepted");
      // A replacement keeps the grants; a DROP VIEW is refused while another view depends on it.
      await client.query("CREATE VIEW on_w AS SELECT a FROM w; GRANT SELECT ON w TO PUBLIC; CREATE OR REPLACE VIEW w AS SELECT a, b AS bee, c, now() AS at FROM t");
      expect((await client.query("SELECT relacl::text FROM pg_class WHERE relname = 'w'")).rows[0].relacl).toContain("=r/");
      expect(await refusal("DROP VIEW w")).toBe("cannot drop view w because other objects depend on it");
    });
  });

  it("truncates identifiers longer than 63 bytes without an error (identifier-too-long)", async () => {
    const url = await freshDatabase("ident");
    await withClient(url, async (client) => {
      const long = `t_${"x".repeat(70)}`;
      await client.query(`CREATE TABLE ${long} (i int)`);
      const names = await client.query("SELECT relname FROM pg_class WHERE relname LIKE 't_xxx%'");
      expect(names.rows).toEqual([{ relname: long.slice(0, 63) }]);
    });
  });
});
