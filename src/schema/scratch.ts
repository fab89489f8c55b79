import { randomBytes } from "node:crypto";
import { FailureError } from "../errors";
import { redactUrl } from "../redact";
import { withSession } from "../migrate/session";

/**
 * A scratch database: created empty on a server for one comparison, dropped after, whatever
 * happens. Its name starts with `dbpipe_scratch_`.
 */

/** Creates a scratch database on the server `serverUrl` points to, runs `fn` with its URL, drops it. */
export async function withScratchDatabase<T>(serverUrl: string, fn: (url: string) => Promise<T>): Promise<T> {
  const name = `dbpipe_scratch_${randomBytes(6).toString("hex")}`;
  await withSession(serverUrl, async (client) => {
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new FailureError(
        `cannot create a scratch database on ${redactUrl(serverUrl)}: ${(error as Error).message}` +
          (code === "42501" ? " (its user needs CREATEDB; give another server with --scratch-url, or leave it out to use the embedded PostgreSQL)" : ""),
        { cause: error },
      );
    }
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    await withSession(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => undefined);
  }
}
