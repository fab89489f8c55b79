import type { Client } from "pg";
import { FailureError, InputError } from "../errors";
import { loadPg } from "../pg";
import { EXAMPLE_URL, redactText, redactUrl, urlSecrets } from "../redact";
import { nodePostgresConnectionString } from "../tls";
import { parseDatabaseUrl } from "../database-url";

/**
 * The one database session a run works on. The advisory lock is session-level, so every step of a
 * run (history, lock, migrations) goes through the same connection.
 */

/** Connects to `url`; failures name the (redacted) URL and say what to check. */
export async function connect(url: string): Promise<Client> {
  let parsed: URL;
  try {
    parsed = parseDatabaseUrl(url);
  } catch {
    throw new InputError(`the database URL is not a URL: ${redactUrl(url)} (expected ${EXAMPLE_URL})`);
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new InputError(`the database URL must start with postgres:// or postgresql://, got ${parsed.protocol}//...`);
  }
  if (parsed.pathname.includes("@")) {
    // `postgres://u:pa@ss/word@host/db`: the URL parser takes `ss` for the host and connects there.
    throw new InputError(`the database URL has an @ after its host: a user name or password holding @ / : ? # must have them percent-encoded (%40 %2F %3A %3F %23); the URL: ${redactText(url, urlSecrets(url))}`);
  }
  for (const [part, value] of [
    ["user name", parsed.username],
    ["password", parsed.password],
  ] as const) {
    if (!validPercentEncoding(value)) {
      throw new InputError(`the database URL's ${part} holds a % that is not percent-encoding (%XX): write % as %25 there, and @ : / ? # as %40 %3A %2F %3F %23 (the URL: ${redactUrl(url)})`);
    }
  }
  // Loaded here, not at the top: commands that never connect (lint, env, --help) skip it.
  const { Client } = loadPg();
  // sslmode and sslrootcert as libpq reads them, the same for pg_dump and the postgresql provider.
  const client = new Client({ connectionString: nodePostgresConnectionString(url), application_name: "dbpipe" });
  // A broken connection mid-run surfaces through the failing query; don't crash on the event.
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    const message = redactText((error as Error).message, parsed.password ? [decodeURIComponent(parsed.password)] : []);
    const code = (error as { code?: string }).code;
    const hint =
      code === "28P01" || code === "28000"
        ? "check the user and password"
        : code === "3D000"
          ? "create the database first, or fix the database name in the URL"
          : code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "ETIMEDOUT" || code === "EHOSTUNREACH"
            ? "check that the server is running and reachable"
            : TLS_CODES.has(code ?? "")
              ? "the server's certificate is not signed by a CA in the URL's sslrootcert, or does not name the host: check sslmode and sslrootcert"
              : code === "ENOENT" || code === "EACCES"
                ? "check that the server is running and listens on a Unix socket in that folder, and that you may enter it"
                : undefined;
    throw new FailureError(`cannot connect to ${redactUrl(url)}: ${message}${hint ? ` (${hint})` : ""}`, { cause: error });
  }
  return client;
}

/** True when `text` decodes as a URL component (every `%` starts a valid escape of UTF-8). */
function validPercentEncoding(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/** Node's codes for a server certificate that does not verify. */
const TLS_CODES = new Set(["SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "ERR_TLS_CERT_ALTNAME_INVALID", "CERT_HAS_EXPIRED"]);

/** Runs `fn` on a new session to `url`, and closes it whatever happens. */
export async function withSession<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await connect(url);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Quotes an SQL string literal. */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

