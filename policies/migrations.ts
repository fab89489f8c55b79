import * as path from "node:path";
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { InputError } from "../src/errors";
import { parseManifestEntry, readManifest } from "../src/infra/migration-set";
import { loadMigrations } from "../src/migrate/files";
import type { Migration } from "../src/migration";
import { assess, type Assessment } from "../src/pipeline/assess";
import type { MigrationLayoutSetting, StackSettings } from "../src/settings/stack-settings";
import { PROJECT_DIR, analysedStack, type AnalysedStack } from "./analysed-stack";
import { TYPES, known } from "./resources";

/**
 * Migrations policies. The pack judges a MigrationSet's migrations itself: it reads the files its
 * manifest names from the checkout, refuses any whose checksum differs from the manifest, and
 * classifies their SQL with the same assessment `dbpipe lint` and `pulumi up` use. Risk figures,
 * thresholds and approvals in the resource's props are never trusted: thresholds come from the tier
 * (prod's, or the stack's own when stricter) and approvals from the analysed stack's config.
 */

/** The MigrationSet's migrations, read from the checkout and checked against its manifest. */
interface CheckedMigrations {
  /** The manifest's migrations whose file matches. */
  migrations: Migration[];
  /** What does not match, as messages. */
  problems: string[];
}

/** Reads the files a MigrationSet's manifest names. */
function readManifestMigrations(props: Record<string, unknown>): CheckedMigrations {
  // The JSON text the program records, or the map a stack last updated before it holds.
  const manifest = readManifest(props.manifest) ?? {};
  const dirSetting = typeof props.migrationsDir === "string" && props.migrationsDir !== "" ? props.migrationsDir : "migrations";
  const layout = (typeof props.layout === "string" ? props.layout : "auto") as MigrationLayoutSetting;
  const dir = path.resolve(PROJECT_DIR, dirSetting);
  let files: Migration[];
  try {
    files = loadMigrations(dir, { layout, displayBase: PROJECT_DIR }).migrations;
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return { migrations: [], problems: [`MigrationSet migrations must load from ${dirSetting}: ${error.message}`] };
  }
  const byVersion = new Map(files.map((m) => [BigInt(m.version), m]));
  const migrations: Migration[] = [];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(manifest)) {
    const entry = parseManifestEntry(key, value);
    if (entry === undefined) {
      problems.push(`MigrationSet manifest entry ${key} must be "<sha256>[ no-transaction]" under a "<version>_<name>" key.`);
      continue;
    }
    const file = byVersion.get(BigInt(entry.version));
    if (file === undefined) {
      problems.push(`Migration ${key} must be in ${dirSetting} of the checkout: the manifest names it, no file has its version.`);
    } else if (file.checksum !== entry.checksum) {
      problems.push(`Migration ${key} must match the manifest's checksum ${entry.checksum}: ${file.file} in the checkout has ${file.checksum}.`);
    } else {
      migrations.push(file);
    }
  }
  return { migrations, problems };
}

/** The stack's settings with the thresholds the pack applies: the tier's, never laxer than prod's. */
function verdictSettings(analysed: AnalysedStack, settings: StackSettings): StackSettings {
  return { ...settings, risk: { ...settings.risk, requireApprovalAt: analysed.requireApprovalAt, backupBefore: analysed.backupBefore } };
}

/** Assessments by MigrationSet and stack: the three policies each get their own copy of the props. */
const assessments = new Map<string, Promise<{ checked: CheckedMigrations; assessment?: Assessment; settingsProblem?: string }>>();

/** Reads, checks and assesses a MigrationSet's migrations once. */
function assessMigrationSet(props: Record<string, unknown>) {
  const key = JSON.stringify([analysedStack().stack, props.manifest, props.migrationsDir, props.layout]);
  let pending = assessments.get(key);
  if (pending === undefined) {
    pending = (async () => {
      const analysed = analysedStack();
      const checked = readManifestMigrations(props);
      if (analysed.settings === undefined) return { checked, settingsProblem: analysed.settingsProblem };
      const assessment = await assess({ settings: verdictSettings(analysed, analysed.settings), migrations: checked.migrations, jobs: 1 });
      return { checked, assessment };
    })();
    assessments.set(key, pending);
  }
  return pending;
}

/** Runs `check` on MigrationSets. */
function eachMigrationSet(check: (props: Record<string, unknown>, report: ReportViolation) => Promise<void>) {
  return async (args: ResourceValidationArgs, report: ReportViolation): Promise<void> => {
    if (args.type !== TYPES.migrationSet) return;
    await check(args.props as Record<string, unknown>, report);
  };
}

/** `migration-matches-checkout`: every migration the manifest names is the file in the checkout. */
export const migrationMatchesCheckout: ResourceValidationPolicy = {
  name: "migration-matches-checkout",
  description: "The migrations a MigrationSet will apply are the files in the checkout, checksum for checksum: what was reviewed is what runs.",
  validateResource: eachMigrationSet(async (props, report) => {
    const { checked, settingsProblem } = await assessMigrationSet(props);
    for (const problem of checked.problems) report(problem);
    if (settingsProblem) report(`Stack settings must be valid to judge migrations: ${settingsProblem}`);
  }),
};

/** `migration-approved`: a migration at or above the approval threshold has an approval bound to its checksum. */
export const migrationApproved: ResourceValidationPolicy = {
  name: "migration-approved",
  description: "A high-risk migration runs in prod only with an approval in Pulumi.prod.yaml bound to its checksum (dbpipe:approvals); editing the file voids it.",
  validateResource: eachMigrationSet(async (props, report) => {
    const { assessment } = await assessMigrationSet(props);
    const stack = analysedStack().stack;
    for (const b of assessment?.verdict.blocked ?? []) {
      const what = `Migration ${b.version}_${b.name} (${b.risk} risk: ${b.rules.join(", ")})`;
      if (b.approval === "stale") {
        report(`${what} must have a new approval in Pulumi.${stack}.yaml: its approval names checksum ${b.approvedChecksum}, the file now has ${b.checksum}.`);
      } else {
        report(`${what} must have an approval bound to checksum ${b.checksum} in Pulumi.${stack}.yaml (dbpipe:approvals).`);
      }
    }
  }),
};

/** `migration-backed-up`: a migration at or above the backup threshold runs after a backup, so the MigrationSet has a backup store. */
export const migrationBackedUp: ResourceValidationPolicy = {
  name: "migration-backed-up",
  description: "A medium- or high-risk migration runs in prod only after a pre-migration backup: the MigrationSet needs a backup store.",
  validateResource: eachMigrationSet(async (props, report) => {
    const { assessment } = await assessMigrationSet(props);
    // A store URL unknown at preview is computed from the bucket: it is never empty.
    const backup = known(() => props.backup);
    if (backup === undefined || (typeof backup === "string" && backup !== "") || assessment === undefined) return;
    const byVersion = new Map(assessment.judged.map((m) => [m.version, m]));
    for (const d of assessment.verdict.migrations.filter((m) => m.backupRequired)) {
      report(`Migration ${d.version}_${byVersion.get(d.version)?.name} (${d.risk} risk) must run after a backup: give the MigrationSet a backup store.`);
    }
  }),
};

/** The migrations policies, in the order the pack lists them. */
export const migrationsPolicies: ResourceValidationPolicy[] = [migrationMatchesCheckout, migrationApproved, migrationBackedUp];
