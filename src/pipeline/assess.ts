import * as path from "node:path";
import type { Client } from "pg";
import { loadMigrationFile, loadMigrations, targetIsFolder } from "../migrate/files";
import { readHistory } from "../migrate/history";
import type { Migration } from "../migration";
import { withSession } from "../migrate/session";
import { type Verdict, computeVerdict } from "../risk/verdict";
import type { MigrationLayoutSetting, StackSettings } from "../settings/stack-settings";
import { DEFAULT_LARGE_TABLE_ROWS, type LintOptions, type LintedMigration, applyTableSizes, parseErrorOf } from "../sql/lint";
import { LintCache } from "../sql/lint-cache";
import { defaultJobs } from "../sql/lanes";
import { LintPool, PARALLEL_THRESHOLD } from "../sql/lint-parallel";
import { tableRowsLookup } from "../sql/table-sizes";

/**
 * The assessment: every statement of the migrations classified (on the worker pool, reusing the
 * lint cache when asked), the data-aware pass when a database is at hand (table sizes), and the
 * stack's verdict. `dbpipe lint`, `plan`, `up` and `down`, the MigrationSet resource and the policy
 * pack all judge migrations through this one function, so they cannot disagree. It needs no
 * database: without one, it is what CI runs on a checkout. (Only `pg`'s types are imported here: a
 * PostgreSQL client is loaded when a session is opened.)
 */

/** What to assess, and with what. */
export interface AssessInput {
  /** The stack's parsed settings: rule overrides, lock timeout, extensions, thresholds, approvals. */
  settings: StackSettings;
  /** The migrations to assess, in any order. Give these or `paths`. */
  migrations?: readonly Migration[];
  /**
   * Migration folders or files to read instead (`dbpipe lint [paths…]`), each file once. A lone
   * file is judged with the earlier migrations of its folder as `history`, so linting one changed
   * file judges it as linting the folder would.
   */
  paths?: readonly string[];
  /** The layout of the folders in `paths`. Default: the stack's `migrationsLayout`. */
  layout?: MigrationLayoutSetting;
  /** Migrations that come before these (applied ones, say): read for what they did to the schema, neither reported nor judged. Default none. */
  history?: readonly Migration[];
  /**
   * The versions about to run on the target. The verdict judges only these, and the data-aware
   * pass sizes only their tables. Default: the verdict judges every migration assessed, and the
   * data-aware pass sizes those the database has not applied (an applied migration ran long ago, on
   * the table as it was then: judging it by the table's size today would refuse a history nobody
   * can change).
   */
  pending?: readonly string[];
  /** A session on the target database, for the data-aware pass. */
  client?: Client;
  /** Or the target's URL: a session is opened for the data-aware pass and closed after. Ignored with `client`. */
  databaseUrl?: string;
  /** The lint cache file: results of unchanged files are reused, and the file is rewritten when a file was linted afresh. Default: no cache. */
  cacheFile?: string;
  /**
   * Report SQL that does not parse as each migration's `parseError` and assess the rest
   * (`dbpipe lint`). Default false: the first file that does not parse is thrown, so that nothing
   * runs from a plan that holds one.
   */
  keepParseErrors?: boolean;
  /** Threads to lint a long history on. Default: one per core, at most 8, on 4 cores or more; else 1. */
  jobs?: number;
  /**
   * Only check that the migrations can run as written (see `LintOptions.checkOnly`): what `up`
   * needs where the tier can require neither a backup nor an approval. Every migration is then
   * `low` with no findings, `history` is not read, and no table is sized. Default false.
   */
  checkOnly?: boolean;
}

/** The migrations classified and judged. */
export interface Assessment {
  /** Every migration assessed, in version order, with its findings (after the data-aware pass). */
  linted: LintedMigration[];
  /** The ones the verdict judged: those of `pending`, else all of `linted`. */
  judged: LintedMigration[];
  /** The stack's verdict on `judged`. */
  verdict: Verdict;
}

/**
 * Classifies the migrations, runs the data-aware pass when a database is given, and takes the
 * stack's verdict. Throws an InputError for a file that does not load or parse (unless
 * `keepParseErrors`), a malformed
 * `-- dbpipe:allow`, or an unknown rule id in the stack's `dbpipe:ruleSeverity`; never writes to
 * the database.
 */
export async function assess(input: AssessInput): Promise<Assessment> {
  const { settings } = input;
  const jobs = input.jobs ?? defaultJobs();
  const cache = input.cacheFile ? LintCache.open(input.cacheFile) : undefined;
  // Files still to read and no cache to spare most of the parsing: start the workers now, so that
  // their start-up overlaps reading the files. Otherwise only when there is enough to lint.
  let pool = input.paths && !(input.cacheFile && LintCache.exists(input.cacheFile)) ? LintPool.start(jobs) : undefined;
  let linted: LintedMigration[];
  try {
    const { migrations, history } = input.migrations
      ? { migrations: input.migrations, history: input.history ?? [] }
      : readTargets(input.paths ?? [], input.layout ?? settings.migrations.layout, input.history ?? []);
    const options: LintOptions = input.checkOnly ? { ...lintOptionsFor(settings), checkOnly: true } : lintOptionsFor(settings, { history });
    const lint = (list: readonly Migration[], o: LintOptions) => {
      pool ??= LintPool.start(jobs, list.length >= PARALLEL_THRESHOLD);
      return pool.lint(list, o);
    };
    linted = cache ? await cache.lint(migrations, options, lint) : await lint(migrations, options);
    // The threads stop while the cache is written.
    const closing = pool?.close();
    pool = undefined;
    // Before the data-aware pass: a reused result is shared with its cache entry.
    cache?.save();
    await closing;
  } finally {
    await pool?.close();
  }
  const unparsable = linted.find((m) => m.parseError);
  if (unparsable?.parseError && !input.keepParseErrors) throw parseErrorOf(unparsable.parseError);
  const pending = input.pending ? new Set(input.pending) : undefined;
  const judged = pending ? linted.filter((m) => pending.has(m.version)) : linted;
  const largeTableRows = settings.risk.largeTableRows ?? DEFAULT_LARGE_TABLE_ROWS;
  if (input.checkOnly) {
    // Nothing to size: no finding.
  } else if (input.client) {
    await sizeTables(input.client, linted, pending, largeTableRows);
  } else if (input.databaseUrl) {
    await withSession(input.databaseUrl, (client) => sizeTables(client, linted, pending, largeTableRows));
  }
  return { linted, judged, verdict: computeVerdict(judged, settings) };
}

/** The data-aware pass on `client`: the pending migrations, or those it has not applied. */
async function sizeTables(client: Client, linted: LintedMigration[], pending: ReadonlySet<string> | undefined, largeTableRows: number): Promise<void> {
  let toSize: LintedMigration[];
  if (pending) {
    toSize = linted.filter((m) => pending.has(m.version));
  } else {
    const applied = new Set((await readHistory(client)).filter((row) => row.success).map((row) => BigInt(row.version)));
    toSize = linted.filter((m) => !applied.has(BigInt(m.version)));
  }
  await applyTableSizes(toSize, tableRowsLookup(client), largeTableRows);
}

/**
 * The migrations at `targets` (folders or files), each once, and the history a lone file needs:
 * the migrations before it in its folder, read for their schema facts (column types, defaults).
 */
function readTargets(targets: readonly string[], layout: MigrationLayoutSetting, given: readonly Migration[]): { migrations: Migration[]; history: Migration[] } {
  const byPath = new Map<string, Migration>();
  const history = new Map<string, Migration>(given.map((m) => [m.path, m]));
  for (const target of targets) {
    if (targetIsFolder(target)) {
      for (const m of loadMigrations(target, { layout }).migrations) byPath.set(m.path, m);
      continue;
    }
    const m = loadMigrationFile(target, { layout });
    byPath.set(m.path, m);
    for (const earlier of folderOf(m, layout)) if (earlier.order < m.order) history.set(earlier.path, earlier);
  }
  for (const p of byPath.keys()) history.delete(p);
  return { migrations: [...byPath.values()], history: [...history.values()] };
}

/** The other migrations in a lone file's folder; none when the folder does not load cleanly. */
function folderOf(m: Migration, layout: MigrationLayoutSetting): Migration[] {
  const prisma = path.basename(m.path) === "migration.sql";
  const folder = prisma ? path.dirname(path.dirname(m.path)) : path.dirname(m.path);
  try {
    return loadMigrations(folder, { layout }).migrations;
  } catch {
    return [];
  }
}

/**
 * The linter's options from a stack's settings: the classifier takes its own options and knows
 * nothing of settings, so they are adapted here.
 */
export function lintOptionsFor(settings: StackSettings, extra: Pick<LintOptions, "tableRows" | "history" | "historyEvents"> = {}): LintOptions {
  return {
    ruleSeverity: settings.risk.ruleSeverity,
    settingsSource: settings.source,
    lockTimeoutMs: settings.migrations.lockTimeoutMs,
    statementTimeoutMs: settings.migrations.statementTimeoutMs,
    extensions: settings.infra.extensions,
    largeTableRows: settings.risk.largeTableRows,
    ...extra,
  };
}
