import type { Client } from "pg";
import { describe, expect, it } from "vitest";
import { applyMigration } from "../../src/migrate/apply";
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
});
