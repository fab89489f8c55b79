import type * as OpenStoreModule from "../backup/open-store";
import { type HistoryRow, readHistory } from "../migrate/history";
import type { MigrationLayout } from "../migrate/files";
import { waitingForLockMessage } from "../migrate/lock";
import { withSession } from "../migrate/session";
import { deploy } from "../pipeline/deploy";
import { backupCanBeRequired } from "../risk-level";
import type { StackSettings } from "../settings/stack-settings";
import { type MigrationManifest, parseManifestEntry } from "./migration-set-manifest";

/**
 * The one call from the MigrationSet provider into the core: deploy the migrations preview saw,
 * through the pipeline's deploy (the same one `dbpipe up` runs).
 */

/** What the provider asks for. */
export interface MigrationSetDeploy {
  /** The settings to run with. */
  settings: StackSettings;
  /** The migrator's direct URL. */
  databaseUrl: string;
  /** The migrations folder (absolute). */
  migrationsDir: string;
  /** Its layout. */
  layout: MigrationLayout;
  /** The migrations preview saw: a file that differs, appeared or went away since then refuses the run. */
  manifest: MigrationManifest;
  /** The backup store's URL; empty for none. */
  backup: string;
  /** Days a local folder store keeps backups (the bucket's lifecycle does it in S3). Default: none pruned. */
  retentionDays?: number;
  /**
   * Told, one line at a time and in the CLI's words, what `dbpipe up` prints on stderr while the run
   * goes on: `warning: …` for what the backup store passed over or could not finish (a backup whose
   * manifest it cannot read, a retention pass that failed after the backup was stored), and that
   * the run waits for another dbpipe run's lock on the database. Default: nobody is told.
   */
  tell?: (line: string) => void;
}

/** What the run did. */
export interface MigrationSetOutcome {
  /** The versions applied, in order. */
  applied: string[];
  /** The key of the backup taken before them, in the store; null when none was. */
  backupKey: string | null;
  /** The history table after the run. */
  history: HistoryRow[];
}

/** The versions and checksums of `manifest`: what deploy refuses to differ from. */
export function expectedChecksums(manifest: MigrationManifest): Map<string, string> {
  const expected = new Map<string, string>();
  for (const [key, value] of Object.entries(manifest)) {
    const entry = parseManifestEntry(key, value);
    if (entry) expected.set(entry.version, entry.checksum);
  }
  return expected;
}

/** Deploys through the pipeline's deploy: the manifest check, lock, integrity, verdict, backup when the tier asks, apply. */
export async function deployMigrationSet(request: MigrationSetDeploy): Promise<MigrationSetOutcome> {
  // The backup store's code (and the AWS SDK behind an S3 store) only for a stack that backs up:
  // one whose `backupBefore` is `never` (the dev tier's default) never uses its store.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load of a CommonJS module of this package
  const openBackupStore = request.backup && backupCanBeRequired(request.settings.risk) ? (require("../backup/open-store") as typeof OpenStoreModule).openBackupStore : undefined;
  const tell = request.tell;
  const result = await deploy({
    settings: request.settings,
    migrationsDir: request.migrationsDir,
    layout: request.layout,
    databaseUrl: request.databaseUrl,
    expectedChecksums: expectedChecksums(request.manifest),
    backupStore: openBackupStore
      ? openBackupStore(request.backup, { source: "the MigrationSet's backup input", retentionDays: request.retentionDays, onWarning: tell && ((message) => tell(`warning: ${message}`)) })
      : undefined,
    events: { waitingForLock: tell && (() => tell(waitingForLockMessage(request.settings.migrations.lockWaitMs))) },
  });
  // Nothing applied (a `pulumi up` with nothing pending): the history deploy read is still the
  // history, so a second session to read it again would only cost a connection.
  const history = result.applied.length === 0 && result.backup === null ? result.history : await withSession(request.databaseUrl, readHistory);
  return { applied: result.applied.map((a) => a.version), backupKey: result.backup?.manifest.id ?? null, history };
}
