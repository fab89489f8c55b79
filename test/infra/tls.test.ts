import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresUrl } from "../../src/infra/server-connection";
import { startEmbedded, type EmbeddedServer } from "../../src/local/embedded";
import { withSession } from "../../src/migrate/session";
import { RDS_CA_BUNDLE } from "../../src/tls";
import { withClient } from "../helpers/database";

// TLS on a real PostgreSQL: a server whose certificate (for `localhost`) is signed by a CA made here
// with openssl, reached the way dbpipe reaches a server — the core's connect() (migrations, the
// MigrationSet provider, `dbpipe`) and libpq (pg_dump, psql) — with the URLs the program builds
// (postgresUrl), so each sslmode is shown to accept and refuse what libpq says it does.

const work = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-tls-"));
const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: work, stdio: "pipe" });
let server: EmbeddedServer;
let password: string;
let port: number;

/** A self-signed CA: `<name>.crt` and its key. */
function makeCa(name: string): string {
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=dbpipe test ${name}`, "-keyout", `${name}.key`, "-out", `${name}.crt`);
  return path.join(work, `${name}.crt`);
}

beforeAll(async () => {
  makeCa("ca");
  makeCa("other-ca");
  // The server's certificate names localhost only, as an RDS certificate names the instance's endpoint.
  fs.writeFileSync(path.join(work, "san.ext"), "subjectAltName=DNS:localhost\n");
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr");
  openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.crt");

  server = await startEmbedded({ dataDir: path.join(work, "pg") });
  port = server.port;
  password = decodeURIComponent(new URL(server.url).password);
  // The key must belong to the server's own user and be private to it.
  const owner = fs.statSync(server.dataDir);
  for (const file of ["server.crt", "server.key"]) {
    const target = path.join(server.dataDir, file);
    fs.copyFileSync(path.join(work, file), target);
    fs.chownSync(target, owner.uid, owner.gid);
    fs.chmodSync(target, 0o600);
  }
  await withClient(server.url, async (c) => {
    await c.query("ALTER SYSTEM SET ssl_cert_file = 'server.crt'");
    await c.query("ALTER SYSTEM SET ssl_key_file = 'server.key'");
    await c.query("ALTER SYSTEM SET ssl = on");
    await c.query("SELECT pg_reload_conf()");
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** The URL the program would build for the superuser at `host` with `sslmode` and `sslrootcert`. */
function url(host: string, sslmode: string, sslrootcert?: string): string {
  return postgresUrl({ user: "postgres", password, host, port, database: "postgres", sslmode, sslrootcert });
}

/** Connects through the core's connect() and says whether the session is encrypted. */
async function sessionIsEncrypted(target: string): Promise<boolean> {
  return withSession(target, async (c) => (await c.query<{ ssl: boolean }>("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).rows[0].ssl);
}

/** The error the core's connect() fails with. */
async function connectError(target: string): Promise<Error> {
  try {
    await withSession(target, async () => undefined);
  } catch (error) {
    return error as Error;
  }
  throw new Error("connected");
}

/** libpq's answer (psql, as pg_dump connects): exit status and stderr. */
function libpq(target: string): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync("psql", [target, "-Atc", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"], { encoding: "utf8", env: { ...process.env, PGCONNECT_TIMEOUT: "10" } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}
const hasPsql = spawnSync("psql", ["--version"]).status === 0;

describe("verify-full (rds over vpc)", () => {
  it("connects when the CA signed the certificate and it names the host", async () => {
    expect(await sessionIsEncrypted(url("localhost", "verify-full", path.join(work, "ca.crt")))).toBe(true);
  });

  it("refuses a certificate another CA signed, saying what to check", async () => {
    const error = await connectError(url("localhost", "verify-full", path.join(work, "other-ca.crt")));
    expect(error.message).toMatch(/self[- ]signed certificate in certificate chain|unable to verify/i);
    expect(error.message).toContain("check sslmode and sslrootcert");
    expect(error.message).not.toContain(password);
  });

  it("refuses a certificate that does not name the host connected to", async () => {
    const error = await connectError(url("127.0.0.1", "verify-full", path.join(work, "ca.crt")));
    expect(error.message).toMatch(/Hostname\/IP does not match certificate's altnames/);
  });

  it("refuses a server the RDS bundle does not vouch for: the pinned bundle is what is trusted, not Node's roots", async () => {
    const error = await connectError(url("localhost", "verify-full", path.resolve(RDS_CA_BUNDLE)));
    expect(error.message).toMatch(/self[- ]signed certificate in certificate chain|unable to verify/i);
  });

  it.runIf(hasPsql)("libpq (pg_dump's library) agrees on each case", () => {
    expect(libpq(url("localhost", "verify-full", path.join(work, "ca.crt")))).toMatchObject({ status: 0 });
    expect(libpq(url("localhost", "verify-full", path.join(work, "other-ca.crt"))).stderr).toMatch(/certificate verify failed/);
    expect(libpq(url("127.0.0.1", "verify-full", path.join(work, "ca.crt"))).stderr).toMatch(/does not match host name "127\.0\.0\.1"/);
  });
});

describe("verify-ca (rds through the SSM tunnel: the host is localhost, not the certificate's name)", () => {
  it("connects to a host the certificate does not name when the CA signed it", async () => {
    expect(await sessionIsEncrypted(url("127.0.0.1", "verify-ca", path.join(work, "ca.crt")))).toBe(true);
  });

  it("still refuses a certificate another CA signed", async () => {
    const error = await connectError(url("127.0.0.1", "verify-ca", path.join(work, "other-ca.crt")));
    expect(error.message).toMatch(/self[- ]signed certificate in certificate chain|unable to verify/i);
  });

  it("is refused without a CA file: against public roots it would accept any of their certificates", async () => {
    const error = await connectError(url("127.0.0.1", "verify-ca"));
    expect(error.message).toMatch(/sslmode=verify-ca without an sslrootcert file/);
  });

  it.runIf(hasPsql)("libpq agrees", () => {
    expect(libpq(url("127.0.0.1", "verify-ca", path.join(work, "ca.crt")))).toMatchObject({ status: 0 });
    expect(libpq(url("127.0.0.1", "verify-ca", path.join(work, "other-ca.crt"))).stderr).toMatch(/certificate verify failed/);
  });
});

describe("require (an external host's documented URL)", () => {
  it("encrypts without verifying, as libpq does (node-postgres alone would verify and refuse this server)", async () => {
    expect(await sessionIsEncrypted(url("127.0.0.1", "require"))).toBe(true);
  });

  it.runIf(hasPsql)("libpq agrees", () => {
    expect(libpq(url("127.0.0.1", "require"))).toMatchObject({ status: 0 });
  });

  it("names a missing CA file instead of crashing", async () => {
    const error = await connectError(url("localhost", "verify-full", "certs/no-such-bundle.pem"));
    expect(error.message).toMatch(/sslrootcert certs\/no-such-bundle\.pem does not exist/);
  });
});

describe("prefer and allow (libpq's modes that node-postgres lacks)", () => {
  it("prefer encrypts without verifying the server (a host its certificate does not name, a CA nobody trusts)", async () => {
    expect(await sessionIsEncrypted(url("127.0.0.1", "prefer"))).toBe(true);
  });

  it("allow connects without TLS when the server accepts that", async () => {
    expect(await sessionIsEncrypted(url("127.0.0.1", "allow"))).toBe(false);
  });

  it.runIf(hasPsql)("libpq agrees", () => {
    expect(libpq(url("127.0.0.1", "prefer"))).toMatchObject({ status: 0, stdout: "t\n" });
    expect(libpq(url("127.0.0.1", "allow"))).toMatchObject({ status: 0, stdout: "f\n" });
  });
});

describe("a TLS-only server (pg_hba.conf hostssl)", () => {
  const hba = () => path.join(server.dataDir, "pg_hba.conf");
  let saved: string;
  const reload = () => withSession(url("127.0.0.1", "require"), (c) => c.query("SELECT pg_reload_conf()"));

  beforeAll(async () => {
    saved = fs.readFileSync(hba(), "utf8");
    fs.writeFileSync(hba(), saved.replace(/^host(\s)/gm, "hostssl$1"));
    await reload();
  });

  afterAll(async () => {
    fs.writeFileSync(hba(), saved);
    await reload();
  });

  it("refuses an unencrypted connection (sslmode disable) with pg_hba.conf's 'no encryption'", async () => {
    const error = await connectError(url("127.0.0.1", "disable"));
    expect(error.message).toMatch(/no pg_hba\.conf entry for host "127\.0\.0\.1", user "postgres", database "postgres", no encryption/);
    expect(error.message).not.toContain(password);
  });

  it("is reached with allow (refused without TLS, then with it) and prefer", async () => {
    expect(await sessionIsEncrypted(url("127.0.0.1", "allow"))).toBe(true);
    expect(await sessionIsEncrypted(url("127.0.0.1", "prefer"))).toBe(true);
  });

  it("reports a wrong password with allow as it is", async () => {
    const u = new URL(url("127.0.0.1", "allow"));
    u.password = "wrong-pass-123";
    expect((await connectError(u.toString())).message).toContain("password authentication failed");
  });

  it.runIf(hasPsql)("libpq agrees", () => {
    expect(libpq(url("127.0.0.1", "allow"))).toMatchObject({ status: 0, stdout: "t\n" });
    expect(libpq(url("127.0.0.1", "disable")).stderr).toMatch(/no pg_hba\.conf entry .*no encryption/);
  });
});
