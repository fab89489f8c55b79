/**
 * PostgreSQL connection URLs as libpq reads them, Unix-domain sockets included. The host may be
 * the folder of a server's socket, percent-encoded in the authority
 * (`postgresql://user@%2Fvar%2Frun%2Fpostgresql/db`) or given as the `host` query parameter
 * (`postgres:///db?host=/var/run/postgresql`), which wins over the authority; with that parameter
 * the authority may name a user and no host (`postgresql://user:password@/db?host=/var/run/postgresql`).
 */

import { EXAMPLE_URL, redactText } from "./redact";

/**
 * Parses a connection URL as `new URL` does, and also the form with a user but no host before a
 * `host` query parameter, which WHATWG URLs refuse and libpq (and node-postgres) accept: its host
 * is then the parameter's, percent-encoded, the same server. Throws `TypeError` when it is not a URL.
 */
export function parseDatabaseUrl(text: string): URL {
  try {
    return new URL(text);
  } catch (error) {
    const m = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*@)(\/[^?#]*)?(\?[^#]*)?$/is.exec(text.trim());
    const host = m?.[3] ? new URLSearchParams(m[3].slice(1)).get("host") : null;
    if (!m || !host) throw error;
    return new URL(`${m[1]}${encodeURIComponent(host)}${m[2] ?? ""}${m[3]}`);
  }
}

/** Where a URL connects. */
export interface DatabaseHost {
  /** A host name or address, or a socket folder (an absolute path); empty when the URL names none. */
  host: string;
  /** True when `host` is the folder of a Unix-domain socket. */
  socket: boolean;
}

/** The host that the postgres URL `url` connects to (see {@link DatabaseHost}). */
export function databaseHost(url: URL): DatabaseHost {
  const param = url.searchParams.get("host");
  const host = param !== null && param !== "" ? param : safeDecode(url.hostname).replace(/^\[|\]$/g, "");
  return { host, socket: host.startsWith("/") };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Whether `text` starts as a connection URL: `postgres://` or `postgresql://`, the scheme in any
 * case, as pg and WHATWG URLs read it. (libpq reads only the lower-case scheme as a URL; the client
 * tools dbpipe runs are given the URL as parsed, whose scheme is lower case: see pg-dump.ts's
 * connectionFor.)
 */
export function isPostgresUrl(text: string): boolean {
  return /^postgres(ql)?:\/\//i.test(text);
}

/**
 * The refusal (redacted) of `text`, given as `source` (a flag or a variable), which is not a postgres URL:
 * quoted so that the typo shows (`postgres:/user…`, `postgresql//…`), without what may be a password.
 * Text that is not a URL escapes the URL patterns of redaction, so whatever precedes an `@` (the
 * user and password of a mistyped URL) is hidden here, all but the scheme the user typed.
 */
export function notAPostgresUrl(source: string, text: string): string {
  const at = text.lastIndexOf("@");
  const shown = at === -1 ? text : `${/^[a-z][a-z0-9+.-]*(?::\/*|\/+)/i.exec(text)?.[0] ?? ""}***${text.slice(at)}`;
  // Redacted still: a remembered password may stand in what is shown (text without an @).
  return redactText(`${source} must be a postgres:// or postgresql:// URL such as ${EXAMPLE_URL}, got ${JSON.stringify(shown.length > 60 ? `${shown.slice(0, 59)}…` : shown)}`);
}
