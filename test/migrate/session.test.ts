import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionFor } from "../../src/backup/pg-dump";
import { parsePostgresUrl, postgresUrl } from "../../src/infra/server-connection";
import { embeddedBinary, postgresIds } from "../../src/local/embedded";
import { connect, withSession } from "../../src/migrate/session";
import { EXAMPLE_URL } from "../../src/redact";
import { postgresUrlProblem } from "../../src/settings/key-readers";
import { runCliInProcess } from "../helpers/cli-in-process";
import { failure } from "../helpers/database";
import { tempFolder } from "../helpers/project";

/**
 * Unix-domain sockets: a PostgreSQL server that listens on nothing but a socket in a temporary
 * folder (no TCP at all), reached through both URL forms libpq accepts — the folder
 * percent-encoded as the host, or the `host` query parameter — from the CLI, the backup's
 * pg_dump and the stack settings' URL keys, with a password that is never printed.
 */

const PASSWORD = `sock-${randomBytes(9).toString("hex")}`;
let base: string;
let socketDir: string;
let server: ChildProcess;

/** The URL of `database` over the socket, in one of the forms libpq accepts. */
function socketUrl(form: Form, database = "app"): string {
  switch (form) {
    case "encoded-host":
      return `postgresql://postgres:${PASSWORD}@${encodeURIComponent(socketDir)}/${database}`;
    case "host-parameter":
      return `postgres:///${database}?host=${socketDir}&user=postgres&password=${PASSWORD}`;
    case "user-without-host":
      // A user and password but no host before the parameter: WHATWG URLs refuse it, libpq does not.
      return `postgresql://postgres:${PASSWORD}@/${database}?host=${socketDir}`;
  }
}
type Form = (typeof FORMS)[number];
const FORMS = ["encoded-host", "host-parameter", "user-without-host"] as const;

beforeAll(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-socket-"));
  // As root, initdb and the server run as the postgres user, as the embedded server does.
  const ids = postgresIds();
  const data = path.join(base, "data");
  socketDir = path.join(base, "sock");
  fs.mkdirSync(socketDir, { mode: 0o700 });
  const pwfile = path.join(base, "pwfile");
  fs.writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  if (ids.uid !== undefined) for (const p of [base, socketDir, pwfile]) fs.chownSync(p, ids.uid, ids.gid!);
  execFileSync(embeddedBinary("initdb"), [`--pgdata=${data}`, "--auth=scram-sha-256", "--username=postgres", `--pwfile=${pwfile}`], {
    ...ids,
    stdio: "ignore",
    env: { ...process.env, LC_MESSAGES: "C" },
  });
  fs.rmSync(pwfile);
  // No TCP listener at all: whatever connects, connects over the socket.
  server = spawn(embeddedBinary("postgres"), ["-D", data, "-p", "5432", "-c", "listen_addresses=", "-c", `unix_socket_directories=${socketDir}`], { ...ids, stdio: "ignore" });
  for (let i = 0; ; i++) {
    try {
      await withSession(socketUrl("host-parameter", "postgres"), (c) => c.query("CREATE DATABASE app"));
      break;
    } catch (error) {
      if (i > 300) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}, 120_000);

afterAll(async () => {
  if (server?.exitCode === null) {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGINT");
    await exited;
  }
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

describe("a database URL naming a Unix-socket folder", () => {
  it("is what dbpipe up and status connect with, in either form, over the socket; the password is never printed", async () => {
    const project = tempFolder({ "migrations/0001_notes.sql": "CREATE TABLE notes (id int PRIMARY KEY);\n", "migrations/0002_tag.sql": "ALTER TABLE notes ADD COLUMN tag text;\n" }, "dbpipe-project-");
    const up = await runCliInProcess(["up", "--database-url", socketUrl("encoded-host")], { cwd: project });
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    expect(up.stdout).toContain(`postgresql://postgres:***@${encodeURIComponent(socketDir)}/app`);
    for (const form of ["host-parameter", "user-without-host"] as const) {
      const status = await runCliInProcess(["status", "--json", "--database-url", socketUrl(form)], { cwd: project });
      expect(status.stderr, form).toBe("");
      expect(status.code, form).toBe(0);
      expect(JSON.parse(status.stdout).migrations.map((m: { version: string; status: string }) => `${m.version} ${m.status}`)).toEqual(["0001 applied", "0002 applied"]);
      expect(status.stdout).not.toContain(PASSWORD);
    }
    expect(up.stdout).not.toContain(PASSWORD);
    // The server saw a socket client: no client address.
    expect(await withSession(socketUrl("host-parameter"), async (c) => (await c.query("SELECT inet_client_addr() AS addr, count(*)::int AS n FROM notes")).rows[0])).toEqual({ addr: null, n: 0 });
  });

  it("is what dbpipe backup hands pg_dump, its password in the environment, never on pg_dump's command line or in the manifest", async () => {
    const project = tempFolder({ "migrations/0001_notes.sql": "CREATE TABLE IF NOT EXISTS notes (id int PRIMARY KEY);\n" }, "dbpipe-project-");
    const store = tempFolder({}, "dbpipe-socket-store-");
    for (const form of FORMS) {
      const { dbname, env } = connectionFor(socketUrl(form));
      expect(dbname).not.toContain(PASSWORD);
      expect(env.PGPASSWORD).toBe(PASSWORD);
      const backup = await runCliInProcess(["backup", "--json", "--store", `file://${store}`, "--database-url", socketUrl(form)], { cwd: project });
      expect(backup.stderr).toBe("");
      expect(backup.code).toBe(0);
      expect(backup.stdout).not.toContain(PASSWORD);
      expect(JSON.parse(backup.stdout).bytes).toBeGreaterThan(0);
    }
    const files = fs.readdirSync(store);
    expect(files.filter((f) => f.endsWith(".dump"))).toHaveLength(FORMS.length);
    for (const f of files.filter((f) => f.endsWith(".json"))) expect(fs.readFileSync(path.join(store, f), "utf8")).not.toContain(PASSWORD);
  });

  it("passes the stack settings' URL check and the environment's URL parsing, which connect over the socket", async () => {
    for (const form of FORMS) expect(postgresUrlProblem(socketUrl(form)), form).toBeUndefined();
    // Peer authentication over a socket: libpq's default user.
    expect(postgresUrlProblem(`postgres:///app?host=${socketDir}`)).toBeUndefined();
    expect(postgresUrlProblem("postgres:///app")).toBe(`must name a host (${EXAMPLE_URL})`);
    expect(postgresUrlProblem("postgres://db.example.com/app")).toBe(`must name a user (${EXAMPLE_URL})`);

    for (const form of FORMS) {
      const parts = parsePostgresUrl(socketUrl(form), "dbpipe:directUrl");
      expect(parts).toEqual({ user: "postgres", password: PASSWORD, host: socketDir, port: 5432, database: "app", sslmode: "disable" });
      // The URL the environment builds from those parts reaches the same server.
      const rebuilt = postgresUrl(parts);
      expect(await withSession(rebuilt, async (c) => (await c.query("SELECT current_database() AS db, inet_client_addr() AS addr")).rows[0])).toEqual({ db: "app", addr: null });
    }
  });

  it("ignores TLS settings over the socket as libpq does (PostgreSQL offers no TLS there), where node-postgres alone would fail", async () => {
    // What an external stack's MigrationSet connects with: the stack's sslmode appended to a socket directUrl.
    const withTls = (form: Form, query: string) => `${socketUrl(form, "tls")}${socketUrl(form, "tls").includes("?") ? "&" : "?"}${query}`;
    await withSession(socketUrl("host-parameter", "postgres"), (c) => c.query("CREATE DATABASE tls"));
    const project = tempFolder({ "migrations/0001_notes.sql": "CREATE TABLE notes (id int PRIMARY KEY);\n" }, "dbpipe-project-");
    expect((await runCliInProcess(["up", "--database-url", withTls("encoded-host", "sslmode=require")], { cwd: project })).code).toBe(0);
    for (const form of FORMS) {
      for (const query of ["sslmode=require", "sslmode=verify-full&sslrootcert=system"]) {
        const status = await runCliInProcess(["status", "--database-url", withTls(form, query)], { cwd: project });
        expect({ form, query, code: status.code, stderr: status.stderr }).toEqual({ form, query, code: 0, stderr: "" });
      }
    }
    // libpq (psql, pg_dump) reads the same URL the same way.
    const psql = execFileSync("psql", [withTls("encoded-host", "sslmode=require"), "-Atc", "SELECT inet_client_addr() IS NULL"], { encoding: "utf8" });
    expect(psql.trim()).toBe("t");
  });

  it("fails on a folder without a server with a message naming the redacted URL and what to check", async () => {
    const missing = `postgresql://postgres:${PASSWORD}@${encodeURIComponent(path.join(base, "nothing-here"))}/app`;
    const error = await failure(connect(missing));
    expect(error.message).toContain(`cannot connect to postgresql://postgres:***@${encodeURIComponent(path.join(base, "nothing-here"))}/app`);
    expect(error.message).toContain("listens on a Unix socket in that folder");
    expect(error.message).not.toContain(PASSWORD);
  });
});
