import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { type CliRun, REPO, runCli } from "../helpers/cli";
import { withClient } from "../helpers/database";
import { tempFolder } from "../helpers/project";
import { DynamicProvider, cloneProject, migrationSetUrn, registerMigrationSet } from "../infra/migration-set-harness";

/**
 * A known, distinctive password (with `@`, `%`, `:` and `/`, so it must be URL-encoded) in every
 * connection: the CLI's commands, successful and failing (bad SQL, wrong password, connection
 * refused, unknown database), in text, JSON and SARIF, and the MigrationSet provider through its
 * harness. The password must not appear, as written or URL-encoded, nor any long piece of it, in
 * any stdout, stderr, file written under the project (.dbpipe/**: backups and their manifests, the
 * lint cache), provider output (the state) or provider error. Besides `postgres://user:pw@host/db`,
 * the URL shapes that carry it elsewhere: a Unix-socket URL with the password in `?password=` or
 * in the userinfo of a `%2F`-encoded socket folder (served by a socket in front of the test
 * server), and TLS URLs with `sslmode`/`sslrootcert` (the test server has no TLS: those runs fail).
 */

const PASSWORD = "Zq9Vx@Kp%Rt:Wm/Yh7Lc";
const ENCODED = encodeURIComponent(PASSWORD);
/** What must never be printed: the password, encoded or not, and its pieces between the special characters. */
const NEEDLES = [PASSWORD, ENCODED, ...PASSWORD.split(/[@%:/]/).filter((p) => p.length >= 5), ...ENCODED.split(/%[0-9A-F]{2}/).filter((p) => p.length >= 5)];

const role = `secret_${randomBytes(4).toString("hex")}`;
const databases = ["secrets", "secrets_copy", "secrets_ms", "secrets_fail"].map((name) => `${name}_${randomBytes(4).toString("hex")}`);

/** The URL of `database` on the test server, logged in as the role with the password. */
function urlOf(database: string, password = PASSWORD, port?: string): string {
  const url = new URL(inject("adminUrl"));
  url.username = role;
  url.password = encodeURIComponent(password);
  url.pathname = `/${database}`;
  if (port) url.port = port;
  return url.toString();
}

/** The folder of the Unix socket in front of the test server (set up in beforeAll). */
let socketDir = "";
let socketServer: net.Server | undefined;

/** A Unix-socket URL of `database`, the password in the query (`postgres:///db?host=/dir&password=`). */
function socketQueryUrl(database: string, password = PASSWORD): string {
  return `postgres:///${database}?host=${socketDir}&user=${role}&password=${encodeURIComponent(password)}`;
}

/** A Unix-socket URL of `database`, the socket folder percent-encoded as the host (`postgresql://user:pw@%2Fdir/db`). */
function socketHostUrl(database: string, password = PASSWORD): string {
  return `postgresql://${role}:${encodeURIComponent(password)}@${encodeURIComponent(socketDir)}/${database}`;
}

/** `urlOf(database)` with TLS parameters (`sslmode=verify-full&sslrootcert=...`). */
function tlsUrl(database: string, params: string): string {
  return `${urlOf(database)}?${params}`;
}

/** The CA bundle dbpipe ships: a real PEM file for `sslrootcert`. */
const CA_BUNDLE = path.join(REPO, "certs", "rds-ca-bundle.pem");

/**
 * Serves `.s.PGSQL.5432` in a fresh folder, each connection piped to the test server's TCP port:
 * the test server listens on no socket, and the client must really connect through one.
 */
/** The forwarder's open connections, both ends. */
const forwarded = new Set<net.Socket>();

async function startSocketForwarder(): Promise<void> {
  const admin = new URL(inject("adminUrl"));
  socketDir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-sock-"));
  socketServer = net.createServer((client) => {
    const server = net.connect(Number(admin.port), admin.hostname);
    forwarded.add(client).add(server);
    client.once("close", () => forwarded.delete(client));
    server.once("close", () => forwarded.delete(server));
    client.pipe(server).pipe(client);
    client.on("error", () => server.destroy());
    server.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    socketServer!.once("error", reject);
    socketServer!.listen(path.join(socketDir, ".s.PGSQL.5432"), resolve);
  });
}

/** Where each needle was found in `text`, as `label: needle`. */
function leaks(label: string, text: string): string[] {
  return NEEDLES.filter((n) => text.includes(n)).map((n) => `${label}: ${JSON.stringify(n)}`);
}

/** Every file under `dir` (but the migrations the test wrote), with its content. */
function filesUnder(dir: string): [string, string][] {
  const out: [string, string][] = [];
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (path.relative(dir, file).startsWith("migrations")) continue;
    out.push([path.relative(dir, file), fs.readFileSync(file).toString("latin1")]);
  }
  return out;
}

/** The leaks found by the test that is running (emptied before each). */
const found: string[] = [];

/** Runs the CLI, records what it printed for the leak check, and returns the run. */
async function cli(label: string, args: string[], cwd: string, env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const run = await runCli(args, { cwd, env });
  found.push(...leaks(`${label} stdout`, run.stdout), ...leaks(`${label} stderr`, run.stderr));
  return run;
}

beforeAll(async () => {
  await withClient(inject("adminUrl"), async (c) => {
    await c.query(`CREATE ROLE ${role} LOGIN CREATEDB PASSWORD '${PASSWORD.replace(/'/g, "''")}'`);
    for (const db of databases) await c.query(`CREATE DATABASE ${db} OWNER ${role}`);
  });
  await startSocketForwarder();
});

afterAll(async () => {
  // close() waits for every connection to end: a client that left one open (a killed process's) would hold it for ever.
  for (const socket of forwarded) socket.destroy();
  await new Promise((resolve) => (socketServer ? socketServer.close(resolve) : resolve(undefined)));
  fs.rmSync(socketDir, { recursive: true, force: true });
  await withClient(inject("adminUrl"), async (c) => {
    for (const db of databases) await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    // The drill's scratch databases are dropped by the drill; any left behind would be the role's.
    const left = (await c.query("SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE r.rolname = $1", [role])).rows;
    for (const { datname } of left) await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await c.query(`DROP ROLE IF EXISTS ${role}`);
  });
});

describe("the password of the database never appears", () => {
  beforeEach(() => void found.splice(0));

  it("the test's password is in use: the role logs in with it", async () => {
    const dir = tempFolder({ "migrations/0001_a.sql": "CREATE TABLE a (i int);\n" });
    const ok = await runCli(["status", "--database-url", urlOf(databases[3])], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(NEEDLES.length).toBeGreaterThanOrEqual(4);
  });

  it("in the CLI's output and files: up, plan, status, lint, backup, backups, restore (and its failures), the drill, verify, down, in text, JSON and SARIF", async () => {
    const dir = tempFolder(
      {
        "migrations/0001_customers.sql": "CREATE TABLE customers (id bigint PRIMARY KEY, email text);\nINSERT INTO customers VALUES (1, 'a@example.com');\n-- dbpipe:down\nDROP TABLE customers;\n",
        "migrations/0002_invoices.sql": "CREATE TABLE invoices (id bigint PRIMARY KEY);\n-- dbpipe:down\nDROP TABLE invoices;\n",
      },
      "dbpipe-secrets-",
    );
    const url = urlOf(databases[0]);
    const db = ["--database-url", url];
    const expectCode = (run: CliRun, code: number) => expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(code);
    expectCode(await cli("plan", ["plan", ...db], dir), 0);
    expectCode(await cli("plan --json", ["plan", "--json", ...db], dir), 0);
    expectCode(await cli("up", ["up", ...db], dir), 0);
    expectCode(await cli("up --json", ["up", "--json", ...db], dir), 0);
    expectCode(await cli("status", ["status", ...db], dir), 0);
    expectCode(await cli("status --json (DATABASE_URL_DIRECT)", ["status", "--json"], dir, { DATABASE_URL_DIRECT: url }), 0);
    expectCode(await cli("status (DATABASE_URL)", ["status"], dir, { DATABASE_URL: url }), 0);
    expectCode(await cli("lint --database-url", ["lint", ...db], dir), 0);
    expectCode(await cli("lint --format json", ["lint", "--format", "json", ...db], dir), 0);
    expectCode(await cli("lint --format sarif", ["lint", "--format", "sarif", ...db], dir), 0);
    expectCode(await cli("lint --format markdown", ["lint", "--format", "markdown", ...db], dir), 0);
    expectCode(await cli("backup", ["backup", ...db], dir), 0);
    const backup = await cli("backup --json", ["backup", "--json", ...db], dir);
    expectCode(backup, 0);
    expectCode(await cli("backups", ["backups"], dir, { DATABASE_URL: url }), 0);
    const listed = await cli("backups --json", ["backups", "--json"], dir, { DATABASE_URL: url });
    expectCode(listed, 0);
    const id = (JSON.parse(listed.stdout) as { backups: { id: string }[] }).backups[0].id;
    expectCode(await cli("restore --to", ["restore", id, "--to", urlOf(databases[1])], dir), 0);
    expectCode(await cli("restore --to (not empty)", ["restore", id, "--to", urlOf(databases[1])], dir), 2);
    expectCode(await cli("restore --to (no such database)", ["restore", id, "--to", urlOf("no_such_database")], dir), 3);
    // A server that trusts local connections lets any password in (exit 0); others refuse it (3).
    expect([0, 3]).toContain((await cli("restore --to (wrong password)", ["restore", id, "--force", "--to", urlOf(databases[1], `${PASSWORD}x`)], dir)).code);
    expectCode(await cli("restore --drill", ["restore", "--drill", ...db], dir), 0);
    expectCode(await cli("restore --drill --json", ["restore", "--drill", "--json", ...db], dir), 0);
    expectCode(await cli("verify --scratch-url", ["verify", ...db, "--scratch-url", url], dir), 0);
    expectCode(await cli("down --all", ["down", "--all", ...db], dir), 0);
    expectCode(await cli("up again --json", ["up", "--json", ...db], dir), 0);

    // The same database through a Unix socket: the password in ?password=, and in the userinfo of a %2F host.
    for (const [shape, socketUrl] of [["socket ?password=", socketQueryUrl(databases[0])], ["socket %2F host", socketHostUrl(databases[0])]]) {
      const sdb = ["--database-url", socketUrl];
      expectCode(await cli(`status (${shape})`, ["status", ...sdb], dir), 0);
      expectCode(await cli(`status --json (${shape}, DATABASE_URL)`, ["status", "--json"], dir, { DATABASE_URL: socketUrl }), 0);
      expectCode(await cli(`down --all --json (${shape})`, ["down", "--all", "--json", ...sdb], dir), 0);
      expectCode(await cli(`plan (${shape})`, ["plan", ...sdb], dir), 0);
      expectCode(await cli(`up --json (${shape})`, ["up", "--json", ...sdb], dir), 0);
      expectCode(await cli(`lint --format sarif (${shape})`, ["lint", "--format", "sarif", ...sdb], dir), 0);
      expectCode(await cli(`backup --json (${shape})`, ["backup", "--json", ...sdb], dir), 0);
      expectCode(await cli(`verify --scratch-url (${shape})`, ["verify", ...sdb, "--scratch-url", socketUrl], dir), 0);
    }
    // TLS parameters on a socket URL: libpq ignores them there, and so does dbpipe.
    const socketTls = `${socketQueryUrl(databases[0])}&sslmode=verify-full&sslrootcert=${CA_BUNDLE}`;
    expectCode(await cli("status --json (socket with sslmode=verify-full&sslrootcert)", ["status", "--json", "--database-url", socketTls], dir), 0);
    expectCode(await cli("backup (socket with sslmode=verify-full&sslrootcert)", ["backup", "--database-url", socketTls], dir), 0);

    // The files it wrote: backups, their manifests, the lint cache.
    const files = filesUnder(dir);
    expect(files.some(([f]) => f.endsWith(".json") && f.includes("backups")), files.map(([f]) => f).join(", ")).toBe(true);
    for (const [file, content] of files) found.push(...leaks(file, content));
    expect(found).toEqual([]);
  });

  it("in failing runs: bad SQL (with a PASSWORD literal), wrong password, connection refused, unknown database, a restore into a missing database", async () => {
    const dir = tempFolder({ "migrations/0001_fails.sql": "CREATE TABLE t (i int);\nSELECT * FROM no_such_table;\n" }, "dbpipe-secrets-fail-");
    const literal = tempFolder({ "migrations/0001_role.sql": `ALTER ROLE no_such_role_${role} PASSWORD '${PASSWORD}';\n` }, "dbpipe-secrets-literal-");
    const url = urlOf(databases[3]);
    const failing: [string, string[], string, number[]][] = [
      ["bad SQL", ["up", "--database-url", url], dir, [3]],
      ["bad SQL --json", ["up", "--json", "--database-url", url], dir, [3]],
      ["a PASSWORD literal in failing SQL", ["up", "--database-url", url], literal, [3]],
      ["a PASSWORD literal in failing SQL --json", ["up", "--json", "--database-url", url], literal, [3]],
      // A server that trusts local connections lets any password in: the run must still print none.
      ["wrong password", ["status", "--database-url", urlOf(databases[3], `${PASSWORD}x`)], dir, [0, 3]],
      ["wrong password --json", ["up", "--json", "--database-url", urlOf(databases[3], `${PASSWORD}x`)], dir, [0, 3]],
      ["connection refused", ["plan", "--database-url", urlOf(databases[3], PASSWORD, "1")], dir, [3]],
      ["connection refused (DATABASE_URL)", ["status", "--json"], dir, [3]],
      ["unknown database", ["status", "--database-url", urlOf("no_such_database")], dir, [3]],
      ["unknown database, lint", ["lint", "--database-url", urlOf("no_such_database")], dir, [3]],
      ["unknown database, backup", ["backup", "--database-url", urlOf("no_such_database")], dir, [3]],
      ["restore into a missing database", ["restore", "--drill", "--database-url", urlOf("no_such_database")], dir, [2, 3]],
      ["not a URL", ["status", "--database-url", `postgres://${role}:${PASSWORD}@host:notaport/db`], dir, [2, 3]],
      ["another scheme", ["status", "--database-url", `mysql://${role}:${ENCODED}@localhost/db`], dir, [2]],
      // Unix sockets: a folder nobody serves, an unknown database, bad SQL, a wrong password.
      ["socket ?password=, no such socket folder", ["status", "--database-url", `postgres:///db?host=/nonexistent/dbpipe-sock&user=${role}&password=${ENCODED}`], dir, [3]],
      ["socket %2F host, no such socket folder", ["plan", "--json", "--database-url", `postgresql://${role}:${ENCODED}@%2Fnonexistent%2Fdbpipe-sock/db`], dir, [3]],
      ["socket ?password=, unknown database", ["status", "--json", "--database-url", socketQueryUrl("no_such_database")], dir, [3]],
      ["socket %2F host, bad SQL", ["up", "--json", "--database-url", socketHostUrl(databases[3])], dir, [3]],
      ["socket ?password=, a PASSWORD literal in failing SQL", ["up", "--database-url", socketQueryUrl(databases[3])], literal, [3]],
      ["socket ?password=, wrong password", ["status", "--database-url", socketQueryUrl(databases[3], `${PASSWORD}x`)], dir, [0, 3]],
      // TLS URLs against a server without TLS, and a CA file that is not there.
      ["sslmode=verify-full&sslrootcert=<CA bundle>", ["status", "--database-url", tlsUrl(databases[3], `sslmode=verify-full&sslrootcert=${CA_BUNDLE}`)], dir, [3]],
      ["sslmode=verify-full&sslrootcert=<CA bundle> --json", ["up", "--json", "--database-url", tlsUrl(databases[3], `sslmode=verify-full&sslrootcert=${CA_BUNDLE}`)], dir, [3]],
      ["sslmode=verify-ca&sslrootcert=<missing file>", ["plan", "--database-url", tlsUrl(databases[3], "sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem")], dir, [2, 3]],
      ["sslmode=verify-full&sslrootcert=system, lint", ["lint", "--database-url", tlsUrl(databases[3], "sslmode=verify-full&sslrootcert=system")], dir, [3]],
      ["sslmode=require, backup", ["backup", "--database-url", tlsUrl(databases[3], "sslmode=require")], dir, [3]],
    ];
    for (const [label, args, cwd, codes] of failing) {
      const env = label.includes("(DATABASE_URL)") ? { DATABASE_URL: urlOf(databases[3], PASSWORD, "1") } : {};
      const run = await cli(label, args, cwd, env);
      expect(codes, `${label}: exit ${run.code}\n${run.stderr}`).toContain(run.code);
      expect(run.stderr, label).not.toContain("looks like a bug");
    }
    for (const [file, content] of [...filesUnder(dir), ...filesUnder(literal)]) found.push(...leaks(file, content));
    expect(found).toEqual([]);
  });

  it("in the MigrationSet provider's outputs (the state) and errors, through the engine's gRPC", { timeout: 180_000 }, async () => {
    const migrationsDir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-secrets-ms-"));
    const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-secrets-store-"));
    const clone = cloneProject();
    const provider = await DynamicProvider.start(clone);
    const urn = migrationSetUrn("dev");
    const errors: string[] = [];
    const failure = async (promise: Promise<unknown>) => {
      try {
        await promise;
      } catch (error) {
        errors.push((error as { details?: string }).details ?? String(error));
        return;
      }
      throw new Error("expected the call to fail");
    };
    try {
      fs.writeFileSync(path.join(migrationsDir, "0001_a.sql"), "CREATE TABLE a (i int);\n");
      const inputs = async (databaseUrl: string) => {
        const registered = await registerMigrationSet("dev", { databaseUrl, migrationsDir, backup: pathToFileURL(storeDir).href });
        // The URL goes to the engine as a secret (stored encrypted), and comes back as the secret output databaseUrl.
        expect(registered.secretInputs).toContain("databaseUrl");
        const checked = await provider.check(urn, {}, registered.inputs);
        found.push(...leaks("check failures", JSON.stringify(checked.failures)));
        return checked.inputs;
      };
      const url = urlOf(databases[2]);
      const created = await provider.create(urn, await inputs(url));
      const states = [created.outputs];
      fs.writeFileSync(path.join(migrationsDir, "0002_fails.sql"), `ALTER ROLE no_such_role_${role} PASSWORD '${PASSWORD}';\n`);
      await failure(provider.update(urn, created.id, created.outputs, await inputs(url)));
      fs.rmSync(path.join(migrationsDir, "0002_fails.sql"));
      fs.writeFileSync(path.join(migrationsDir, "0002_b.sql"), "CREATE TABLE b (i int);\n");
      await failure(provider.update(urn, created.id, created.outputs, await inputs(urlOf(databases[2], PASSWORD, "1"))));
      await failure(provider.update(urn, created.id, created.outputs, await inputs(urlOf("no_such_database"))));
      // The Unix-socket and TLS URL shapes: a socket URL with ?password= that works, TLS URLs the server (no TLS) refuses.
      states.push(await provider.update(urn, created.id, created.outputs, await inputs(socketQueryUrl(databases[2]))));
      states.push(await provider.update(urn, created.id, created.outputs, await inputs(socketHostUrl(databases[2]))));
      await failure(provider.update(urn, created.id, created.outputs, await inputs(tlsUrl(databases[2], `sslmode=verify-full&sslrootcert=${CA_BUNDLE}`))));
      await failure(provider.update(urn, created.id, created.outputs, await inputs(tlsUrl(databases[2], "sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem"))));
      const wrong = provider.update(urn, created.id, created.outputs, await inputs(urlOf(databases[2], `${PASSWORD}x`)));
      await wrong.then((outputs) => states.push(outputs), (error) => errors.push((error as { details?: string }).details ?? String(error)));
      states.push(await provider.update(urn, created.id, created.outputs, await inputs(url)));
      states.push((await provider.read(urn, created.id, states.at(-1)!)).outputs);
      expect(errors.length).toBeGreaterThanOrEqual(5);
      for (const [i, state] of states.entries()) found.push(...leaks(`provider outputs ${i}`, JSON.stringify({ ...state, databaseUrl: undefined })));
      for (const [i, message] of errors.entries()) found.push(...leaks(`provider error ${i}`, message));
      found.push(...leaks("provider stderr", provider.stderr));
      for (const [file, content] of filesUnder(storeDir)) found.push(...leaks(`store ${file}`, content));
      expect(found, errors.join("\n")).toEqual([]);
    } finally {
      await provider.stop();
      for (const d of [clone, migrationsDir, storeDir]) fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
