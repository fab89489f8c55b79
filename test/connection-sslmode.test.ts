import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FailureError, InputError } from "../src/errors";
import { startEmbedded, type EmbeddedServer } from "../src/local/embedded";
import { withSession } from "../src/migrate/session";
import { runCliInProcess } from "./helpers/cli-in-process";
import { failure } from "./helpers/database";
import { tempFolder } from "./helpers/project";

// A URL's sslmode as libpq reads it, on a real PostgreSQL of this file's own without TLS (the run's
// shared server may be one with TLS, when TEST_DATABASE_URL names one): `prefer` and `allow` connect
// unencrypted where node-postgres alone fails, `require` still refuses, and a value libpq does not
// know is an input error. test/infra/tls.test.ts shows allow and prefer on a server with TLS.

const work = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-sslmode-"));
let server: EmbeddedServer;
let password: string;

beforeAll(async () => {
  server = await startEmbedded({ dataDir: path.join(work, "pg") });
  password = decodeURIComponent(new URL(server.url).password);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** The server's URL with `sslmode`. */
function url(sslmode: string): string {
  const u = new URL(server.url);
  u.hostname = "127.0.0.1";
  u.searchParams.set("sslmode", sslmode);
  return u.toString();
}

/** Connects through the core's connect() and says whether the session is encrypted. */
async function sessionIsEncrypted(target: string): Promise<boolean> {
  return withSession(target, async (c) => (await c.query<{ ssl: boolean }>("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).rows[0].ssl);
}

/** libpq's answer (psql, as pg_dump connects): exit status, stdout and stderr. */
function libpq(target: string): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync("psql", [target, "-Atc", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"], { encoding: "utf8", env: { ...process.env, PGCONNECT_TIMEOUT: "10" } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}
const hasPsql = spawnSync("psql", ["--version"]).status === 0;

const project = () => tempFolder({ "migrations/0001_create_t.sql": "CREATE TABLE t (id int);\n" }, "dbpipe-sslmode-project-");

describe("a server without TLS", () => {
  it("is reached unencrypted with sslmode prefer (TLS refused, then without) and allow (without first)", async () => {
    expect(await sessionIsEncrypted(url("prefer"))).toBe(false);
    expect(await sessionIsEncrypted(url("allow"))).toBe(false);
    expect(await sessionIsEncrypted(url("disable"))).toBe(false);
  });

  it("still refuses sslmode require, saying the server has no TLS", async () => {
    const error = await failure(withSession(url("require"), async () => undefined));
    expect(error).toBeInstanceOf(FailureError);
    expect(error.message).toContain("The server does not support SSL connections");
    expect(error.message).not.toContain(password);
  });

  it("reports a wrong password as such with prefer and allow: only a refusal of TLS, or of no TLS, tries the other way", async () => {
    for (const mode of ["prefer", "allow"]) {
      const u = new URL(url(mode));
      u.password = "wrong-pass-123";
      const error = await failure(withSession(u.toString(), async () => undefined));
      expect(error.message).toContain("password authentication failed");
      expect(error.message).toContain("check the user and password");
    }
  });

  it("dbpipe status connects with prefer and allow, and fails on require with exit 3", async () => {
    const cwd = project();
    for (const mode of ["prefer", "allow"]) {
      const run = await runCliInProcess(["status", "--json", "--database-url", url(mode)], { cwd });
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout).migrations.map((m: { version: string; status: string }) => [m.version, m.status])).toEqual([["0001", "pending"]]);
    }
    const run = await runCliInProcess(["status", "--database-url", url("require")], { cwd });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("does not support SSL connections");
    expect(run.stdout + run.stderr).not.toContain(password);
  });

  it.runIf(hasPsql)("libpq agrees", () => {
    expect(libpq(url("prefer"))).toMatchObject({ status: 0, stdout: "f\n" });
    expect(libpq(url("allow"))).toMatchObject({ status: 0, stdout: "f\n" });
    expect(libpq(url("require")).stderr).toMatch(/server does not support SSL/);
  });
});

describe("an sslmode libpq does not know", () => {
  it("is an input error naming the URL's sslmode and the values allowed, before connecting", async () => {
    for (const bogus of ["bogus", "REQUIRE", "verify_full", ""]) {
      const error = await failure(withSession(url(bogus), async () => undefined));
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toBe(`the database URL's sslmode ${JSON.stringify(bogus)} is not one libpq knows: use disable, allow, prefer, require, verify-ca, verify-full`);
    }
  });

  it("is refused over a Unix socket too, where libpq refuses it as well", async () => {
    const error = await failure(withSession(`postgresql://postgres:${encodeURIComponent(password)}@/postgres?host=/nonexistent&sslmode=bogus`, async () => undefined));
    expect(error).toBeInstanceOf(InputError);
  });

  it("ends dbpipe status with exit 2 and never prints the password", async () => {
    const run = await runCliInProcess(["status", "--database-url", url("bogus")], { cwd: project() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`sslmode "bogus"`);
    expect(run.stderr).toContain("disable, allow, prefer, require, verify-ca, verify-full");
    expect(run.stdout + run.stderr).not.toContain(password);
  });

  it.runIf(hasPsql)("libpq refuses it too", () => {
    expect(libpq(url("bogus"))).toMatchObject({ status: 2, stderr: expect.stringContaining('invalid sslmode value: "bogus"') });
  });
});
