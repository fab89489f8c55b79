import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli";
import { withClient } from "../helpers/database";
import { tempFolder } from "../helpers/project";
import { startCli } from "./helpers/cli-process";
import { historyOf, roundDatabase, runLockHolders } from "./helpers/round-database";
import { RACE_VERSIONS as VERSIONS, raceMigrations as migrations } from "./helpers/workloads";

/**
 * Eight `dbpipe up` processes started at once on one database, twenty times over (a fresh database
 * each round), as eight CI jobs or a deploy racing a developer would: the run lock lets one apply
 * everything, the others wait and then find nothing to do; the data (`applied_log`) shows each
 * migration ran once, all in one session.
 */

const ROUNDS = 20;
const RUNNERS = 8;

const WAITING = "waiting for another dbpipe run on this database (up to 2min)...\n";
const NOTHING = "Nothing to apply: the database is up to date at 0010 (create_t10).";

describe(`${RUNNERS} dbpipe up processes at once on one database`, () => {
  const project = tempFolder(migrations(), "dbpipe-rel-concurrency-");
  const tally = { waited: 0, foundNothing: 0 };

  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}/${ROUNDS}: one applies every migration once, the others wait or find nothing to do, all exit 0`, { timeout: 120_000 }, async () => {
      const url = await roundDatabase("relconc");
      const runs = await Promise.all(Array.from({ length: RUNNERS }, () => startCli(["up", "--database-url", url], { cwd: project }).done));
      const report = runs.map((r, i) => `runner ${i + 1}: exit ${r.code}\n${r.stdout}${r.stderr}`).join("\n");

      expect(runs.map((r) => r.code), report).toEqual(Array(RUNNERS).fill(0));
      const appliers = runs.filter((r) => /Applied 10 migrations in \d+ms; the database is at 0010 \(create_t10\)\./.test(r.stdout));
      expect(appliers, report).toHaveLength(1);
      expect(appliers[0].stdout.match(/✓ \d{4} /g), report).toHaveLength(10);
      for (const r of runs.filter((x) => x !== appliers[0])) {
        // A run that lost the race says so in a line of its own, and applies nothing.
        expect(r.stdout, report).toContain(NOTHING);
        expect(r.stdout, report).not.toContain("✓");
        expect([WAITING, ""], report).toContain(r.stderr);
        if (r.stderr === WAITING) tally.waited++;
        else tally.foundNothing++;
      }
      expect(appliers[0].stderr === "" || appliers[0].stderr === WAITING, report).toBe(true);

      // The history and the data agree: every migration once, all by one session.
      const history = await historyOf(url);
      expect(history.map((h) => [h.version, h.success, h.kind])).toEqual(VERSIONS.map((v) => [v, true, "migrate"]));
      const log = await withClient(url, async (c) => (await c.query<{ version: string; pid: number }>("SELECT version, pid FROM applied_log ORDER BY version")).rows);
      expect(log.map((l) => l.version)).toEqual(VERSIONS);
      expect(new Set(log.map((l) => l.pid)).size).toBe(1);
      const indexes = await withClient(url, async (c) => (await c.query("SELECT indexname FROM pg_indexes WHERE indexname = 't2_note' AND schemaname = 'public'")).rowCount);
      expect(indexes).toBe(1);
      // Every runner has ended its session: nobody holds the run lock any more.
      expect(await runLockHolders(url)).toEqual([]);
    });
  }

  it("summary", () => {
    // eslint-disable-next-line no-console -- how the rounds went, for the run's output
    console.info(`concurrency (CLI): ${ROUNDS} rounds × ${RUNNERS} processes; losers that waited for the lock: ${tally.waited}, that found nothing to do without waiting: ${tally.foundNothing}`);
  });
});

describe("a runner that cannot get the lock", () => {
  it("waits the stack's lockWait, then exits 3 naming the holder, having applied nothing", { timeout: 120_000 }, async () => {
    const url = await roundDatabase("rellock");
    const project = tempFolder({ ...migrations(), "Pulumi.dev.yaml": "config:\n  dbpipe:lockWait: 1s\n" }, "dbpipe-rel-lockwait-");
    await withClient(url, async (holder) => {
      await holder.query("SET application_name = 'other-runner'");
      await holder.query("SELECT pg_advisory_lock(7305147392751013421)");
      const run = await runCli(["up", "--database-url", url], { cwd: project });
      expect(run.code, run.stdout + run.stderr).toBe(3);
      expect(run.stderr).toContain("waiting for another dbpipe run on this database (up to 1s)...\n");
      expect(run.stderr).toMatch(
        /error: another dbpipe run holds the migration lock on this database \(server pid \d+, other-runner from 127\.0\.0\.1\) and did not finish within 1s; try again when it is done \(raise dbpipe:lockWait to wait longer\)/,
      );
      expect(run.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
      expect(run.stdout).not.toContain("✓");
    });
    expect(await historyOf(url)).toEqual([]);
    expect(await runLockHolders(url)).toEqual([]);
    // Once the holder is gone, the same command goes through.
    const next = await runCli(["up", "--database-url", url], { cwd: project });
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(next.stdout).toContain("Applied 10 migrations in ");
  });
});
