import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { InputError } from "../errors";
import { type MigrationLayout, loadMigrations } from "../migrate/files";
import type { Migration } from "../migration";
import { type MigrationManifest, manifestText, migrationManifest } from "./migration-set-manifest";
import type { Approval, MigrationLayoutSetting, StackSettings } from "../settings/stack-settings";
import type { RiskThreshold } from "../risk-level";
import type { Tier } from "../settings/tiers";

/**
 * `MigrationSet`: the Pulumi resource that migrates the database on `pulumi up`, with the same
 * engine, verdict and backups as `dbpipe up`. Its state holds a manifest of the migrations —
 * versions, names, checksums — never their SQL: the provider reads each file when it applies it,
 * and refuses a file whose checksum differs from the one preview showed.
 *
 * Pulumi stores the provider's code in the state and runs that stored code for `refresh` and
 * `destroy`, maybe on another machine. So the provider below is only a shim: each method loads the
 * real one (`migration-set-provider.ts`, built into `dist/`) from the project it runs in, by the
 * package's name, and nothing of this machine (no path, no engine code) is serialized.
 */

export { type ManifestEntry, type MigrationManifest, manifestText, migrationManifest, parseManifestEntry, readManifest } from "./migration-set-manifest";

/** The tier's settings the provider needs, as the resource records them (plain values, milliseconds). */
export interface MigrationSetSettings {
  /** The stack's name. */
  stack: string;
  /** The stack's tier. */
  tier: Tier;
  /** Where the settings come from, for messages: `Pulumi.<stack>.yaml`. */
  source: string;
  /** `SET lock_timeout` for each migration, in ms; 0 = no limit. */
  lockTimeoutMs: number;
  /** `SET statement_timeout` for each migration, in ms; 0 = no limit. */
  statementTimeoutMs: number;
  /** How long to wait for another runner's lock, in ms. */
  lockWaitMs: number;
  /** Whether a pending migration older than the newest applied one may run. */
  outOfOrder: boolean;
  /** The lowest migration risk that needs a pre-migration backup. */
  backupBefore: RiskThreshold;
  /** The lowest migration risk refused unless approved. */
  requireApprovalAt: RiskThreshold;
  /** Rule id to severity overrides. */
  ruleSeverity: Record<string, "low" | "medium" | "high" | "off">;
  /** Estimated rows above which a lock-taking or rewriting operation is high risk. */
  largeTableRows: number;
  /** The extensions the stack declares (migrations may use them without a finding). */
  extensions: string[];
  /** Days a local folder store keeps backups (an S3 bucket's lifecycle keeps them in the cloud). */
  backupRetentionDays: number;
  /**
   * True when `pulumi refresh` compares the schema too (`dbpipe:schemaDriftOnRefresh`). Recorded
   * only when true, so that a stack that does not ask for it keeps the settings it recorded before.
   */
  schemaDriftOnRefresh?: true;
}

/** The settings a stack's {@link MigrationSet} records, from the stack's parsed settings. */
export function migrationSetSettings(settings: StackSettings): MigrationSetSettings {
  const { migrations, risk } = settings;
  return {
    stack: settings.stack,
    tier: settings.tier,
    source: settings.source,
    lockTimeoutMs: migrations.lockTimeoutMs,
    statementTimeoutMs: migrations.statementTimeoutMs,
    lockWaitMs: migrations.lockWaitMs,
    outOfOrder: migrations.outOfOrder,
    backupBefore: risk.backupBefore,
    requireApprovalAt: risk.requireApprovalAt,
    ruleSeverity: { ...risk.ruleSeverity },
    largeTableRows: risk.largeTableRows,
    extensions: [...settings.infra.extensions],
    backupRetentionDays: settings.infra.backupRetentionDays,
    ...(migrations.schemaDriftOnRefresh ? { schemaDriftOnRefresh: true as const } : {}),
  };
}

/** The resource's inputs, as its provider receives them. */
export interface MigrationSetInputs {
  /** The migrator role's direct (unpooled) URL. Secret. */
  databaseUrl: string;
  /** The migrations folder: relative to the project (where `pulumi up` runs), or absolute. */
  migrationsDir: string;
  /** The folder's layout, resolved (never `auto`). */
  layout: MigrationLayout;
  /** The migrations preview saw: the manifest's JSON text ({@link manifestText}; a stack whose state predates it may still hold the map). */
  manifest: string;
  /** The tier's settings. */
  settings: MigrationSetSettings;
  /** Approvals of risky migrations, bound to their checksums. */
  approvals: Approval[];
  /** Where pre-migration backups go: `s3://<bucket>/<prefix>` or `file:///<path>`; empty for none (a backup the tier asks for then refuses the run). */
  backup: string;
}

/** What the resource records after each run (its outputs, besides its inputs minus the manifest). */
export interface MigrationSetState {
  /** sha256 of the manifest the last run applied (the manifest itself stays in the inputs only). */
  manifestSha256: string;
  /**
   * Every migration the history table records, keyed like the manifest, valued
   * `<checksum, 12 hex> <applied at, ISO 8601> <ms>ms`, followed by ` baseline` or ` failed` for
   * such rows. `pulumi refresh` reads it again from the database: drift shows up here.
   */
  applied: Record<string, string>;
  /** The newest applied migration (`0006_add_invoices`); null when none is. */
  head: string | null;
  /** The versions the last create or update that applied any applied, in order (an update that applies nothing keeps them). */
  lastApplied: string[];
  /** The key (in the `backup` store) of the backup taken before them; null when none was needed. */
  backupKey: string | null;
  /** When the last create or update finished (ISO 8601). */
  lastRunAt: string;
  /**
   * Set by `pulumi refresh` when the settings ask for it (`dbpipe:schemaDriftOnRefresh`): each
   * difference between the database's schema and the one its applied migrations give, as `dbpipe
   * verify` prints it (`changed column public.customers.email type: text → character varying(200)`),
   * then the comparison's notes (`note: …`); empty when the schema is what the migrations give.
   * Absent otherwise, and after a create or update until the next refresh.
   */
  schemaDrift?: string[];
}

/** Arguments of a {@link MigrationSet}. */
export interface MigrationSetArgs {
  /** The migrator role's direct (unpooled) connection URL. Required; stored as a secret. */
  databaseUrl: pulumi.Input<string>;
  /** The stack's parsed settings: the tier's timeouts, risk thresholds and approvals. Required. */
  settings: StackSettings;
  /** The migrations folder, relative to the project. Default: the stack's `migrationsDir`. */
  migrationsDir?: string;
  /** The folder's layout. Default: the stack's `migrationsLayout` (`auto`: detected now, and recorded). */
  layout?: MigrationLayoutSetting;
  /** Where pre-migration backups go: `s3://<bucket>/<prefix>` or `file:///<path>`. Default none (a backup the tier asks for refuses the run). */
  backup?: pulumi.Input<string>;
  /** The project folder the migrations folder is relative to. Default: the working directory (where `pulumi up` runs). */
  projectDir?: string;
}

/** The provider's methods (declared here, implemented in `migration-set-provider.ts`, so that neither module imports the other both ways). */
export interface MigrationSetProvider {
  check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult>;
  diff(id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.DiffResult>;
  create(inputs: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult>;
  update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.UpdateResult>;
  read(id: string, props?: Record<string, unknown>): Promise<pulumi.dynamic.ReadResult>;
}

/** The provider's methods, as `migration-set-provider.ts` exports them. */
type ProviderModule = { migrationSetProvider: MigrationSetProvider };

/**
 * Loads the real provider in the process that runs it, from the project it runs in: by package
 * name, through the package's own `exports` (`dbpipe/migration-set-provider`, in `dist/`), so it
 * works from any clone at any path, and from a project that has dbpipe as a dependency.
 * Serialized into the state with the shim: it must use nothing but Node's globals and `require`.
 */
function loadMigrationSetProvider(): MigrationSetProvider {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- runs inside Pulumi's serialized closure, where only `require` reaches modules
  const { createRequire } = require("node:module") as typeof import("node:module");
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
  const { join } = require("node:path") as typeof import("node:path");
  const fromProject = createRequire(join(process.cwd(), "package.json"));
  try {
    return (fromProject("dbpipe/migration-set-provider") as ProviderModule).migrationSetProvider;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== "MODULE_NOT_FOUND" && code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw error;
    throw new Error(
      `dbpipe's MigrationSet provider is not built in ${process.cwd()}: run \`npm ci\` (or \`npm run build\`) in the project, then run the Pulumi command again`,
    );
  }
}

/**
 * The provider Pulumi serializes into the state: a shim whose every method loads the real provider
 * (see {@link loadMigrationSetProvider}). `delete` needs nothing: removing the resource from the
 * stack never drops or changes anything in the database.
 */
const migrationSetShim: pulumi.dynamic.ResourceProvider = {
  check: (olds, news) => loadMigrationSetProvider().check(olds, news),
  diff: (id, olds, news) => loadMigrationSetProvider().diff(id, olds, news),
  create: (inputs) => loadMigrationSetProvider().create(inputs),
  update: (id, olds, news) => loadMigrationSetProvider().update(id, olds, news),
  read: (id, props) => loadMigrationSetProvider().read(id, props),
  delete: async () => {},
};

/**
 * The stack's migrations, applied on every `pulumi up` after the database and its roles exist
 * (declare it with `dependsOn` them). Update-only: new migrations, new settings or a new URL update
 * it, nothing replaces it, and deleting it leaves the database alone. `pulumi refresh` reads the
 * history table, so migrations applied, changed or removed outside Pulumi show up as drift.
 */
export class MigrationSet extends pulumi.dynamic.Resource {
  /** The migrator's URL. Secret. */
  declare readonly databaseUrl: pulumi.Output<string>;
  /** The migrations folder. */
  declare readonly migrationsDir: pulumi.Output<string>;
  /** The folder's layout. */
  declare readonly layout: pulumi.Output<MigrationLayout>;
  /** The tier's settings. */
  declare readonly settings: pulumi.Output<MigrationSetSettings>;
  /** The approvals. */
  declare readonly approvals: pulumi.Output<Approval[]>;
  /** The backup store. */
  declare readonly backup: pulumi.Output<string>;
  /** sha256 of the manifest the last run applied. */
  declare readonly manifestSha256: pulumi.Output<string>;
  /** Every migration the history records (see {@link MigrationSetState.applied}). */
  declare readonly applied: pulumi.Output<Record<string, string>>;
  /** The newest applied migration, `<version>_<name>`; null when none is. */
  declare readonly head: pulumi.Output<string | null>;
  /** The versions the last run applied. */
  declare readonly lastApplied: pulumi.Output<string[]>;
  /** The key of the backup taken before them, in the `backup` store; null when none was. */
  declare readonly backupKey: pulumi.Output<string | null>;
  /** When the last run finished. */
  declare readonly lastRunAt: pulumi.Output<string>;
  /** What the last `pulumi refresh` found of schema drift, when `dbpipe:schemaDriftOnRefresh` asks (see {@link MigrationSetState.schemaDrift}). */
  declare readonly schemaDrift: pulumi.Output<string[] | undefined>;
  /** The manifest this program declared (read from the folder now; not an output of the provider). */
  readonly manifest: MigrationManifest;

  constructor(name: string, args: MigrationSetArgs, opts?: pulumi.CustomResourceOptions) {
    const { settings } = args;
    const migrationsDir = args.migrationsDir ?? settings.migrations.dir;
    let folder: { layout: MigrationLayout; migrations: Migration[] };
    try {
      folder = loadMigrations(path.resolve(args.projectDir ?? process.cwd(), migrationsDir), {
        layout: args.layout ?? settings.migrations.layout,
        displayBase: args.projectDir,
      });
    } catch (error) {
      // Bad migration files are the user's to fix: the message names each file, no stack trace.
      if (error instanceof InputError) throw new pulumi.RunError(error.message);
      throw error;
    }
    const manifest = migrationManifest(folder.migrations);
    const props: Record<string, unknown> = {
      databaseUrl: pulumi.secret(args.databaseUrl),
      migrationsDir,
      layout: folder.layout,
      manifest: manifestText(manifest),
      settings: migrationSetSettings(settings),
      approvals: settings.risk.approvals.map((a) => ({ ...a })),
      backup: args.backup ?? "",
      manifestSha256: undefined,
      applied: undefined,
      head: undefined,
      lastApplied: undefined,
      backupKey: undefined,
      lastRunAt: undefined,
      schemaDrift: undefined,
    };
    super(migrationSetShim, name, props, { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "databaseUrl"] }, "dbpipe", "MigrationSet");
    this.manifest = manifest;
  }
}
