import * as aws from "@pulumi/aws";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { providerRootCert } from "./connection-tls";
import { type ServerConnection, postgresUrl } from "./server-connection";

/** The four roles of an application database, by purpose. */
export interface DatabaseRoles<T> {
  /** `<db>_owner`: no login; owns the database and the schema, and every object migrations create. */
  owner: T;
  /** `<db>_migrator`: login; member of the owner and acts as it (`SET ROLE` at login); runs migrations. */
  migrator: T;
  /** `<db>_app`: login; reads and writes rows, changes no schema. */
  app: T;
  /** `<db>_readonly`: login; reads rows. */
  readonly: T;
}

/** The roles that log in, and so have a password, a URL and a Secrets Manager secret. */
export const LOGIN_ROLES = ["migrator", "app", "readonly"] as const;

/** A role that logs in. */
export type LoginRole = (typeof LOGIN_ROLES)[number];

/** The roles' names for database `db`: `<db>_owner`, `<db>_migrator`, `<db>_app`, `<db>_readonly`. */
export function roleNames(db: string): DatabaseRoles<string> {
  return { owner: `${db}_owner`, migrator: `${db}_migrator`, app: `${db}_app`, readonly: `${db}_readonly` };
}

/** Privileges each data role gets on tables and sequences, now and on every one created later. */
export const DATA_PRIVILEGES: Readonly<Record<"app" | "readonly", { table: string[]; sequence: string[] }>> = {
  app: { table: ["SELECT", "INSERT", "UPDATE", "DELETE"], sequence: ["USAGE", "SELECT"] },
  readonly: { table: ["SELECT"], sequence: ["SELECT"] },
};

/** Arguments of an {@link AppDatabase}. */
export interface AppDatabaseArgs {
  /** The server, as its component exposes it. Required. */
  connection: ServerConnection;
  /** Database name; the roles are named after it. Required. */
  databaseName: string;
  /** The schema the owner owns and migrations fill; every role's search_path. Default: the database name. */
  schemaName?: string;
  /** Extensions to create (in `public`, on every role's search_path). Default none. */
  extensions?: string[];
  /** The server's PostgreSQL version, so the provider needs no connection to plan. Default: asked from the server. */
  serverVersion?: string;
  /** KMS key of the credentials' Secrets Manager secrets. Default: the account's `aws/secretsmanager` key. */
  secretsKmsKeyArn?: pulumi.Input<string>;
  /** Tags of the Secrets Manager secrets. Default none. */
  tags?: Record<string, string>;
  /**
   * Prod's safety: Pulumi `protect` on the database, its schema, the roles and the provider (the
   * engine refuses to delete or replace them), and `retainOnDelete` on the database and the schema.
   * Default false.
   */
  protect?: boolean;
}

/**
 * The application database inside a server, declared with `@pulumi/postgresql` through an explicit
 * provider that logs in as the server's administrator: the database and its schema, owned by
 * `<db>_owner`; the login roles `<db>_migrator`, `<db>_app` and `<db>_readonly` with generated
 * passwords; grants on what exists and default privileges on what migrations create later, so a new
 * table is readable by `<db>_readonly` and writable by `<db>_app` without another grant; the
 * extensions; and each login's credentials in Secrets Manager. Passwords and URLs are Pulumi secrets.
 */
export class AppDatabase extends pulumi.ComponentResource {
  /** The explicit provider every database resource uses. */
  readonly provider: postgresql.Provider;
  /** The database's name. */
  readonly databaseName: pulumi.Output<string>;
  /** The schema's name. */
  readonly schemaName: pulumi.Output<string>;
  /** The roles' names. */
  readonly roles: DatabaseRoles<string>;
  /** Names of the extensions created. */
  readonly extensions: pulumi.Output<string[]>;
  /** `<db>_migrator`'s URL on the direct connection: what migrations use (`DATABASE_URL_DIRECT`). Secret. */
  readonly migrationUrl: pulumi.Output<string>;
  /**
   * `<db>_migrator`'s URL at the administrator's host and port: where `pulumi up` itself migrates
   * (through a tunnel's local end, when the server is reached through one). Secret.
   */
  readonly deployUrl: pulumi.Output<string>;
  /** `<db>_app`'s URL through the pooler: what applications use (`DATABASE_URL`). Secret. */
  readonly appUrl: pulumi.Output<string>;
  /** `<db>_readonly`'s URL on the direct connection. Secret. */
  readonly readonlyUrl: pulumi.Output<string>;
  /** ARNs of the Secrets Manager secrets holding each login's credentials and URL. */
  readonly credentialSecretArns: Record<LoginRole, pulumi.Output<string>>;

  constructor(name: string, args: AppDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dbpipe:infra:AppDatabase", name, {}, opts);
    const c = args.connection;
    const db = args.databaseName;
    const schemaName = args.schemaName ?? db;
    const names = roleNames(db);
    this.roles = names;

    this.provider = new postgresql.Provider(
      `${name}-provider`,
      {
        host: c.adminHost,
        port: c.adminPort,
        username: c.adminUser,
        // The role the login runs as: what the provider grants to itself (`GRANT <owner> TO <it>`)
        // when it must act as an owner. Through Supabase's pooler the login name carries the project ref.
        databaseUsername: c.adminRole,
        password: pulumi.secret(c.adminPassword),
        database: c.adminDatabase,
        sslmode: c.tls.deploy,
        // Relative to the project: the engine starts provider plugins in the project's folder.
        sslrootcert: providerRootCert(c.tls),
        // Neither RDS's master user nor Neon's or Supabase's administrator is a superuser: the
        // provider then grants itself a role's membership for the moments it needs to act as it.
        superuser: false,
        connectTimeout: 30,
        expectedVersion: args.serverVersion,
      },
      // A replaced provider would replace everything it manages.
      { parent: this, protect: args.protect ?? false },
    );
    const inDb = { parent: this, provider: this.provider };
    const kept = { ...inDb, protect: args.protect ?? false, retainOnDelete: args.protect ?? false };
    const guarded = { ...inDb, protect: args.protect ?? false };

    const passwords = Object.fromEntries(
      LOGIN_ROLES.map((role) => [
        role,
        // Letters and digits only: the password goes into URLs and .env files unescaped; 40 of them are ~238 bits.
        new random.RandomPassword(`${name}-${role}-password`, { length: 40, special: false }, { parent: this }).result,
      ]),
    ) as Record<LoginRole, pulumi.Output<string>>;

    const owner = new postgresql.Role(`${name}-owner`, { name: names.owner, login: false }, guarded);
    // The administrator every host gives (RDS's master, Neon's neon_superuser member, Supabase's
    // postgres) is not a superuser, and the database belongs to <db>_owner, not to it. As a member of
    // the owner (with INHERIT, the default) it holds the owner's rights on the database: its
    // REVOKE FROM PUBLIC and CONNECT grants take effect (as granted by the owner), it may CREATE
    // EXTENSION in the database, and it keeps CONNECT for later refreshes. Created before the
    // database, so the provider's temporary grant around CREATE DATABASE is a no-op rather than
    // one it revokes again when done.
    const adminInOwner = new postgresql.GrantRole(
      `${name}-admin-in-owner`,
      { role: c.adminRole, grantRole: owner.name, withAdminOption: false },
      inDb,
    );
    const database = new postgresql.Database(
      `${name}-database`,
      { name: db, owner: owner.name, encoding: "UTF8", template: "template0", allowConnections: true },
      { ...kept, dependsOn: [adminInOwner] },
    );
    const schema = new postgresql.Schema(
      `${name}-schema`,
      // Outside prod (kept, never dropped), `pulumi destroy` drops what the migrations made in the
      // schema with it: RESTRICT fails on the first table ("other objects depend on it"), after the
      // grants are gone.
      { name: schemaName, database: database.name, owner: owner.name, ifNotExists: false, dropCascade: !(args.protect ?? false) },
      kept,
    );
    // Extensions go to public, which every role can use; the roles find them through search_path.
    const searchPaths = [schemaName, "public"];
    const migrator = new postgresql.Role(
      `${name}-migrator`,
      {
        name: names.migrator,
        login: true,
        password: passwords.migrator,
        roles: [owner.name],
        inherit: true,
        // Every migrator session runs as the owner, so the tables it creates belong to <db>_owner and
        // the owner's default privileges below reach them.
        assumeRole: owner.name,
        searchPaths,
      },
      guarded,
    );
    const app = new postgresql.Role(`${name}-app`, { name: names.app, login: true, password: passwords.app, searchPaths }, guarded);
    const readonly = new postgresql.Role(
      `${name}-readonly`,
      { name: names.readonly, login: true, password: passwords.readonly, searchPaths },
      guarded,
    );
    const loginRoles: Record<LoginRole, postgresql.Role> = { migrator, app, readonly };

    // PostgreSQL lets PUBLIC (every role on the server) connect to a new database: only the login
    // roles above may. An empty privilege list revokes what the role holds.
    new postgresql.Grant(`${name}-public-connect`, { database: database.name, role: "public", objectType: "database", privileges: [] }, inDb);
    // The administrator could connect through its membership alone; an explicit grant keeps it
    // connecting (refresh, destroy) even if that membership is removed by hand.
    new postgresql.Grant(
      `${name}-admin-connect`,
      { database: database.name, role: c.adminRole, objectType: "database", privileges: ["CONNECT"] },
      { ...inDb, dependsOn: [adminInOwner] },
    );
    for (const role of LOGIN_ROLES) {
      new postgresql.Grant(
        `${name}-${role}-connect`,
        { database: database.name, role: loginRoles[role].name, objectType: "database", privileges: ["CONNECT"] },
        inDb,
      );
    }
    // The grants on the schema and on its tables and sequences, one after another: the provider
    // locks only the grantee around its REVOKE + GRANT, so two roles' grants on the same schema (or
    // tables) at once rewrite the same catalog rows, and one fails with "tuple concurrently updated"
    // (checked on PostgreSQL 15; cyrilgdn/terraform-provider-postgresql#178). Pulumi runs
    // independent resources in parallel: each of these waits for the one before.
    let previousGrant: postgresql.Grant | undefined;
    const inSeries = (grantName: string, grantArgs: postgresql.GrantArgs) => {
      previousGrant = new postgresql.Grant(grantName, grantArgs, { ...inDb, dependsOn: previousGrant ? [previousGrant] : [] });
    };
    for (const role of ["app", "readonly"] as const) {
      const grantee = loginRoles[role].name;
      const privileges = DATA_PRIVILEGES[role];
      inSeries(`${name}-${role}-schema-usage`, { database: database.name, schema: schema.name, role: grantee, objectType: "schema", privileges: ["USAGE"] });
      // What exists already (an adopted database, objects made by hand): empty `objects` means all.
      inSeries(`${name}-${role}-tables`, { database: database.name, schema: schema.name, role: grantee, objectType: "table", objects: [], privileges: privileges.table });
      inSeries(`${name}-${role}-sequences`, { database: database.name, schema: schema.name, role: grantee, objectType: "sequence", objects: [], privileges: privileges.sequence });
      // What migrations create later. The owner is who creates objects (the migrator acts as it);
      // the migrator is covered too, for a session that resets its role.
      for (const [creatorName, creator] of [
        ["owner", owner],
        ["migrator", migrator],
      ] as const) {
        for (const objectType of ["table", "sequence"] as const) {
          new postgresql.DefaultPrivileges(
            `${name}-${role}-default-${objectType}s-from-${creatorName}`,
            { database: database.name, schema: schema.name, owner: creator.name, role: grantee, objectType, privileges: privileges[objectType] },
            inDb,
          );
        }
      }
    }

    const extensions = (args.extensions ?? []).map(
      (extension) =>
        new postgresql.Extension(
          `${name}-extension-${extension}`,
          { name: extension, database: database.name, schema: "public", createCascade: true },
          // CREATE EXTENSION needs CREATE on the database: the administrator has it as the owner's member.
          { ...inDb, dependsOn: [adminInOwner] },
        ),
    );

    const url = (role: LoginRole, host: pulumi.Output<string>, port: pulumi.Output<number>, userSuffix: pulumi.Input<string>, sslmode = c.tls.urls) =>
      pulumi.secret(
        pulumi
          .all([loginRoles[role].name, userSuffix, passwords[role], host, port, database.name])
          .apply(([user, suffix, password, h, p, d]) => postgresUrl({ user: user + suffix, password, host: h, port: p, database: d, sslmode, sslrootcert: c.tls.rootCert })),
      );
    this.migrationUrl = url("migrator", c.directHost, c.directPort, c.directUserSuffix);
    // Through the tunnel's local end the host is localhost, which the certificate cannot name.
    this.deployUrl = url("migrator", c.adminHost, c.adminPort, c.directUserSuffix, c.tls.deploy);
    this.appUrl = url("app", c.pooledHost, c.pooledPort, c.pooledUserSuffix);
    this.readonlyUrl = url("readonly", c.directHost, c.directPort, c.directUserSuffix);
    const urls: Record<LoginRole, pulumi.Output<string>> = { migrator: this.migrationUrl, app: this.appUrl, readonly: this.readonlyUrl };
    const hosts: Record<LoginRole, [pulumi.Output<string>, pulumi.Output<number>, pulumi.Output<string>]> = {
      migrator: [c.directHost, c.directPort, c.directUserSuffix],
      app: [c.pooledHost, c.pooledPort, c.pooledUserSuffix],
      readonly: [c.directHost, c.directPort, c.directUserSuffix],
    };

    const arns: Partial<Record<LoginRole, pulumi.Output<string>>> = {};
    for (const role of LOGIN_ROLES) {
      const secret = new aws.secretsmanager.Secret(
        `${name}-${role}-credentials`,
        {
          description: `${names[role]} on ${db}: user, password, host, port, dbname and url (the RDS secret format)`,
          kmsKeyId: args.secretsKmsKeyArn,
          tags: args.tags ?? {},
        },
        { parent: this },
      );
      new aws.secretsmanager.SecretVersion(
        `${name}-${role}-credentials-value`,
        {
          secretId: secret.id,
          secretString: pulumi.secret(
            pulumi
              .all([loginRoles[role].name, hosts[role][2], passwords[role], hosts[role][0], hosts[role][1], database.name, urls[role]])
              // The name to log in with at that host (Supavisor's `<role>.<project-ref>`).
              .apply(([user, suffix, password, host, port, dbname, u]) => JSON.stringify({ engine: "postgres", username: user + suffix, password, host, port, dbname, url: u })),
          ),
        },
        { parent: this },
      );
      arns[role] = secret.arn;
    }
    this.credentialSecretArns = arns as Record<LoginRole, pulumi.Output<string>>;

    this.databaseName = database.name;
    this.schemaName = schema.name;
    this.extensions = pulumi.all(extensions.map((e) => e.name));
    this.registerOutputs({
      databaseName: this.databaseName,
      schemaName: this.schemaName,
      roles: this.roles,
      migrationUrl: this.migrationUrl,
      appUrl: this.appUrl,
      readonlyUrl: this.readonlyUrl,
      credentialSecretArns: this.credentialSecretArns,
    });
  }
}
