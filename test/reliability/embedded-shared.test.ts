import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { Client } from "pg";
import { runCli } from "../helpers/cli";
import { embeddedDataDir, tempFolder } from "../helpers/project";
import { postmasterOf, sleep, startGroup, stopPostmaster, waitUntil } from "./faults-support";
import { reliabilitySeed, seeded } from "./helpers/seeded";

/**
 * The embedded server shared by several runs of one project: Ctrl-C (SIGINT to the process group,
 * as a terminal sends it) in the run that started it must not stop it under another run, and the
 * start locks and user registrations of killed runs must not keep it running or block the next run.
 *
 * The moments come from a seeded generator: `RELIABILITY_SEED=<seed>` replays them.
 */

const SEED = reliabilitySeed();
const random = seeded(SEED);
// eslint-disable-next-line no-console -- the seed, to replay a failure
console.info(`embedded-shared: seed ${SEED} (replay: RELIABILITY_SEED=${SEED} npx vitest run test/reliability/embedded-shared.test.ts)`);

const MIGRATIONS = {
  "migrations/0001_slow_notes.sql": "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL);\nSELECT pg_sleep(3);\nINSERT INTO notes VALUES (1, 'kept');\n",
  "migrations/0002_add_author.sql": "ALTER TABLE notes ADD COLUMN author text;\n",
};

function project(): string {
  const dir = tempFolder(MIGRATIONS, "dbpipe-rel-shared-");
  onTestFinished(() => stopPostmaster(embeddedDataDir(dir)));
  return dir;
}

/** How many runs are registered as users of `dir`'s server. */
function users(dir: string): string[] {
  try {
    return fs.readdirSync(path.join(dir, ".dbpipe/dev/users"));
  } catch {
    return [];
  }
}

/** True while a session on `dir`'s server runs 0001's pg_sleep. */
async function migrating(dir: string): Promise<boolean> {
  const server = postmasterOf(embeddedDataDir(dir));
  if (!server) return false;
  const password = fs.readFileSync(path.join(dir, ".dbpipe/dev/password"), "utf8").trim();
  const client = new Client({ host: "127.0.0.1", port: server.port, user: "postgres", password, database: "postgres" });
  client.on("error", () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3)%' AND pid <> pg_backend_pid()");
    return rows[0].n > 0;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** No server left running, no start lock (nor the files it is made from), nobody registered. */
async function expectLeftClean(dir: string, context: string): Promise<void> {
  await waitUntil(() => postmasterOf(embeddedDataDir(dir)) === undefined, "the last user to stop the server", 30_000);
  expect(fs.readdirSync(path.join(dir, ".dbpipe/dev")).filter((f) => f.startsWith("start.lock")), context).toEqual([]);
  expect(users(dir), context).toEqual([]);
}

const TRIALS = 3;

describe(`Ctrl-C in the run that started the shared embedded server (seed ${SEED})`, () => {
  for (let trial = 1; trial <= TRIALS; trial++) {
    const delayMs = random.int(0, 2000);
    it(`trial ${trial}/${TRIALS}: SIGINT to its process group ${delayMs}ms into its migration does not stop the server under the other run`, { timeout: 90_000 }, async () => {
      const dir = project();
      const starter = startGroup(["up"], { cwd: dir });
      await waitUntil(() => starter.ended() || migrating(dir), "the first run to be inside 0001");
      expect(starter.ended(), starter.output()).toBe(false);
      const server = postmasterOf(embeddedDataDir(dir))!;
      // A second run attaches to the server and waits for the run lock.
      const other = startGroup(["up", "--json"], { cwd: dir });
      await waitUntil(() => other.ended() || users(dir).length >= 2, "the second run to register");
      await sleep(delayMs);
      starter.signalGroup("SIGINT");
      const interrupted = await starter.done;
      const context = `seed ${SEED}, trial ${trial}: SIGINT ${delayMs}ms after the second run registered; the first run printed:\n${interrupted.stdout}${interrupted.stderr}`;
      // It exits as an interrupted process does (128 + SIGINT), the server still up for the other run.
      expect(interrupted.code, context).toBe(130);
      expect(postmasterOf(embeddedDataDir(dir))?.pid, context).toBe(server.pid);

      const finished = await other.done;
      expect(finished.code, `${context}\nthe other run:\n${finished.stderr}`).toBe(0);
      // 0001 went to the server whole, with its history row: its session either committed it after the
      // first run was gone or rolled it back; the other run applied what was left, never 0001 twice.
      const applied = JSON.parse(finished.stdout).applied.map((m: { version: string }) => m.version).join(",");
      expect(["0001,0002", "0002"], context).toContain(applied);
      await expectLeftClean(dir, context);
      const status = await runCli(["status", "--json"], { cwd: dir });
      expect(JSON.parse(status.stdout).migrations.map((m: { status: string }) => m.status), context).toEqual(["applied", "applied"]);
      await expectLeftClean(dir, context);
    });
  }
});

describe(`start locks and user registrations left by killed runs (seed ${SEED})`, () => {
  const kills = Array.from({ length: 6 }, () => random.int(0, 2500));
  it(`6 runs killed with SIGKILL at ${kills.join(", ")}ms, then a pid of theirs reused: the next run neither waits nor leaves the server running`, { timeout: 90_000 }, async () => {
    const dir = project();
    const moments: string[] = [];
    for (const delayMs of kills) {
      const run = startGroup(["up"], { cwd: dir });
      await sleep(delayMs);
      run.signalGroup("SIGKILL");
      const killed = await run.done;
      moments.push(`${delayMs}ms: ${killed.signal ?? `exit ${killed.code}`}`);
    }
    // A killed run's pid now belongs to a live process (this one), which started at another moment.
    const stack = path.join(dir, ".dbpipe/dev");
    fs.mkdirSync(path.join(stack, "users"), { recursive: true });
    fs.writeFileSync(path.join(stack, "users", `${process.pid}-0badc0de`), `${process.pid} start=1\n`);
    fs.writeFileSync(path.join(stack, "start.lock"), `${process.pid} 0123456789abcdef start=1\n`);
    fs.writeFileSync(path.join(stack, "start.lock.999999999.0badc0de"), "999999999 left by a killed run\n");
    const context = `seed ${SEED}: ${moments.join("; ")}`;

    const next = await runCli(["up", "--json"], { cwd: dir });
    expect(next.code, `${context}\n${next.stderr}`).toBe(0);
    await expectLeftClean(dir, context);
    const status = await runCli(["status", "--json"], { cwd: dir });
    expect(JSON.parse(status.stdout).migrations.map((m: { status: string }) => m.status), context).toEqual(["applied", "applied"]);
  });
});
