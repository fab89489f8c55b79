import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { describe, expect, it, onTestFinished } from "vitest";
import { embeddedBinary, initdbPasswordFile, postgresIds } from "../../src/local/embedded";
import { runCli } from "../helpers/cli";
import { embeddedDataDir, tempFolder } from "../helpers/project";
import { postmasterOf, sleep, startGroup, stopPostmaster, waitUntil } from "./faults-support";
import { reliabilitySeed, seeded } from "./helpers/seeded";

/**
 * The embedded PostgreSQL's first start (`initdb`, then the server's first start) killed together
 * with the process group of the run, as a cancelled CI job does: the next run must bring the
 * database up, whatever the moment. A data folder that an older dbpipe left half-made (initdb
 * killed inside the folder itself) is rebuilt, because it never held data; one that held a
 * migrated database is never deleted, and the error says what to delete.
 *
 * The moments come from a seeded generator: `RELIABILITY_SEED=<seed>` replays them.
 */

const SEED = reliabilitySeed();
const random = seeded(SEED);
// eslint-disable-next-line no-console -- the seed, to replay a failure
console.info(`embedded-first-start: seed ${SEED} (replay: RELIABILITY_SEED=${SEED} npx vitest run test/reliability/embedded-first-start.test.ts)`);

const isRoot = process.getuid?.() === 0;
const MIGRATIONS = {
  "migrations/0001_create_notes.sql": "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL);\nINSERT INTO notes VALUES (1, 'kept');\n",
  "migrations/0002_add_author.sql": "ALTER TABLE notes ADD COLUMN author text;\n",
};

/** A project with two migrations; its embedded server is stopped and its data removed when the test ends. */
function project(): string {
  const dir = tempFolder(MIGRATIONS, "dbpipe-rel-embedded-");
  onTestFinished(async () => {
    const pgdata = embeddedDataDir(dir);
    await stopPostmaster(pgdata);
    fs.rmSync(`${pgdata}.initdb`, { recursive: true, force: true });
  });
  return dir;
}

/** What the first start had got to: initdb under way, the server starting, or further. */
function stageOf(dir: string): string {
  const pgdata = embeddedDataDir(dir);
  if (fs.existsSync(`${pgdata}.initdb`) && !fs.existsSync(pgdata)) return "initdb";
  if (!fs.existsSync(pgdata)) return "before initdb";
  return postmasterOf(pgdata) ? "server started" : "server starting";
}

/** Asserts that `dir`'s database has both migrations applied and its row, and that nothing is left running or held. */
async function expectConverged(dir: string, context: string): Promise<void> {
  const status = await runCli(["status", "--json"], { cwd: dir });
  expect(status.code, `${context}\n${status.stderr}`).toBe(0);
  expect(JSON.parse(status.stdout).migrations.map((m: { version: string; status: string }) => `${m.version} ${m.status}`), context).toEqual(["0001 applied", "0002 applied"]);
  const pgdata = embeddedDataDir(dir);
  // The last user stopped the server; no start lock, registration or staging folder remains.
  await waitUntil(() => postmasterOf(pgdata) === undefined, "the server to stop", 30_000);
  const stack = path.join(dir, ".dbpipe/dev");
  expect(fs.readdirSync(stack).filter((f) => f.startsWith("start.lock")), context).toEqual([]);
  expect(fs.readdirSync(path.join(stack, "users")), context).toEqual([]);
  expect(fs.existsSync(`${pgdata}.initdb`), context).toBe(false);
  // Nor the password file initdb read: no copy of the password outside the stack's password file.
  expect(fs.existsSync(initdbPasswordFile(pgdata)), context).toBe(false);
}

/** The files in `tmp`, a run's own TMPDIR, with their modes: the password must never land there. */
function tempFiles(tmp: string): string[] {
  return fs.readdirSync(tmp).map((f) => `${f} ${(fs.statSync(path.join(tmp, f)).mode & 0o777).toString(8)}`);
}

const TRIALS = 4;

describe(`the first start of the embedded server killed with its process group (seed ${SEED})`, () => {
  for (let trial = 1; trial <= TRIALS; trial++) {
    const delayMs = random.int(0, 1500);
    it(`trial ${trial}/${TRIALS}: killed ${delayMs}ms after initdb began; the next run brings the database up`, { timeout: 90_000 }, async () => {
      const dir = project();
      const tmp = tempFolder({}, "dbpipe-rel-tmp-");
      const first = startGroup(["up"], { cwd: dir, env: { TMPDIR: tmp } });
      // initdb begins when its folder appears (as root, where data-location points).
      await waitUntil(() => first.ended() || fs.existsSync(`${embeddedDataDir(dir)}.initdb`) || fs.existsSync(embeddedDataDir(dir)), "initdb to begin");
      await sleep(delayMs);
      const stage = stageOf(dir);
      first.signalGroup("SIGKILL");
      const killed = await first.done;
      const context = `seed ${SEED}, trial ${trial}: killed ${delayMs}ms after initdb began, during ${stage} (${killed.signal ?? `exit ${killed.code}`}); it printed:\n${killed.stdout}${killed.stderr}`;
      // What the killed run left: nothing in its TMPDIR, and initdb's password file, if any, private.
      expect(tempFiles(tmp), context).toEqual([]);
      const pwfile = initdbPasswordFile(embeddedDataDir(dir));
      if (fs.existsSync(pwfile)) expect((fs.statSync(pwfile).mode & 0o777).toString(8), context).toBe("600");

      const next = await runCli(["up", "--json"], { cwd: dir });
      expect(next.code, `${context}\nnext run:\n${next.stderr}`).toBe(0);
      const again = await runCli(["up", "--json"], { cwd: dir });
      expect(again.code, `${context}\nrun after:\n${again.stderr}`).toBe(0);
      expect(JSON.parse(again.stdout).applied, context).toEqual([]);
      await expectConverged(dir, context);
    });
  }
});

describe("the first start ended by a signal the run can handle (SIGTERM, as a CI job's cancellation sends first)", () => {
  it("removes initdb's password file before it exits, and the next run brings the database up", { timeout: 90_000 }, async () => {
    const dir = project();
    const tmp = tempFolder({}, "dbpipe-rel-tmp-");
    const first = startGroup(["up"], { cwd: dir, env: { TMPDIR: tmp } });
    const pwfile = () => initdbPasswordFile(embeddedDataDir(dir));
    // The moment initdb has its password file: the run is inside initdb.
    await waitUntil(() => first.ended() || fs.existsSync(pwfile()), "initdb's password file to appear");
    expect(first.ended(), first.output()).toBe(false);
    expect((fs.statSync(pwfile()).mode & 0o777).toString(8)).toBe("600");
    first.signalGroup("SIGTERM");
    const ended = await first.done;
    const context = `ended by SIGTERM (${ended.signal ?? `exit ${ended.code}`}); it printed:\n${ended.stdout}${ended.stderr}`;
    expect(ended.code, context).toBe(143);
    expect(fs.existsSync(pwfile()), context).toBe(false);
    expect(tempFiles(tmp), context).toEqual([]);

    const next = await runCli(["up", "--json"], { cwd: dir });
    expect(next.code, `${context}\nnext run:\n${next.stderr}`).toBe(0);
    expect(JSON.parse(next.stdout).applied.map((m: { version: string }) => m.version), context).toEqual(["0001", "0002"]);
    await expectConverged(dir, context);
  });
});

describe(`a data folder that initdb left half-made, as older dbpipe runs killed during it did (seed ${SEED})`, () => {
  for (let trial = 1; trial <= 3; trial++) {
    const delayMs = random.int(0, 900);
    it(`trial ${trial}/3: initdb killed ${delayMs}ms after it began; the folder, which never held data, is rebuilt`, { timeout: 90_000 }, async () => {
      const dir = project();
      const stack = path.join(dir, ".dbpipe/dev");
      fs.mkdirSync(stack, { recursive: true, mode: 0o711 });
      fs.chmodSync(stack, isRoot ? 0o711 : 0o700);
      const password = randomBytes(12).toString("hex");
      fs.writeFileSync(path.join(stack, "password"), `${password}\n`, { mode: 0o600 });
      if (isRoot) {
        // As root the project's folder is private to root: the data goes to /var/lib/dbpipe, as dbpipe puts it.
        fs.mkdirSync("/var/lib/dbpipe", { recursive: true, mode: 0o711 });
        fs.writeFileSync(path.join(stack, "data-location"), `/var/lib/dbpipe/rel-${randomBytes(8).toString("hex")}\n`);
      }
      const pgdata = embeddedDataDir(dir);
      const ids = postgresIds();
      fs.mkdirSync(pgdata, { recursive: true, mode: 0o700 });
      const pwfile = path.join(os.tmpdir(), `dbpipe-rel-pw-${randomBytes(4).toString("hex")}`);
      fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
      onTestFinished(() => fs.rmSync(pwfile, { force: true }));
      if (ids.uid !== undefined) {
        fs.chownSync(pgdata, ids.uid, ids.gid!);
        fs.chownSync(pwfile, ids.uid, ids.gid!);
      }
      // initdb writing straight into the data folder, killed with its process group part way.
      const initdb = spawn(embeddedBinary("initdb"), [`--pgdata=${pgdata}`, "--auth=password", "--username=postgres", `--pwfile=${pwfile}`], {
        ...ids,
        detached: true,
        stdio: "ignore",
        env: { ...process.env, LC_MESSAGES: "C" },
      });
      const ended = new Promise<number | null>((resolve) => initdb.on("close", (code) => resolve(code)));
      await sleep(delayMs);
      try {
        process.kill(-initdb.pid!, "SIGKILL");
      } catch {
        // It finished first: a whole folder, which must simply work.
      }
      const code = await ended;
      const left = fs.readdirSync(pgdata);
      const made = fs.existsSync(path.join(pgdata, "base")) ? fs.readdirSync(path.join(pgdata, "base")).join(",") : "none";
      const context = `seed ${SEED}, trial ${trial}: initdb killed after ${delayMs}ms (${code === 0 ? "it had finished" : "cut short"}), leaving ${left.length} entries, databases [${made}]`;

      const next = await runCli(["up", "--json"], { cwd: dir });
      expect(next.code, `${context}\n${next.stderr}`).toBe(0);
      expect(JSON.parse(next.stdout).applied.map((m: { version: string }) => m.version), context).toEqual(["0001", "0002"]);
      expect(next.stderr, context).not.toContain(password);
      await expectConverged(dir, context);
    });
  }
});

describe("a data folder that held a migrated database", () => {
  it("is never deleted when it no longer starts: exit 3 naming the folder to delete; mended, the next run finds its data", { timeout: 90_000 }, async () => {
    const dir = project();
    const first = await runCli(["up"], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    const pgdata = embeddedDataDir(dir);
    const control = path.join(pgdata, "global/pg_control");
    const saved = fs.readFileSync(control);
    const before = fs.readdirSync(path.join(pgdata, "base")).sort();
    fs.rmSync(control);

    const broken = await runCli(["up"], { cwd: dir });
    expect(broken.code).toBe(3);
    expect(broken.stderr).toContain(`could not start the embedded PostgreSQL in ${pgdata}`);
    expect(broken.stderr).toMatch(/It holds data \(a (database|table or index), base\/\d+/);
    expect(broken.stderr).toContain(`delete the folder ${pgdata}`);
    expect(broken.stderr).not.toContain(fs.readFileSync(path.join(dir, ".dbpipe/dev/password"), "utf8").trim());
    expect(broken.stderr).not.toMatch(/\n\s+at /);
    // Nothing deleted.
    expect(fs.readdirSync(path.join(pgdata, "base")).sort()).toEqual(before);

    fs.writeFileSync(control, saved, { mode: 0o600 });
    if (isRoot) {
      const ids = postgresIds();
      fs.chownSync(control, ids.uid!, ids.gid!);
    }
    await expectConverged(dir, "after pg_control was put back");
    const status = await runCli(["up", "--json"], { cwd: dir });
    expect(JSON.parse(status.stdout).applied).toEqual([]);
  });
});
