// The dbpipe Pulumi program: stack settings → components → outputs. `pulumi up --stack <name>`
// declares that environment's PostgreSQL, its database and roles, and its backup bucket, as
// Pulumi.<name>.yaml describes them (docs/pulumi.md). Everything it decides lives in src/.
import * as pulumi from "@pulumi/pulumi";
import { DatabaseEnvironment, environmentIdentity } from "./src/infra/database-environment";
import { loadPulumiStackSettings } from "./src/infra/pulumi-stack-settings";

const settings = loadPulumiStackSettings();
const identity = environmentIdentity(settings.stack, pulumi.getProject());
const environment = new DatabaseEnvironment(identity.name, { settings }, identity.opts);

/** The stack's tier: dev, test or prod. */
export const tier = settings.tier;
/** Where PostgreSQL runs: rds or external. */
export const serverMode = settings.infra.server;
/** How `pulumi up` reaches an rds server: tunnel or vpc (undefined in external mode). */
export const networkPath = settings.infra.server === "rds" ? settings.infra.networkPath : undefined;
/** What `dbpipe tunnel` opens: the SSM bastion's instance id, the instance's host and port, the local port and the region (tunnel only). */
export const tunnel = environment.tunnel;
/** How connections verify the server: `deploy`, the sslmode of pulumi up's own (the postgresql provider, migrations, backups); `urls`, the sslmode of the URLs below; `rootCert`, the CA file they trust (relative to the project) or `system`. */
export const tls = environment.tls;
/** `host:port` of the server's direct connection (secret in external mode: it comes from a secret URL). */
export const endpoint = environment.endpoint;
/** The application database. */
export const databaseName = environment.database.databaseName;
/** The schema migrations create their tables in. */
export const schemaName = environment.database.schemaName;
/** The four roles' names. */
export const roles = environment.roles;
/** Extensions created in the database. */
export const extensions = environment.database.extensions;
/** The backup bucket's name. */
export const backupBucket = environment.backups.bucketName;
/** ARN of the RDS master user's secret (rds mode), rotated by RDS. */
export const masterUserSecretArn = environment.masterUserSecretArn;
/** ARNs of the migrator's, the application's and the read-only role's credential secrets. */
export const credentialSecretArns = environment.credentialSecretArns;
/** The migrator's direct URL, for migrations (DATABASE_URL_DIRECT). Secret. */
export const migrationUrl = environment.database.migrationUrl;
/** The application's pooled URL (DATABASE_URL). Secret. */
export const appUrl = environment.database.appUrl;
/** The read-only role's URL. Secret. */
export const readonlyUrl = environment.database.readonlyUrl;
/** The newest applied migration, `<version>_<name>` (null before the first). */
export const migrationHead = environment.migrations.head;
/** The versions the last `pulumi up` applied. */
export const lastAppliedMigrations = environment.migrations.lastApplied;
/** The id, in the backup bucket, of the backup taken before them (null when the tier needed none). */
export const lastMigrationBackup = environment.migrations.backupKey;
