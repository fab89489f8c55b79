import type { StackSettings } from "../settings/stack-settings";
import { RDS_CA_BUNDLE, SYSTEM_ROOT_CERT, type SslMode } from "../tls";

/**
 * How an environment's connections verify the server, from its settings: one answer for the
 * postgresql provider, the MigrationSet (migrations and pg_dump) and the URLs in the outputs that
 * `dbpipe` and applications connect with. The stack's `tls` output shows it.
 */
export interface ConnectionTls {
  /** `sslmode` of what `pulumi up` connects with: the postgresql provider and the MigrationSet. */
  deploy: SslMode;
  /**
   * `sslmode` of the URLs in the outputs, at the server's own host name: `verify-full` on rds even
   * when `pulumi up` goes through the tunnel with `verify-ca`, since there the name matches.
   */
  urls: SslMode;
  /**
   * `sslrootcert`: the RDS CA bundle (relative to the project) on rds, `dbpipe:sslRootCert` or
   * `system` on external hosts; undefined with `require`, which verifies nothing.
   */
  rootCert?: string;
}

/** The {@link ConnectionTls} of a stack. */
export function connectionTls(infra: StackSettings["infra"]): ConnectionTls {
  const mode = infra.sslmode;
  if (infra.server === "rds") {
    return {
      deploy: mode,
      urls: infra.networkPath === "tunnel" && mode === "verify-ca" ? "verify-full" : mode,
      rootCert: mode === "require" ? undefined : RDS_CA_BUNDLE,
    };
  }
  return { deploy: mode, urls: mode, rootCert: mode === "require" ? undefined : (infra.sslRootCert ?? SYSTEM_ROOT_CERT) };
}

/**
 * The postgresql provider's `sslrootcert`: lib/pq reads the machine's roots when none is given
 * (older lib/pq versions read `system` as a file name), so `system` is left out.
 */
export function providerRootCert(tls: ConnectionTls): string | undefined {
  return tls.rootCert === SYSTEM_ROOT_CERT ? undefined : tls.rootCert;
}
