import type { FoundHistoryTable } from "../adopt/other-history";
import { InputError } from "../errors";
import type { HistoryRow } from "./history";
import type { Migration } from "../migration";
import { unadoptedHistoryMessage } from "./unadopted-history";

/**
 * The plan: the migration files set against the history table. Pure: no I/O, so the CLI, the
 * Pulumi resource and the tests all see the same statuses for the same inputs.
 */

/** Where a migration stands. */
export type MigrationStatus =
  /** Recorded as applied, and the file matches the recorded checksum. */
  | "applied"
  /** Not recorded: will run on the next `up`. */
  | "pending"
  /** Recorded as applied, but the file's checksum (or its name) differs from the recorded one. */
  | "modified"
  /** Recorded as applied, but no file has its version. */
  | "missing"
  /** Recorded as failed: a no-transaction migration stopped part-way. */
  | "failed";

/** One line of the plan. */
export interface PlanEntry {
  /** The version. */
  version: string;
  /** The name (from the file when there is one, else from the history). */
  name: string;
  /** Where the migration stands. */
  status: MigrationStatus;
  /** The file's checksum, or the recorded one for a missing file. */
  checksum: string;
  /** The file, when there is one. */
  migration?: Migration;
  /** The history row, when there is one. */
  history?: HistoryRow;
  /** A pending migration older than the newest applied one. */
  outOfOrder?: boolean;
}

/** A problem that stops a run before anything is applied. */
export interface IntegrityProblem {
  /**
   * The migration's version; absent for a problem of the whole database (another tool's history
   * that dbpipe has not adopted).
   */
  version?: string;
  /** What differs, and what to do. */
  message: string;
}

/** The plan of a run. */
export interface Plan {
  /** Every migration, files and history together, in version order. */
  entries: PlanEntry[];
  /** What `up` would apply, in order. */
  pending: Migration[];
  /** What stops `up` (modified, missing, failed, out of order when not allowed, another tool's history not adopted). */
  problems: IntegrityProblem[];
}

/** Options of {@link buildPlan}. */
export interface PlanOptions {
  /** Whether a pending migration older than the newest applied one may run. */
  outOfOrder: boolean;
  /**
   * Other tools' history tables found in a database whose dbpipe history is empty
   * (`unadopted-history.ts`): with any, a pending migration is a problem, as it would run again
   * what that tool applied. Default none.
   */
  otherHistory?: readonly FoundHistoryTable[];
}

/** Sets the files against the history. */
export function buildPlan(migrations: readonly Migration[], history: readonly HistoryRow[], options: PlanOptions): Plan {
  const byVersion = new Map<bigint, HistoryRow>();
  for (const row of history) byVersion.set(BigInt(row.version), row);
  const files = new Map<bigint, Migration>();
  for (const m of migrations) files.set(m.order, m);

  let newestApplied: bigint | undefined;
  for (const row of history) {
    const order = BigInt(row.version);
    if (newestApplied === undefined || order > newestApplied) newestApplied = order;
  }

  const entries: PlanEntry[] = [];
  const problems: IntegrityProblem[] = [];
  for (const m of migrations) {
    const row = byVersion.get(m.order);
    if (!row) {
      const outOfOrder = newestApplied !== undefined && m.order < newestApplied;
      entries.push({ version: m.version, name: m.name, status: "pending", checksum: m.checksum, migration: m, ...(outOfOrder ? { outOfOrder } : {}) });
      if (outOfOrder && !options.outOfOrder) {
        const newest = history.find((r) => BigInt(r.version) === newestApplied)!;
        problems.push({
          version: m.version,
          message:
            `${m.file} is pending but older than ${newest.version} (${newest.name}), which is already applied: ` +
            `give it a version above ${newest.version}, or allow out-of-order migrations with dbpipe:outOfOrder: true`,
        });
      }
      continue;
    }
    if (!row.success) {
      entries.push({ version: m.version, name: m.name, status: "failed", checksum: m.checksum, migration: m, history: row });
      problems.push({ version: m.version, message: failedMessage(m.file, row) });
    } else if (row.checksum !== m.checksum) {
      entries.push({ version: m.version, name: m.name, status: "modified", checksum: m.checksum, migration: m, history: row });
      problems.push({
        version: m.version,
        message:
          `${m.file} was changed after it was applied on ${day(row.appliedAt)} (checksum ${short(row.checksum)} recorded, ${short(m.checksum)} now). ` +
          `Applied migrations are immutable: restore the file (e.g. git checkout -- ${m.file}) and write a new migration for the change; ` +
          "if the history is what is wrong (the database has the schema as the file is now), run `dbpipe repair`",
      });
    } else if (row.name !== m.name) {
      // Same content under another name: the file was renamed, which is an edit of what was applied.
      entries.push({ version: m.version, name: m.name, status: "modified", checksum: m.checksum, migration: m, history: row });
      problems.push({
        version: m.version,
        message:
          `${m.file} was renamed after it was applied on ${day(row.appliedAt)} (the history records ${row.version} as "${row.name}", the file now says "${m.name}"). ` +
          "Applied migrations are immutable: give the file back its name; if the history is what is wrong, run `dbpipe repair`",
      });
    } else {
      entries.push({ version: m.version, name: m.name, status: "applied", checksum: m.checksum, migration: m, history: row });
    }
  }
  for (const row of history) {
    if (files.has(BigInt(row.version))) continue;
    entries.push({ version: row.version, name: row.name, status: row.success ? "missing" : "failed", checksum: row.checksum, history: row });
    // A pending file with the content it was applied with: most likely the same file, renamed to another version.
    const moved = row.success ? migrations.find((m) => !byVersion.has(m.order) && m.checksum === row.checksum) : undefined;
    problems.push({
      version: row.version,
      message: row.success
        ? `version ${row.version} (${row.name}) was applied on ${day(row.appliedAt)} but its file is gone: restore it; if it was removed on purpose, \`dbpipe repair\` removes it from the history` +
          (moved ? ` (${moved.file} has the content it was applied with: if you renamed it, give it back version ${row.version})` : "")
        : failedMessage(`version ${row.version} (${row.name})`, row, false),
    });
  }
  entries.sort((a, b) => compareVersions(a.version, b.version));
  problems.sort((a, b) => compareVersions(a.version!, b.version!));
  const pending = entries.filter((e) => e.status === "pending");
  if (options.otherHistory?.length && pending.length > 0) problems.unshift({ message: unadoptedHistoryMessage(options.otherHistory) });
  return { entries, pending: pending.map((e) => e.migration!), problems };
}

/** What to do about a failed record; `hasFile` false when its migration's file is gone (repair then only clears the record). */
function failedMessage(what: string, row: HistoryRow, hasFile = true): string {
  return (
    `${what} failed on ${day(row.appliedAt)} and may have left part of its changes${row.error ? ` (${row.error})` : ""}. ` +
    `It ran outside a transaction: finish or undo its changes by hand, then run \`dbpipe repair\` to clear the failed record (${hasFile ? "the migration then runs again" : "its file is gone, so nothing runs again"}), ` +
    "or `dbpipe repair --mark-applied " + row.version + "` if you completed it by hand"
  );
}

/** Orders two versions numerically. */
export function compareVersions(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The history does not match the files: nothing was applied. */
export class IntegrityError extends InputError {
  constructor(readonly problems: readonly IntegrityProblem[]) {
    super(
      problems.length === 1
        ? `${problems[0].message}\nNothing was applied.`
        : `${problems.length} problems between the migration files and the history; nothing was applied:\n${problems.map((p) => `  - ${p.message}`).join("\n")}`,
    );
  }
}

/** Throws {@link IntegrityError} when the plan has problems. */
export function assertRunnable(plan: Plan): void {
  if (plan.problems.length > 0) throw new IntegrityError(plan.problems);
}

function day(date: Date): string {
  return date.toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

function short(checksum: string): string {
  return checksum.slice(0, 12);
}

/**
 * The JSON of a plan entry: the contract `plan --json` and `status --json` share — `version`,
 * `name`, `status`, `checksum` and, where known, the file and when, by whom and how fast it ran.
 */
export interface MigrationJson {
  /** The version. */
  version: string;
  /** The name. */
  name: string;
  /** applied, pending, modified, missing or failed. */
  status: PlanEntry["status"];
  /** The file's checksum (the recorded one when the file is missing). */
  checksum: string;
  /** The file, or null when it is missing. */
  file: string | null;
  /** When it was applied (ISO 8601), or null. */
  appliedAt: string | null;
  /** Who applied it, or null. */
  appliedBy: string | null;
  /** How long it ran, in ms, or null. */
  executionMs: number | null;
  /** migrate or baseline, or null when not applied. */
  kind: "migrate" | "baseline" | null;
  /** The risk recorded when it was applied (null when not applied, or applied unclassified). */
  recordedRisk: string | null;
  /** Present (true) for a pending migration older than the newest applied one. */
  outOfOrder?: true;
  /** Present (true) for a `-- dbpipe:no-transaction` file. */
  noTransaction?: true;
  /** Whether the file has a down part. */
  hasDown: boolean;
}

/** Plan entries as JSON. */
export function entriesJson(entries: readonly PlanEntry[]): MigrationJson[] {
  return entries.map((e) => ({
    version: e.version,
    name: e.name,
    status: e.status,
    checksum: e.checksum,
    file: e.migration?.file ?? null,
    appliedAt: e.history?.appliedAt.toISOString() ?? null,
    appliedBy: e.history?.appliedBy ?? null,
    executionMs: e.history?.executionMs ?? null,
    kind: e.history?.kind ?? null,
    recordedRisk: e.history?.risk ?? null,
    ...(e.outOfOrder ? { outOfOrder: true as const } : {}),
    ...(e.migration?.noTransaction ? { noTransaction: true as const } : {}),
    hasDown: Boolean(e.migration?.down),
  }));
}

