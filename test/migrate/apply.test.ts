import type { Client } from "pg";
import { describe, expect, it } from "vitest";
import { applyMigration, prepareHistoryInsert } from "../../src/migrate/apply";
import { withServerVersion } from "../../src/migrate/batch";
import { ensureHistory } from "../../src/migrate/history";
import { InputError } from "../../src/errors";
import { MigrationFailedError } from "../../src/migrate/sql-error";
import { freshDatabase, withClient } from "../helpers/database";
import { migration } from "../helpers/migrations";

const TIMEOUTS = { lockTimeoutMs: 5_000, statementTimeoutMs: 0 };

/** Records the text of every query `client` sends from now on (the client and server stay real). */
function recordQueries(client: Client): string[] {
  const sent: string[] = [];
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const first = args[0];
    sent.push(typeof first === "string" ? first : String((first as { text?: string }).text));
    return query(...args);
  };
  return sent;
}

describe("applyMigration (transactional)", () => {
  it("costs one round trip, and leaves no session setting behind", async () => {
    const url = await freshDatabase();
    await withClient(url, async (client) => {
      await ensureHistory(client);
      await client.query("CREATE SCHEMA elsewhere");
      const sent = recordQueries(client);
      await applyMigration(client, migration("SET search_path = elsewhere;\nCREATE TABLE t (id int);"), TIMEOUTS, {});
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatch(/COMMIT;\nRESET ALL;\n$/);
      expect((await client.query("SHOW search_path")).rows[0].search_path).toBe('"$user", public');
      expect((await client.query("SELECT count(*)::int AS n FROM dbpipe.schema_migrations WHERE success")).rows[0].n).toBe(1);
    });
  });

  it("costs two round trips when it fails, still points at the failing statement, and resets the session", async () => {
    const url = await freshDatabase();
    await withClient(url, async (client) => {
      await ensureHistory(client);
      await client.query("CREATE SCHEMA elsewhere");
      const sent = recordQueries(client);
      const sql = "SET search_path = elsewhere;\nCREATE TABLE t (id int PRIMARY KEY);\n\n   INSERT INTO t VALUES (1), (1);\nCREATE TABLE never (id int);\n";
      const error = await applyMigration(client, migration(sql), TIMEOUTS, {}).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MigrationFailedError);
      expect((error as MigrationFailedError).position).toEqual({ line: 4, column: 4 });
      expect(sent).toEqual([expect.stringContaining("INSERT INTO t VALUES"), "ROLLBACK; RESET ALL"]);
      expect((await client.query("SHOW search_path")).rows[0].search_path).toBe('"$user", public');
      expect((await client.query("SELECT to_regclass('elsewhere.t') AS t")).rows[0].t).toBeNull();
      expect((await client.query("SELECT count(*)::int AS n FROM dbpipe.schema_migrations")).rows[0].n).toBe(0);

      // A syntax error is the file's: invalid input at its line and column, as lint reports it.
      const typo = await applyMigration(client, migration("CREATE TABLE ok (id int);\nCREATE TABLE broken (id int,, name text);\n", { version: "0002" }), TIMEOUTS, {}).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(typo).toBeInstanceOf(InputError);
      expect(typo?.message).toMatch(/:2:29: syntax error at or near ","/);
    });
  });

  it("with the history INSERT prepared and the server's version known, writes the same row in one round trip; a file that may drop prepared statements gets the plain INSERT", async () => {
    const url = await freshDatabase();
    await withClient(url, async (client) => {
      await ensureHistory(client);
      await prepareHistoryInsert(client);
      const timeouts = await withServerVersion(client, TIMEOUTS);
      const sent = recordQueries(client);
      await applyMigration(client, migration("CREATE TABLE t (id int);", { version: "0001", name: "first" }), timeouts, { risk: "medium", appliedBy: "ci" });
      // DEALLOCATE ALL drops every prepared statement of the session, the history INSERT's too.
      await applyMigration(client, migration("CREATE TABLE u (id int);\nDEALLOCATE ALL;", { version: "0002", name: "second" }), timeouts, {});
      await applyMigration(client, migration("CREATE TABLE v (id int);", { version: "0003", name: "third" }), timeouts, { backupRef: "file:b.dump" });
      expect(sent).toHaveLength(3);
      expect(sent[0]).toMatch(/^BEGIN;\nSET LOCAL lock_timeout = '5000ms';\nSET LOCAL statement_timeout = '0ms';\n(SET LOCAL client_connection_check_interval = 1000;\n)?CREATE TABLE t/);
      expect(sent[0]).toContain("EXECUTE dbpipe_record_migration ('0001', 'first', ");
      expect(sent[1]).toContain("INSERT INTO dbpipe.schema_migrations");
      // And every later one of the session: the prepared statement may be gone.
      expect(sent[2]).toContain("INSERT INTO dbpipe.schema_migrations");
      const { rows } = await client.query("SELECT version, name, applied_by, success, kind, risk, backup_ref, error, execution_ms >= 0 AS timed FROM dbpipe.schema_migrations ORDER BY version");
      const user = (await client.query("SELECT current_user AS u")).rows[0].u as string;
      expect(rows).toEqual([
        { version: "0001", name: "first", applied_by: "ci", success: true, kind: "migrate", risk: "medium", backup_ref: null, error: null, timed: true },
        { version: "0002", name: "second", applied_by: user, success: true, kind: "migrate", risk: null, backup_ref: null, error: null, timed: true },
        { version: "0003", name: "third", applied_by: user, success: true, kind: "migrate", risk: null, backup_ref: "file:b.dump", error: null, timed: true },
      ]);
    });
  });
});
