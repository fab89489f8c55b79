import type * as pulumi from "@pulumi/pulumi";
import { databaseHost, parseDatabaseUrl } from "../database-url";
import type { ConnectionTls } from "./connection-tls";

/**
 * How the rest of an environment reaches its PostgreSQL server, whichever mode declared it: as
 * administrator (the `@pulumi/postgresql` provider that creates the database and its roles), directly
 * (migrations, `pg_dump`) and through a pooler (applications). Both `RdsServer` and `ExternalServer`
 * produce one, so `AppDatabase` does not care where the server runs.
 */
export interface ServerConnection {
  /** Host the postgresql provider connects to as administrator. */
  readonly adminHost: pulumi.Output<string>;
  /** Port the postgresql provider connects to. */
  readonly adminPort: pulumi.Output<number>;
  /** The administrator's user name (the RDS master user, or the user of `dbpipe:directUrl`). */
  readonly adminUser: pulumi.Output<string>;
  /**
   * The role the administrator is inside PostgreSQL, when it differs from the name it logs in with:
   * Supabase's session pooler takes `postgres.<project-ref>` and logs in as `postgres`. Grants name
   * this role. Equal to `adminUser` elsewhere.
   */
  readonly adminRole: pulumi.Output<string>;
  /** The administrator's password. Always a Pulumi secret. */
  readonly adminPassword: pulumi.Output<string>;
  /** The database the administrator connects to before the application database exists. */
  readonly adminDatabase: pulumi.Output<string>;
  /** How every connection verifies the server (`dbpipe:sslmode`). */
  readonly tls: ConnectionTls;
  /** Host of the direct (unpooled) connection: migrations and backups. */
  readonly directHost: pulumi.Output<string>;
  /** Port of the direct connection. */
  readonly directPort: pulumi.Output<number>;
  /** What the direct host appends to user names: Supavisor's `.<project-ref>` when the admin URL is Supabase's session pooler, else empty. */
  readonly directUserSuffix: pulumi.Output<string>;
  /** Host of the pooled connection applications use. Same as the direct one where there is no pooler. */
  readonly pooledHost: pulumi.Output<string>;
  /** Port of the pooled connection. */
  readonly pooledPort: pulumi.Output<number>;
  /**
   * What the pooler appends to user names: Supabase's Supavisor routes on `user.<project-ref>`, so
   * `app_app` must connect as `app_app.<project-ref>` there. Empty for other servers.
   */
  readonly pooledUserSuffix: pulumi.Output<string>;
}

/** The parts of a PostgreSQL URL the environment needs. */
export interface PostgresUrlParts {
  /** User name, percent-decoded. */
  user: string;
  /** Password, percent-decoded; empty when the URL has none. */
  password: string;
  /** Host name, or the folder of a Unix-domain socket (an absolute path). */
  host: string;
  /** Port. Default 5432. */
  port: number;
  /** Database. Default `postgres`. */
  database: string;
  /** `sslmode` query parameter. Default `require` (servers on a network), `disable` for a Unix-socket folder. */
  sslmode: string;
}

/**
 * Splits a PostgreSQL URL. Throws an error that never quotes the URL (it holds a password); the stack
 * settings have already checked it, so this only fails on a value that bypassed them.
 */
export function parsePostgresUrl(text: string, key: string): PostgresUrlParts {
  let url: URL;
  try {
    url = parseDatabaseUrl(text);
  } catch {
    throw new Error(`${key} is not a valid PostgreSQL URL`);
  }
  const { host, socket } = databaseHost(url);
  if (!/^postgres(ql)?:$/.test(url.protocol) || host === "") throw new Error(`${key} is not a valid PostgreSQL URL`);
  const port = url.port || url.searchParams.get("port") || "";
  return {
    user: decodeURIComponent(url.username) || (url.searchParams.get("user") ?? ""),
    password: decodeURIComponent(url.password) || (url.searchParams.get("password") ?? ""),
    host,
    port: port === "" ? 5432 : Number(port),
    database: decodeURIComponent(url.pathname.replace(/^\//, "")) || "postgres",
    // A Unix socket (a host that is a folder) never carries TLS.
    sslmode: url.searchParams.get("sslmode") ?? (socket ? "disable" : "require"),
  };
}

/** The parts of a connection URL `postgresUrl` builds. */
export interface PostgresUrlInput {
  /** User name. */
  user: string;
  /** Password. */
  password: string;
  /** Host name or address. */
  host: string;
  /** Port. */
  port: number;
  /** Database. */
  database: string;
  /** libpq `sslmode`. */
  sslmode: string;
  /** libpq `sslrootcert`: a CA file, or `system`. Default none (not in the URL). */
  sslrootcert?: string;
}

/** Builds `postgresql://user:password@host:port/database?sslmode=...[&sslrootcert=...]`, percent-encoding what needs it. */
export function postgresUrl(parts: PostgresUrlInput): string {
  const host = parts.host.startsWith("/") ? encodeURIComponent(parts.host) : parts.host.includes(":") ? `[${parts.host}]` : parts.host;
  const auth = `${encodeURIComponent(parts.user)}:${encodeURIComponent(parts.password)}`;
  const rootCert = parts.sslrootcert === undefined ? "" : `&sslrootcert=${encodeURIComponent(parts.sslrootcert)}`;
  return `postgresql://${auth}@${host}:${parts.port}/${encodeURIComponent(parts.database)}?sslmode=${encodeURIComponent(parts.sslmode)}${rootCert}`;
}
