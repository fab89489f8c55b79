/**
 * PostgreSQL connection URLs as libpq reads them, Unix-domain sockets included. The host may be
 * the folder of a server's socket, percent-encoded in the authority
 * (`postgresql://user@%2Fvar%2Frun%2Fpostgresql/db`) or given as the `host` query parameter
 * (`postgres:///db?host=/var/run/postgresql`), which wins over the authority.
 */

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
