import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "../helpers/cli";
import { freshDatabase, withClient } from "../helpers/database";
import { tempFolder } from "../helpers/project";
import { startGroup, waitUntil } from "../reliability/faults-support";

/**
 * Ctrl-C (SIGINT to the process group, as a terminal sends it) while `up` runs a migration: the run
 * ends with the shell's code for it, 130, and says on stderr what it leaves — which migration was
 * running, whether the server ends it whole, what stays applied — instead of ending silently.
 */

function project(extra: Record<string, string>): string {
  const files: Record<string, string> = {};
  for (const name of fs.readdirSync(path.join(REPO, "migrations"))) files[`migrations/${name}`] = fs.readFileSync(path.join(REPO, "migrations", name), "utf8");
  return tempFolder({ ...files, ...extra }, "dbpipe-interrupt-");
}

/** True while a session of `url`'s database runs pg_sleep. */
async function sleeping(url: string): Promise<boolean> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()");
    return rows[0].n > 0;
  });
}

async function interruptedUp(url: string, dir: string) {
  const run = startGroup(["up", "--database-url", url], { cwd: dir });
  await waitUntil(async () => run.ended() || (await sleeping(url)), "0006 to be running");
  expect(run.ended(), run.output()).toBe(false);
  run.signalGroup("SIGINT");
  const ended = await run.done;
  // The server notices the client is gone (client_connection_check_interval) and ends the session.
  await waitUntil(async () => !(await sleeping(url)), "the server to end 0006's session", 15_000);
  return ended;
}

describe("Ctrl-C during dbpipe up", () => {
  it("says the running migration is ended whole by the server and what stays applied", { timeout: 60_000 }, async () => {
    const url = await freshDatabase("interrupt");
    const dir = project({ "migrations/0006_slow.sql": "CREATE TABLE slow_marker (id int);\nSELECT pg_sleep(30);\n" });
    const ended = await interruptedUp(url, dir);
    expect(ended.code, ended.stderr).toBe(130);
    expect(ended.stderr).toContain(
      "interrupted: 0006 slow was sent as one transaction with its history row: the server ends it whole, committed or rolled back, never half-applied. 5 migrations applied before it stay applied. `dbpipe status` shows where the database is.",
    );
    await withClient(url, async (c) => {
      const { rows } = await c.query<{ versions: string; marker: string | null }>(
        "SELECT string_agg(version, ',' ORDER BY version) AS versions, to_regclass('slow_marker')::text AS marker FROM dbpipe.schema_migrations",
      );
      expect(rows[0]).toEqual({ versions: "0001,0002,0003,0004,0005", marker: null });
    });
  });

  it("says a no-transaction migration's work stays and that it is recorded as failed until repair", { timeout: 60_000 }, async () => {
    const url = await freshDatabase("interrupt");
    const dir = project({ "migrations/0006_slow.sql": "-- dbpipe:no-transaction\nCREATE TABLE slow_marker (id int);\nSELECT pg_sleep(30);\n" });
    const ended = await interruptedUp(url, dir);
    expect(ended.code, ended.stderr).toBe(130);
    expect(ended.stderr).toContain("interrupted: 0006 slow runs outside a transaction (-- dbpipe:no-transaction): what it had done stays done, and it is recorded as failed until `dbpipe repair`.");
    await withClient(url, async (c) => {
      const { rows } = await c.query<{ success: boolean; marker: string | null }>("SELECT success, to_regclass('slow_marker')::text AS marker FROM dbpipe.schema_migrations WHERE version = '0006'");
      expect(rows).toEqual([{ success: false, marker: "slow_marker" }]);
    });
  });
});
