import * as pulumi from "@pulumi/pulumi";
import type { ConnectionTls } from "./connection-tls";
import { type ServerConnection, parsePostgresUrl } from "./server-connection";

/** Arguments of an {@link ExternalServer}. */
export interface ExternalServerArgs {
  /**
   * The direct (unpooled) URL of an administrator: a user that may create databases and roles
   * (Neon's `neondb_owner`, Supabase's `postgres`). Required; wrapped in `pulumi.secret` whatever
   * it arrives as.
   */
  directUrl: pulumi.Input<string>;
  /** The pooled URL applications connect through. Default: the direct URL (no pooler). */
  pooledUrl?: pulumi.Input<string>;
  /** How connections verify the server. Required. */
  tls: ConnectionTls;
}

/**
 * A PostgreSQL server dbpipe does not declare: Neon, Supabase, a server another team runs. It owns no
 * cloud resources; it turns the two secret URLs into a {@link ServerConnection}, so the database,
 * roles and backups are declared exactly as on RDS. Everything derived from the URLs stays secret.
 */
export class ExternalServer extends pulumi.ComponentResource {
  /** How the environment reaches the server. */
  readonly connection: ServerConnection;
  /** `host:port` of the direct connection (secret: it comes from a secret URL). */
  readonly endpoint: pulumi.Output<string>;

  constructor(name: string, args: ExternalServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dbpipe:infra:ExternalServer", name, {}, opts);
    const direct = pulumi.secret(args.directUrl).apply((url) => parsePostgresUrl(url, "dbpipe:directUrl"));
    const pooled = pulumi.secret(args.pooledUrl ?? args.directUrl).apply((url) => parsePostgresUrl(url, "dbpipe:pooledUrl"));
    this.connection = {
      adminHost: direct.host,
      adminPort: direct.port,
      adminUser: direct.user,
      adminRole: pulumi.all([direct.user, direct.host]).apply(([user, host]) => supavisorLogin(user, host).role),
      adminPassword: pulumi.secret(direct.password),
      adminDatabase: direct.database,
      tls: args.tls,
      directHost: direct.host,
      directPort: direct.port,
      directUserSuffix: pulumi.all([direct.user, direct.host]).apply(([user, host]) => supavisorLogin(user, host).suffix),
      pooledHost: pooled.host,
      pooledPort: pooled.port,
      pooledUserSuffix: pulumi.all([pooled.user, pooled.host]).apply(([user, host]) => supavisorLogin(user, host).suffix),
    };
    this.endpoint = pulumi.interpolate`${direct.host}:${direct.port}`;
    this.registerOutputs({ endpoint: this.endpoint });
  }
}

/** Whether `host` is Supabase's Supavisor pooler (`aws-0-<region>.pooler.supabase.com`), which routes on `<role>.<project-ref>`. */
export function isSupavisorHost(host: string): boolean {
  return /\.pooler\.supabase\.com$/i.test(host);
}

/**
 * A login name as Supavisor reads it: `postgres.abcdefghij` on a Supabase pooler host is role
 * `postgres` of project `abcdefghij` (suffix `.abcdefghij`). Anywhere else the name is the role.
 */
export function supavisorLogin(user: string, host: string): { role: string; suffix: string } {
  const dot = user.lastIndexOf(".");
  if (!isSupavisorHost(host) || dot <= 0) return { role: user, suffix: "" };
  return { role: user.slice(0, dot), suffix: user.slice(dot) };
}
