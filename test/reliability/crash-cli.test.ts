import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli";
import { withClient } from "../helpers/database";
import { tempFolder } from "../helpers/project";
import { startCli } from "./helpers/cli-process";
import { historyOf, roundDatabase, runLockAfter, tablesOf } from "./helpers/round-database";
import { reliabilitySeed, seeded } from "./helpers/seeded";
import { crashMigrations, crashSchemaState as schemaState, version } from "./helpers/workloads";

/**
 * `dbpipe up` killed with SIGKILL (no handler runs, nothing is cleaned up) at a random moment of a
 * run of many migrations, thirty times, each on a fresh database: no transactional migration is
 * ever half-applied, the history says exactly what the schema has, the killed run's lock goes
 * with its session, and the next `up` finishes the job. Then a killed no-transaction migration,
 * which stays reported failed until `dbpipe repair`.
 *
 * The moments come from a seeded generator: the seed is printed, and `RELIABILITY_SEED=<seed>`
 * replays the same kills.
 */

const SEED = reliabilitySeed();
const random = seeded(SEED);
// eslint-disable-next-line no-console -- the seed, to replay a failure
console.info(`crash-cli: seed ${SEED} (replay: RELIABILITY_SEED=${SEED} npx vitest run test/reliability/crash-cli.test.ts)`);

const ROUNDS = 30;
const COUNT = 30;

describe(`dbpipe up killed with SIGKILL at a random moment of a run of ${COUNT} migrations`, () => {
  const project = tempFolder(crashMigrations(COUNT), "dbpipe-rel-crash-");
  const tally = { beforeAny: 0, midRun: 0, finished: 0, committedAfterKill: 0 };

  for (let round = 1; round <= ROUNDS; round++) {
    // Drawn here, in order, so that a seed gives the same moments whichever rounds run.
    const early = random.next() < 0.2;
    const afterApplied = random.int(0, COUNT - 2);
    const delayMs = early ? random.int(0, 600) : random.int(0, 30);
    const moment = early ? `${delayMs}ms after start` : `${delayMs}ms after ${afterApplied} migration(s) applied`;

    it(`round ${round}/${ROUNDS} (seed ${SEED}): killed ${moment}; nothing half-applied, the next up finishes`, { timeout: 120_000 }, async () => {
      const url = await roundDatabase("relcrash");
      const run = startCli(["up", "--database-url", url], { cwd: project });
      if (!early) await run.printed(afterApplied === 0 ? /^dbpipe up · /m : new RegExp(`✓ ${version(afterApplied)} `));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      const killed = await run.kill();
      const context = `seed ${SEED}, round ${round}, killed ${moment}; it printed:\n${killed.stdout}${killed.stderr}`;

      // The killed run's session ends, and its advisory lock with it.
      expect(await runLockAfter(url, 60_000), context).toEqual([]);

      // No migration half-applied, and the history names exactly the migrations the schema has.
      const history = await historyOf(url);
      const schema = await schemaState(url);
      expect(schema.partial, context).toEqual([]);
      expect(history.map((h) => h.version), context).toEqual(schema.complete);
      expect(history.every((h) => h.success && h.kind === "migrate"), context).toBe(true);
      expect(schema.complete, context).toEqual(Array.from({ length: schema.complete.length }, (_, i) => version(i + 1)));
      for (const v of schema.complete) {
        expect(await withClient(url, async (c) => (await c.query(`SELECT count(*)::int AS n FROM m${v}_a`)).rows[0].n), context).toBe(100);
      }
      const done = history.length;
      // A migration whose ✓ the killed run never printed but that the history has: it committed
      // on the server after its client was gone (a whole commit, history row included).
      if (done > (killed.stdout.match(/✓ \d{4} /g) ?? []).length) tally.committedAfterKill++;
      if (done === 0) tally.beforeAny++;
      else if (done < COUNT) tally.midRun++;
      else tally.finished++;

      // The next run applies the rest and exits 0.
      const next = await runCli(["up", "--database-url", url], { cwd: project });
      expect(next.code, `${context}\nnext up:\n${next.stdout}${next.stderr}`).toBe(0);
      expect(next.stderr, context).toBe("");
      if (done < COUNT) expect(next.stdout, context).toContain(`Applied ${COUNT - done} migration${COUNT - done === 1 ? "" : "s"} in `);
      else expect(next.stdout, context).toContain(`Nothing to apply: the database is up to date at ${version(COUNT)}`);
      const after = await schemaState(url);
      expect(after.partial).toEqual([]);
      expect(after.complete).toHaveLength(COUNT);
      expect((await historyOf(url)).map((h) => h.version)).toEqual(after.complete);
    });
  }

  it("summary", () => {
    // eslint-disable-next-line no-console -- how the kills landed, for the run's output
    console.info(`crash-cli (seed ${SEED}): ${ROUNDS} kills; before any migration was applied: ${tally.beforeAny}, part-way: ${tally.midRun}, after the last: ${tally.finished}; a migration committed after its client was killed: ${tally.committedAfterKill}`);
    // Kills after a few migrations with COUNT still to go land part-way whatever the machine's speed.
    expect(tally.midRun).toBeGreaterThan(ROUNDS / 2);
  });
});

describe("a no-transaction migration killed part-way", () => {
  it("is reported failed by status and up until repair, and nothing after it runs", { timeout: 120_000 }, async () => {
    const url = await roundDatabase("relnotx");
    const project = tempFolder(
      {
        "migrations/0001_create_t.sql": "CREATE TABLE t (a int, b int);\nINSERT INTO t SELECT g, g FROM generate_series(1, 1000) g;\n",
        "migrations/0002_index_t.sql":
          "-- dbpipe:no-transaction\nCREATE INDEX CONCURRENTLY t_a ON t (a);\nSELECT pg_sleep(2);\nCREATE INDEX CONCURRENTLY t_b ON t (b);\n",
        "migrations/0003_create_u.sql": "CREATE TABLE u (id int);\n",
      },
      "dbpipe-rel-notx-",
    );
    const run = startCli(["up", "--database-url", url], { cwd: project });
    // Killed while its second statement runs: the first index is built, the second never starts.
    await waitFor(async () => (await activeQueries(url)).some((q) => q.includes("pg_sleep(2)")));
    const killed = await run.kill();
    expect(killed.signal).toBe("SIGKILL");
    expect(await runLockAfter(url, 60_000)).toEqual([]);
    expect(await historyOf(url)).toEqual([
      { version: "0001", success: true, kind: "migrate", error: null },
      { version: "0002", success: false, kind: "migrate", error: "started but did not finish: the run was interrupted" },
    ]);
    expect(await indexesOf(url)).toEqual(["t_a"]);

    const status = await runCli(["status", "--database-url", url], { cwd: project });
    expect(status.code, status.stdout + status.stderr).toBe(2);
    expect(status.stdout + status.stderr).toMatch(/0002.*failed/);

    const up = await runCli(["up", "--database-url", url], { cwd: project });
    expect(up.code, up.stdout + up.stderr).toBe(2);
    expect(up.stderr).toContain("migrations/0002_index_t.sql failed on");
    expect(up.stderr).toContain("(started but did not finish: the run was interrupted)");
    expect(up.stderr).toContain("dbpipe repair");
    expect(up.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(await tablesOf(url)).toEqual(["t"]);

    // Still failed on the next look: nothing but repair clears it.
    expect((await runCli(["status", "--database-url", url], { cwd: project })).code).toBe(2);

    // Undo by hand what it did, clear the record, and the next up runs it again with what follows.
    await withClient(url, (c) => c.query("DROP INDEX t_a"));
    const repair = await runCli(["repair", "--database-url", url], { cwd: project });
    expect(repair.code, repair.stdout + repair.stderr).toBe(0);
    expect(repair.stdout).toContain("0002 (index_t): failed record removed; the migration will run again");
    const again = await runCli(["up", "--database-url", url], { cwd: project });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain("Applied 2 migrations in ");
    expect(await indexesOf(url)).toEqual(["t_a", "t_b"]);
    expect((await historyOf(url)).map((h) => [h.version, h.success])).toEqual([
      ["0001", true],
      ["0002", true],
      ["0003", true],
    ]);
    expect(fs.existsSync(path.join(project, "migrations"))).toBe(true);
  });
});

async function activeQueries(url: string): Promise<string[]> {
  return withClient(url, async (c) =>
    (await c.query<{ query: string }>("SELECT query FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'dbpipe' AND state = 'active'")).rows.map((r) => r.query),
  );
}

async function indexesOf(url: string): Promise<string[]> {
  return withClient(url, async (c) => (await c.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.indexname));
}

async function waitFor(condition: () => Promise<boolean>, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`still not so after ${limitMs}ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("a runner killed during a long statement", () => {
  it("is stopped by the server soon after, so its lock does not outlive it and the next up runs", { timeout: 120_000 }, async () => {
    const url = await roundDatabase("rellong");
    // The migration pauses a minute while `first_attempt` exists: only the run that is killed does.
    await withClient(url, (c) => c.query("CREATE TABLE first_attempt (id int)"));
    const project = tempFolder(
      {
        "migrations/0001_slow_backfill.sql":
          "CREATE TABLE slow (id int);\nSELECT pg_sleep(60) FROM pg_tables WHERE tablename = 'first_attempt';\nCREATE TABLE slow_done (id int);\n",
        "Pulumi.dev.yaml": "config:\n  dbpipe:lockWait: 20s\n",
      },
      "dbpipe-rel-long-",
    );
    const run = startCli(["up", "--database-url", url], { cwd: project });
    await waitFor(async () => (await activeQueries(url)).some((q) => q.includes("pg_sleep(60)")));
    await run.kill();
    // The server notices the client is gone while the statement still runs, rolls the migration
    // back and ends the session: the lock is free long before the minute is up.
    expect(await runLockAfter(url, 15_000)).toEqual([]);
    expect(await activeQueries(url)).toEqual([]);
    expect(await tablesOf(url)).toEqual(["first_attempt"]);
    expect(await historyOf(url)).toEqual([]);

    await withClient(url, (c) => c.query("DROP TABLE first_attempt"));
    const next = await runCli(["up", "--database-url", url], { cwd: project });
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(next.stdout).toContain("Applied 1 migration in ");
    expect(await tablesOf(url)).toEqual(["slow", "slow_done"]);
  });
});
