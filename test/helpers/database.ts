import { randomBytes } from "node:crypto";
import { afterAll, inject } from "vitest";
import { Client } from "pg";

/**
 * A fresh, empty database on the test run's PostgreSQL, dropped when the test file ends.
 * Returns its URL. Never a mock of `pg`: every test that touches a database uses a real one.
 */
export async function freshDatabase(prefix = "t"): Promise<string> {
  const { url, drop } = await createDatabase(prefix);
  afterAll(drop);
  return url;
}

/** A new empty database on the test run's PostgreSQL: its URL, and how to drop it (the caller decides when). */
export async function createDatabase(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = inject("adminUrl");
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined) };
}

/**
 * A new login role with `password` that owns the database at `adminUrl` (so it may create schemas
 * and tables): the URL a migrator gets. Returns that URL.
 */
export async function migratorUrl(adminUrl: string, password: string): Promise<string> {
  const role = `migrator_${randomBytes(4).toString("hex")}`;
  const url = new URL(adminUrl);
  await withClient(adminUrl, async (c) => {
    await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await c.query(`ALTER DATABASE ${url.pathname.slice(1)} OWNER TO ${role}`);
  });
  url.username = role;
  url.password = password;
  return url.toString();
}

/** Runs `fn` with a connected client on `url`, and closes it. */
export async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The tables in `public` on `url`, sorted. */
export async function publicTables(url: string): Promise<string[]> {
  return withClient(url, async (c) => (await c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.tablename));
}

/** The error `promise` rejects with; fails the test when it resolves. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a failure");
}
