import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbedded, type EmbeddedServer } from "../../src/local/embedded";
import { engineConfig } from "./helpers/engine-config";
import { type ProviderLogin, type ReplayResult, dependencyOrder, isReplayable, providerSession, readGrant, replayResource } from "./helpers/postgresql-provider";
import { type Registration, unwrap } from "./helpers/pulumi-mocks";
import { runWithMocks } from "./helpers/run-with-mocks";

/**
 * The database resources each stack declares, applied to a real PostgreSQL the way the postgresql
 * provider applies them (its SQL, its transactions, its temporary role grants), logged in as an
 * administrator with exactly the powers RDS gives its master user: NOSUPERUSER CREATEDB CREATEROLE,
 * member of rds_superuser. Then each role connects and does what it is for, and what it must not.
 */

let server: EmbeddedServer;
let dataDir: string;
const ADMIN_PASSWORD = "RdsMasterPassw0rd";

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-privileges-"));
  server = await startEmbedded({ dataDir });
  await superuser(async (c) => {
    // What RDS creates: the master user, not a superuser, in rds_superuser.
    await c.query("CREATE ROLE rds_superuser NOLOGIN");
    await c.query("GRANT pg_signal_backend TO rds_superuser");
    await c.query(`CREATE ROLE dbpipe_admin LOGIN NOSUPERUSER CREATEDB CREATEROLE INHERIT PASSWORD '${ADMIN_PASSWORD}'`);
    await c.query("GRANT rds_superuser TO dbpipe_admin");
    // Someone else on the same server, who must not get into the application database.
    await c.query("CREATE ROLE bystander LOGIN PASSWORD 'bystander'");
  });
});

afterAll(async () => {
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function superuser<T>(fn: (c: Client) => Promise<T>, database = "postgres"): Promise<T> {
  const url = new URL(server.url);
  url.pathname = `/${database}`;
  const c = new Client({ connectionString: url.toString() });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Connects as `user` to `database`, runs `fn`, and closes. */
async function as<T>(user: string, password: string, database: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ host: "localhost", port: server.port, user, password, database });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The SQLSTATE `fn` fails with, or "ok". */
async function outcome(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return "ok";
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe.each(["dev", "test", "prod"] as const)("stack %s on a server whose administrator is RDS's master user", (stack) => {
  let results: ReplayResult[] = [];
  let replayErrors: string[] = [];
  let passwords: Record<string, string> = {};
  let db = "";
  let admin = "";
  let login: ProviderLogin;
  let grants: Registration[] = [];

  beforeAll(async () => {
    const run = await runWithMocks(stack, engineConfig(stack));
    const provider = run.recorder.one("pulumi:providers:postgresql").inputs;
    admin = String(unwrap(provider.databaseUsername) ?? unwrap(provider.username));
    login = {
      host: "localhost",
      port: server.port,
      user: String(unwrap(provider.username)),
      password: ADMIN_PASSWORD,
      database: String(unwrap(provider.database)),
      databaseUsername: provider.databaseUsername === undefined ? undefined : String(unwrap(provider.databaseUsername)),
    };
    const resources = run.recorder.registrations.filter((r) => r.type.startsWith("postgresql:"));
    for (const r of resources) if (!isReplayable(r.type)) throw new Error(`the replay does not model ${r.type}`);
    for (const r of resources.filter((x) => x.type === "postgresql:index/role:Role")) {
      if (r.inputs.password !== undefined) passwords[String(r.inputs.name)] = String(unwrap(r.inputs.password));
    }
    grants = resources.filter((r) => r.type === "postgresql:index/grant:Grant");
    db = String(resources.find((r) => r.type === "postgresql:index/database:Database")?.inputs.name);
    // Like `pulumi up --continue-on-error`: a failed resource fails what depends on it, not the rest.
    const failed = new Set<string>();
    for (const r of dependencyOrder(resources as Registration[])) {
      if (r.dependencies.some((d) => failed.has(d))) {
        failed.add(r.urn);
        continue;
      }
      try {
        results.push(await replayResource(login, r));
      } catch (error) {
        failed.add(r.urn);
        replayErrors.push((error as Error).message.split("\n")[0]);
      }
    }
  });

  afterAll(async () => {
    await superuser(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      for (const role of ["migrator", "app", "readonly", "owner"]) {
        await c.query(`DROP OWNED BY ${db}_${role}`).catch(() => undefined);
        await c.query(`DROP ROLE IF EXISTS ${db}_${role}`);
      }
      await c.query(`DROP EXTENSION IF EXISTS pgcrypto`);
    });
    results = [];
    passwords = {};
    replayErrors = [];
  });

  it("applies every database resource as the administrator, without a warning", () => {
    expect(replayErrors).toEqual([]);
    // GrantRole always revokes before it grants, so on create PostgreSQL warns that there was nothing to
    // revoke; every other warning means a statement did not do what it says (a grant that grants nothing).
    const harmless = (resource: string, notice: string) => resource.startsWith("GrantRole ") && /is not a member of role/.test(notice);
    const warnings = results.flatMap((r) => r.notices.filter((n) => n.startsWith("WARNING") && !harmless(r.resource, n)).map((n) => `${r.resource}: ${n}`));
    expect(warnings).toEqual([]);
  });

  it("reads back what it applied, so the next preview shows no change", () => {
    expect(results.flatMap((r) => r.drift.map((d) => `${r.resource}: ${d}`))).toEqual([]);
  });

  it("lets no other role on the server connect (PUBLIC has no CONNECT)", async () => {
    expect(await outcome(() => as("bystander", "bystander", db, async () => undefined))).toBe("42501");
  });

  it("lets the migrator create, alter and drop tables, owned by the owner role", async () => {
    const ran = await outcome(() =>
      as(`${db}_migrator`, passwords[`${db}_migrator`], db, async (c) => {
        await c.query("CREATE TABLE widgets (id bigserial PRIMARY KEY, name text NOT NULL)");
        await c.query("CREATE TABLE scratch (id int)");
        await c.query("DROP TABLE scratch");
        const owner = await c.query("SELECT tableowner, schemaname FROM pg_tables WHERE tablename = 'widgets'");
        expect(owner.rows).toEqual([{ tableowner: `${db}_owner`, schemaname: db }]);
      }),
    );
    expect(ran).toBe("ok");
  });

  it("lets the application read and write the migrator's new tables, and neither create nor drop", async () => {
    const user = `${db}_app`;
    const pw = passwords[user];
    expect(await outcome(() => as(user, pw, db, (c) => c.query("INSERT INTO widgets (name) VALUES ('a'), ('b')")))).toBe("ok");
    expect(await outcome(() => as(user, pw, db, (c) => c.query("UPDATE widgets SET name = 'c' WHERE name = 'b'")))).toBe("ok");
    expect(await outcome(() => as(user, pw, db, (c) => c.query("DELETE FROM widgets WHERE name = 'c'")))).toBe("ok");
    expect((await as(user, pw, db, (c) => c.query("SELECT name FROM widgets"))).rows).toEqual([{ name: "a" }]);
    expect(await outcome(() => as(user, pw, db, (c) => c.query(`CREATE TABLE ${db}.mine (id int)`)))).toBe("42501");
    expect(await outcome(() => as(user, pw, db, (c) => c.query("CREATE TABLE public.mine (id int)")))).toBe("42501");
    expect(await outcome(() => as(user, pw, db, (c) => c.query("DROP TABLE widgets")))).toBe("42501");
    expect(await outcome(() => as(user, pw, db, (c) => c.query("ALTER TABLE widgets ADD COLUMN x int")))).toBe("42501");
    expect(await outcome(() => as(user, pw, db, (c) => c.query("TRUNCATE widgets")))).toBe("42501");
  });

  it("lets the read-only role read and nothing else", async () => {
    const user = `${db}_readonly`;
    const pw = passwords[user];
    expect((await as(user, pw, db, (c) => c.query("SELECT name FROM widgets"))).rows).toEqual([{ name: "a" }]);
    expect(await outcome(() => as(user, pw, db, (c) => c.query("INSERT INTO widgets (name) VALUES ('x')")))).toBe("42501");
    expect(await outcome(() => as(user, pw, db, (c) => c.query("UPDATE widgets SET name = 'x'")))).toBe("42501");
    expect(await outcome(() => as(user, pw, db, (c) => c.query("DELETE FROM widgets")))).toBe("42501");
    expect(await outcome(() => as(user, pw, db, (c) => c.query(`CREATE TABLE ${db}.mine (id int)`)))).toBe("42501");
  });

  it("leaves the administrator able to connect, so refresh and destroy still work", async () => {
    expect(await outcome(() => as(admin, ADMIN_PASSWORD, db, (c) => c.query("SELECT 1")))).toBe("ok");
  });

  it("creates the extensions, usable by the application through its search_path", async () => {
    const ext = await superuser((c) => c.query("SELECT extname, extnamespace::regnamespace::text AS schema FROM pg_extension WHERE extname = 'pgcrypto'"), db);
    expect(ext.rows).toEqual([{ extname: "pgcrypto", schema: "public" }]);
    const digest = await as(`${db}_app`, passwords[`${db}_app`], db, (c) => c.query("SELECT encode(digest('abc', 'sha256'), 'hex') AS h"));
    expect(digest.rows[0].h).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("still reads every grant as declared once migrations have created tables (pulumi refresh shows no change)", async () => {
    const session = providerSession(login);
    try {
      const drift: string[] = [];
      for (const g of grants) {
        const inputs = Object.fromEntries(Object.entries(g.inputs).map(([k, v]) => [k, unwrap(v)]));
        drift.push(...(await readGrant(session, inputs)));
      }
      expect(drift).toEqual([]);
      expect(grants.length).toBeGreaterThan(5);
    } finally {
      await session.close();
    }
  });
});
