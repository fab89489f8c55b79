import * as pulumi from "@pulumi/pulumi";
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
      adminPassword: pulumi.secret(direct.password),
      adminDatabase: direct.database,
      sslmode: direct.sslmode,
      directHost: direct.host,
      directPort: direct.port,
      pooledHost: pooled.host,
      pooledPort: pooled.port,
      pooledUserSuffix: pooled.user.apply(supavisorSuffix),
    };
    this.endpoint = pulumi.interpolate`${direct.host}:${direct.port}`;
    this.registerOutputs({ endpoint: this.endpoint });
  }
}

/** Supavisor's tenant suffix of a pooled user name (`postgres.abcdefgh` → `.abcdefgh`), else empty. */
export function supavisorSuffix(user: string): string {
  const dot = user.indexOf(".");
  return dot > 0 ? user.slice(dot) : "";
}
