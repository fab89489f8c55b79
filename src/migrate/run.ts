import type { Client } from "pg";
import type { MigrationLayoutSetting, StackSettings } from "../settings/stack-settings";
import type { RiskLevel } from "../risk-level";
import type { Timeouts } from "./batch";
import type { MigrationFolder, MigrationLayout } from "./files";
import type { HistoryRow } from "./history";
import { acquireRunLock, releaseRunLock } from "./lock";
import type { Migration } from "../migration";
import type { Plan } from "./plan";
import { withSession } from "./session";

/**
 * What every verb of the engine shares (plan, up, baseline, down, repair, one module each in
 * `verbs/`): its options on parsed settings, its progress events, loading the files before any
 * connection, and the one session with the run lock that every verb that writes holds.
 */

/** What every operation needs. */
export interface EngineOptions {
  /** The stack's parsed settings. */
  settings: StackSettings;
  /** The migrations folder. */
  migrationsDir: string;
  /** The folder's layout; default the stack's `migrationsLayout`. */
  layout?: MigrationLayoutSetting;
  /** The database to migrate: its direct (unpooled) URL. */
  databaseUrl: string;
  /** Base for file names in messages. Default: the working directory. */
  displayBase?: string;
  /** Progress callbacks, for output as the run goes. */
  events?: EngineEvents;
  /**
   * The checksum of every migration file, by version, that the caller planned with (the manifest
   * `pulumi preview` saw). When given, loading refuses (an InputError naming the file) a file whose
   * checksum differs, a file not in it and a version in it without a file. Default: not checked.
   */
  expectedChecksums?: ReadonlyMap<string, string>;
  /**
   * The migration files of `migrationsDir`, when the caller has read them already (the CLI reads
   * them before it starts or connects to a database, so that a bad file is refused first). Default:
   * read from `migrationsDir`.
   */
  files?: MigrationFolder;
  /**
   * Run (and plan) as if no other tool's history table were there: on a database with no dbpipe
   * history, `up` applies every migration even where Flyway, Alembic, Prisma Migrate or Drizzle
   * left a history (`--ignore-other-history`, for a table that is stale). Default false: `up`
   * refuses such a database, pointing at `dbpipe adopt` (see `unadopted-history.ts`).
   */
  ignoreOtherHistory?: boolean;
}

/** Progress of a run. */
export interface EngineEvents {
  /** A migration is about to run. */
  migrationStarted?(migration: Migration): void;
  /** A migration has run (or, rehearsing, has run and will be rolled back). */
  migrationApplied?(migration: Migration, executionMs: number): void;
  /** A migration was skipped (rehearsing a no-transaction file). */
  migrationSkipped?(migration: Migration, reason: string): void;
  /** Waiting for another runner's lock. */
  waitingForLock?(): void;
}

/** A migration this run applied. */
export interface AppliedMigration {
  version: string;
  name: string;
  file: string;
  /** Time it took, in milliseconds. */
  executionMs: number;
  /** Its risk level, when classified. */
  risk?: RiskLevel | null;
}

/** The loaded files and the plan against the database. */
export interface PlanResult {
  /** The layout that was read. */
  layout: MigrationLayout;
  /** Every migration file, in order. */
  migrations: Migration[];
  /** The history rows. */
  history: HistoryRow[];
  /** Files against history. */
  plan: Plan;
}

/** What the risk gate sees: the migrations about to run, the applied ones (for schema context) and the session. */
export interface BeforeApplyContext {
  /** The migrations about to run: pending ones for `up`; for `down`, the ones to revert, newest first (their down parts run). */
  pending: readonly Migration[];
  /** The applied migrations, read for what they did to the schema. */
  applied: readonly Migration[];
  client: Client;
  /** True when this is a rehearsal: nothing will be kept, so no backup is needed. */
  rehearse: boolean;
  /** `down` when the down parts of `pending` are about to run; default `up`. */
  direction?: "up" | "down";
}

/**
 * Decides, after the plan and before anything is written, what the pending migrations need (the
 * risk gate: verdict, backup); throws to refuse. Returns what to record per version.
 */
export type BeforeApply = (context: BeforeApplyContext) => Promise<Map<string, { risk?: RiskLevel | null; backupRef?: string | null }>>;

/** The stack's timeouts for each migration. */
export function timeoutsOf(settings: StackSettings): Timeouts {
  return { lockTimeoutMs: settings.migrations.lockTimeoutMs, statementTimeoutMs: settings.migrations.statementTimeoutMs };
}

/** Runs `fn` on a session to the options' database holding the run lock, and releases both whatever happens. */
export async function withLockedSession<T>(options: EngineOptions, fn: (client: Client) => Promise<T>): Promise<T> {
  return withSession(options.databaseUrl, async (client) => {
    await acquireRunLock(client, options.settings.migrations.lockWaitMs, options.events?.waitingForLock);
    try {
      return await fn(client);
    } finally {
      await releaseRunLock(client).catch(() => undefined);
    }
  });
}
