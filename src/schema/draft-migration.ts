import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../errors";
import { makeFolder } from "../make-folder";
import { type MigrationLayout, display, loadMigrations } from "../migrate/files";
import { ensureHistory, readHistory, recordBaseline } from "../migrate/history";
import { acquireRunLock, releaseRunLock } from "../migrate/lock";
import type { Migration } from "../migration";
import { withSession } from "../migrate/session";
import { type SchemaDifference, compareSchemas, sqlToMatch } from "./compare";
import { type SchemaDriftOptions, schemaDrift } from "./schema-drift";

/**
 * `diff`: the changes made by hand on a (dev) database, as a new migration file to review — the
 * SQL that takes the schema its migrations give to the schema it has — with the next version, in
 * the folder's layout. The file is then linted and judged like any other migration. Refused while
 * migrations are pending: the comparison leaves them out, so the new file would repeat them.
 */

/** Options of {@link draftMigration}. */
export interface DraftOptions {
  /** The new migration's name (letters, digits, `_`). Default `changes_by_hand`. */
  name?: string;
  /** Only compute the SQL and the file name; write nothing. */
  dryRun?: boolean;
  /**
   * Also record the new migration as applied on the database it was taken from (its changes are
   * already there), so that `up` does not run them again there. Refused with pending migrations.
   */
  markApplied?: boolean;
  /** Now, for the version of timestamped layouts. Default: the clock. */
  now?: Date;
}

/** The migration written (or, dry-running, that would be). */
export interface DraftedMigration {
  /** The differences it undoes: migrations → database. */
  differences: SchemaDifference[];
  /** Null when the database has no change to capture. */
  file: string | null;
  version: string | null;
  /** Its statements. */
  sql: string[];
  layout: MigrationLayout;
  /** What the user should know. */
  notes: string[];
  /** True when the new migration was recorded as applied on the database. */
  markedApplied: boolean;
  /** How to delete the new migration again (`delete migrations/0004_x.sql`); null with no file. */
  removal: string | null;
}

const NAME = /^[A-Za-z0-9_]+$/;

/** Refuses a new migration's name that cannot be part of a file name (letters, digits and _ only). */
export function checkDraftName(name: string): void {
  if (!NAME.test(name)) throw new InputError(`--name ${JSON.stringify(name)}: use letters, digits and _ only (it becomes part of the file name)`);
}

/** Writes the migration that captures the database's changes by hand. */
export async function draftMigration(options: SchemaDriftOptions, draft: DraftOptions = {}): Promise<DraftedMigration> {
  const name = draft.name ?? "changes_by_hand";
  checkDraftName(name);
  const drift = await schemaDrift(options);
  // The other way round from `verify`: what turns the migrations' schema into the database's.
  const reverse = compareSchemas(drift.actual, drift.expected);
  const result: DraftedMigration = { differences: drift.differences, file: null, version: null, sql: [], layout: drift.layout, notes: drift.notes, markedApplied: false, removal: null };
  if (reverse.length === 0) return result;
  result.sql = sqlToMatch(drift.actual, drift.expected, reverse);

  const dir = path.resolve(options.migrationsDir);
  const { migrations } = drift;
  const version = nextVersion(migrations, drift.layout, draft.now ?? new Date());
  const relative = fileFor(drift.layout, version, name);
  const file = path.join(dir, relative);
  result.version = version;
  result.file = display(file, options.displayBase ?? process.cwd());
  // The comparison leaves pending migrations out: a new file would repeat what they do.
  const pending = migrations.filter((m) => !drift.applied.includes(m.version));
  const journal = drift.layout === "drizzle" && fs.existsSync(path.join(dir, "meta", "_journal.json")) ? display(path.join(dir, "meta", "_journal.json"), options.displayBase ?? process.cwd()) : undefined;
  result.removal = removal(result.file, drift.layout, journal);
  if (drift.historyEmpty && migrations.length > 0 && (draft.markApplied || !draft.dryRun)) throw noHistoryError(migrations, draft.markApplied);
  if (pending.length > 0 && (draft.markApplied || !draft.dryRun)) throw pendingError(pending, drift.layout, journal, draft.markApplied);
  if (draft.dryRun) {
    if (drift.historyEmpty && migrations.length > 0) result.notes = [...result.notes, "without --dry-run, diff refuses to write it while the database has no dbpipe history: its migrations are all pending there"];
    else if (pending.length > 0) result.notes = [...result.notes, "without --dry-run, diff refuses to write it while migrations are pending: it would repeat their changes"];
    return result;
  }

  makeFolder(path.dirname(file));
  fs.writeFileSync(file, render(result.sql, drift.layout), { flag: "wx" });
  if (drift.layout === "drizzle") addToJournal(dir, `${version}_${name}`, (draft.now ?? new Date()).getTime());
  if (draft.markApplied) {
    const written = loadMigrations(dir, { layout: drift.layout }).migrations.find((m) => m.version === version)!;
    await recordApplied(options, written);
    result.markedApplied = true;
  }
  return result;
}

function pendingError(pending: readonly Migration[], layout: MigrationLayout, journal: string | undefined, markApplied: boolean | undefined): InputError {
  const files = pending.map((m) => m.file).join(", ");
  const [it, its] = pending.length === 1 ? ["it", "its"] : ["them", "their"];
  return new InputError(
    `${markApplied ? "--mark-applied: " : ""}${pending.length} migration(s) (${files}) are not applied to this database yet, and a new migration would repeat ${its} changes. ` +
      `Apply ${it} with \`dbpipe up\` if the database should get ${it}; if ${its} changes are already in this database (a file \`dbpipe diff\` wrote, say), ` +
      `${pending.map((m) => removal(m.file, layout, journal)).join(" and ")} instead. Then diff again. Nothing was written.`,
  );
}

/**
 * A database without dbpipe's history has none of the migrations applied as far as dbpipe knows:
 * a migration drafted against the files would undo (or repeat) all of them.
 */
function noHistoryError(migrations: readonly Migration[], markApplied: boolean | undefined): InputError {
  const last = migrations[migrations.length - 1];
  return new InputError(
    `${markApplied ? "--mark-applied: " : ""}the database has no dbpipe history, so its ${migrations.length} migration(s) are all pending there, and a migration drafted now would undo or repeat their changes. ` +
      `Apply them with \`dbpipe up\`; or, if the database already has their schema, record them with \`dbpipe baseline --version ${last.version}\`. Then diff again. Nothing was written.`,
  );
}

/** How to delete the migration in `file` (as displayed) in the folder's layout: its Prisma folder; its entry in Drizzle's `journal` too. */
function removal(file: string, layout: MigrationLayout, journal: string | undefined): string {
  if (layout === "prisma") return `delete the folder ${path.dirname(file)}`;
  return journal ? `delete ${file} and its entry in ${journal}` : `delete ${file}`;
}

/** The next version: one more than the newest, as wide; a UTC timestamp where versions are timestamps (and for Prisma). */
export function nextVersion(migrations: readonly Migration[], layout: MigrationLayout, now: Date): string {
  const last = migrations.at(-1);
  const stamp = now.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  if (layout === "prisma" || (last && last.version.length >= 12)) {
    return last && BigInt(stamp) <= last.order ? (last.order + 1n).toString() : stamp;
  }
  if (!last) return layout === "drizzle" ? "0000" : layout === "flyway" ? "1" : layout === "plain" ? "001" : "0001";
  return (last.order + 1n).toString().padStart(last.version.length, "0");
}

function fileFor(layout: MigrationLayout, version: string, name: string): string {
  switch (layout) {
    case "prisma":
      return path.join(`${version}_${name}`, "migration.sql");
    case "flyway":
      return `V${version}__${name}.sql`;
    case "plain":
      return `${version}-${name.replace(/_/g, "-")}.sql`;
    default:
      return `${version}_${name}.sql`;
  }
}

function render(sql: readonly string[], layout: MigrationLayout): string {
  const header = "-- Written by `dbpipe diff` from changes made by hand to the database. Review it before you commit it.\n\n";
  // Drizzle runs a file as the statements between its breakpoints.
  const separator = layout === "drizzle" ? "\n--> statement-breakpoint\n" : "\n\n";
  return `${header}${sql.join(separator)}\n`;
}

function addToJournal(dir: string, tag: string, when: number): void {
  const file = path.join(dir, "meta", "_journal.json");
  if (!fs.existsSync(file)) return;
  const journal = JSON.parse(fs.readFileSync(file, "utf8")) as { version?: string; entries?: { idx: number; version?: string; when: number; tag: string; breakpoints: boolean }[] };
  const entries = journal.entries ?? [];
  const last = entries.at(-1);
  entries.push({ idx: (last?.idx ?? -1) + 1, version: last?.version ?? journal.version ?? "7", when: Math.max(when, (last?.when ?? 0) + 1), tag, breakpoints: true });
  journal.entries = entries;
  fs.writeFileSync(file, `${JSON.stringify(journal, null, 2)}\n`);
}

async function recordApplied(options: SchemaDriftOptions, m: Migration): Promise<void> {
  await withSession(options.databaseUrl, async (client) => {
    await acquireRunLock(client, options.settings.migrations.lockWaitMs);
    try {
      await ensureHistory(client);
      if ((await readHistory(client)).some((h) => h.version === m.version)) return;
      await recordBaseline(client, [m]);
    } finally {
      await releaseRunLock(client).catch(() => undefined);
    }
  });
}
