import { describe, expect, it, onTestFinished } from "vitest";
import { Client } from "pg";
import { runCli } from "../helpers/cli";
import { freshDatabase, withClient } from "../helpers/database";
import { tempFolder } from "../helpers/project";
import { startEmbedded } from "../../src/local/embedded";
import { sleep, startGroup, waitUntil } from "./faults-support";
import { reliabilitySeed, seeded } from "./helpers/seeded";

/**
 * The database going away under a run: its connection terminated from another session while a
 * migration sleeps or waits for a lock, and the server restarted mid-run. Each time: exit 3 with
 * an error that says the connection was lost (never the password), nothing half-applied, and
 * the next run finishes the job.
 */

const SEED = reliabilitySeed();
const random = seeded(SEED);
// eslint-disable-next-line no-console -- the seed, to replay a failure
console.info(`faults-database: seed ${SEED} (replay: RELIABILITY_SEED=${SEED} npx vitest run test/reliability/faults-database.test.ts)`);

const MIGRATIONS = {
  "migrations/0001_create_accounts.sql": "CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL);\nINSERT INTO accounts VALUES (1, 'kept');\n",
  "migrations/0002_slow_ledger.sql":
    "CREATE TABLE ledger (id int PRIMARY KEY, account int REFERENCES accounts (id));\nALTER TABLE accounts ADD COLUMN balance int NOT NULL DEFAULT 0;\n" +
    "SELECT count(*) FROM feed;\nSELECT pg_sleep(4);\nINSERT INTO ledger VALUES (1, 1);\n",
  "migrations/0003_add_note.sql": "ALTER TABLE ledger ADD COLUMN note text;\n",
};

/** The sessions on `url`'s database running 0002, sleeping (`sleep`) or waiting for a lock (`lock`). */
async function runningMigration(url: string, state: "sleep" | "lock"): Promise<number[]> {
  const database = new URL(url).pathname.slice(1);
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%pg_sleep(4)%' AND pid <> pg_backend_pid()
          AND (CASE WHEN $2 = 'lock' THEN wait_event_type = 'Lock' ELSE wait_event = 'PgSleep' END)`,
      [database, state],
    );
    return rows.map((r) => r.pid);
  });
}

async function statusOf(dir: string, url: string): Promise<string[]> {
  const status = await runCli(["status", "--json", "--database-url", url], { cwd: dir });
  return JSON.parse(status.stdout).migrations.map((m: { version: string; status: string }) => `${m.version} ${m.status}`);
}

/** What the database has of 0002: its table and its column come together or not at all. */
async function schemaOf(url: string): Promise<{ ledger: boolean; balance: boolean }> {
  return withClient(url, async (c) => {
    const { rows } = await c.query(
      "SELECT to_regclass('public.ledger') IS NOT NULL AS ledger, EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'balance') AS balance",
    );
    return rows[0];
  });
}

/** A database for one round, with the table `feed` that 0002 reads. */
async function roundDatabase(url: string): Promise<void> {
  await withClient(url, (c) => c.query("CREATE TABLE feed (id int)"));
}

function expectLostConnection(run: { code: number | null; stdout: string; stderr: string }, password: string, context: string): void {
  expect(run.code, `${context}\n${run.stdout}${run.stderr}`).toBe(3);
  expect(run.stderr, context).toMatch(/lost the connection|terminat|shut ?down/i);
  expect(run.stderr, context).not.toMatch(/\n\s+at |looks like a bug/);
  if (password) expect(run.stdout + run.stderr, context).not.toContain(password);
}

async function expectConverges(dir: string, url: string, context: string): Promise<void> {
  // 0002 is not half-applied: neither its table nor its column; 0001 stays applied.
  expect(await schemaOf(url), context).toEqual({ ledger: false, balance: false });
  expect(await statusOf(dir, url), context).toEqual(["0001 applied", "0002 pending", "0003 pending"]);
  const next = await runCli(["up", "--database-url", url], { cwd: dir });
  expect(next.code, `${context}\n${next.stderr}`).toBe(0);
  expect(await statusOf(dir, url), context).toEqual(["0001 applied", "0002 applied", "0003 applied"]);
  expect(await schemaOf(url), context).toEqual({ ledger: true, balance: true });
}

describe(`the connection dropped mid-migration (seed ${SEED})`, () => {
  for (const state of ["sleep", "lock"] as const) {
    const delayMs = random.int(0, 1000);
    const how = state === "sleep" ? "while 0002 sleeps" : "while 0002 waits for a lock another session holds";
    it(`terminated from another session ${delayMs}ms ${how}: exit 3, nothing half-applied, the next run converges`, { timeout: 90_000 }, async () => {
      const url = await freshDatabase("relfault");
      await roundDatabase(url);
      const password = decodeURIComponent(new URL(url).password);
      const dir = tempFolder(MIGRATIONS, "dbpipe-rel-faults-");
      const blocker = new Client({ connectionString: url });
      await blocker.connect();
      onTestFinished(() => blocker.end().catch(() => undefined));
      if (state === "lock") await blocker.query("BEGIN; LOCK TABLE feed IN ACCESS EXCLUSIVE MODE");

      const run = startGroup(["up", "--database-url", url], { cwd: dir });
      await waitUntil(async () => run.ended() || (await runningMigration(url, state)).length > 0, `0002 to ${state}`);
      await sleep(delayMs);
      const pids = await runningMigration(url, state);
      await withClient(url, (c) => c.query("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", [pids]));
      const ended = await run.done;
      await blocker.query("ROLLBACK");
      const context = `seed ${SEED}: terminated ${delayMs}ms ${how}`;
      expectLostConnection(ended, password, context);
      await expectConverges(dir, url, context);
    });
  }
});

describe(`the server restarted mid-run (a PostgreSQL 15 of this test's own; seed ${SEED})`, () => {
  const delayMs = random.int(0, 1000);
  it(`restarted ${delayMs}ms into 0002: exit 3 naming the lost connection, nothing half-applied, the next run converges`, { timeout: 120_000 }, async () => {
    const dataDir = tempFolder({}, "dbpipe-rel-restart-");
    let server = await startEmbedded({ dataDir, database: "app" });
    onTestFinished(() => server.stop());
    const url = server.url;
    const password = decodeURIComponent(new URL(url).password);
    await roundDatabase(url);
    const dir = tempFolder(MIGRATIONS, "dbpipe-rel-faults-");

    const run = startGroup(["up", "--database-url", url], { cwd: dir });
    await waitUntil(async () => run.ended() || (await runningMigration(url, "sleep").catch(() => [])).length > 0, "0002 to sleep");
    await sleep(delayMs);
    // A restart: fast shutdown (the server ends every session), then a start on the same port.
    await server.stop();
    server = await startEmbedded({ dataDir, database: "app", port: server.port });
    const ended = await run.done;
    const context = `seed ${SEED}: restarted ${delayMs}ms into 0002`;
    expectLostConnection(ended, password, context);
    await expectConverges(dir, url, context);
  });
});
