import { openBackupStore } from "../backup/open-store";
import { takeBackup } from "../backup/take-backup";
import { InputError } from "../errors";
import { type BeforeApply, upMigrations } from "../migrate/engine";
import { type HistoryRow, readHistory } from "../migrate/history";
import type { MigrationLayout } from "../migrate/files";
import type { Migration } from "../migrate/migration";
import { withSession } from "../migrate/session";
import { splitWithParser } from "../migrate/statements";
import { riskGate } from "../risk/gate";
import type { StackSettings } from "../settings/stack-settings";
import { type MigrationManifest, parseManifestEntry } from "./migration-set";

/**
 * The one call from the MigrationSet provider into the core: deploy the migrations preview saw.
 * Until the pipeline's deploy exists, it is built here from the engine's functions (lock, plan,
 * integrity, verdict, backup, apply); the provider calls nothing else, so pointing it at deploy
 * changes this file only.
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
  /** Days a local folder store keeps backups (the bucket's lifecycle does it in S3). */
  retentionDays?: number;
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

/**
 * Refuses, before anything is written, migrations that are not the ones preview saw: a file whose
 * checksum differs from the manifest, a file the manifest lacks, a manifest entry whose file is gone.
 */
export function assertAsPreviewed(manifest: MigrationManifest, loaded: readonly Migration[]): void {
  const expected = new Map<string, { key: string; checksum: string }>();
  for (const [key, value] of Object.entries(manifest)) {
    const entry = parseManifestEntry(key, value);
    if (entry) expected.set(entry.version, { key, checksum: entry.checksum });
  }
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const m of loaded) {
    const want = expected.get(m.version);
    seen.add(m.version);
    if (!want) problems.push(`${m.file}: not in the migrations that preview showed (added since?)`);
    else if (want.checksum !== m.checksum) problems.push(`${m.file}: changed since preview (checksum ${m.checksum.slice(0, 12)}, preview saw ${want.checksum.slice(0, 12)})`);
  }
  for (const [version, want] of expected) if (!seen.has(version)) problems.push(`${want.key}: in the migrations that preview showed, but its file is gone`);
  if (problems.length > 0) {
    throw new InputError(
      `the migrations are not the ones preview showed; nothing was applied:\n${problems.map((p) => `  - ${p}`).join("\n")}\nRun \`pulumi up\` again to review and apply what is there now.`,
    );
  }
}

/** Deploys: lock, integrity, the manifest check, verdict, backup when the tier asks, apply. */
export async function deployMigrationSet(request: MigrationSetDeploy): Promise<MigrationSetOutcome> {
  let backupKey: string | null = null;
  const store = request.backup ? openBackupStore(request.backup, { source: "the MigrationSet's backup input", retentionDays: request.retentionDays }) : undefined;
  let head: string | null = null;
  const gate = riskGate({
    settings: request.settings,
    backup: store
      ? async (pending, client) => {
          const stored = await takeBackup(store, { url: request.databaseUrl, client, stack: request.settings.stack, pending, head });
          backupKey = stored.manifest.id;
          return stored.ref;
        }
      : undefined,
  });
  const beforeApply: BeforeApply = async (context) => {
    assertAsPreviewed(request.manifest, [...context.applied, ...context.pending]);
    head = context.applied.at(-1)?.version ?? null;
    return gate(context);
  };
  const result = await upMigrations(
    { settings: request.settings, migrationsDir: request.migrationsDir, layout: request.layout, databaseUrl: request.databaseUrl, splitStatements: splitWithParser },
    { beforeApply },
  );
  const history = await withSession(request.databaseUrl, readHistory);
  return { applied: result.applied.map((a) => a.version), backupKey, history };
}
