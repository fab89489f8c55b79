import * as fs from "node:fs";
import * as path from "node:path";
import type { Client } from "pg";
import { InputError } from "../errors";
import { type MigrationLayout, display, loadFiles } from "../migrate/files";
import { HISTORY_TABLE, ensureHistory, readHistory, recordBaseline } from "../migrate/history";
import { acquireRunLock, releaseRunLock } from "../migrate/lock";
import type { Migration } from "../migration";
import { withSession } from "../migrate/session";
import type { MigrationLayoutSetting, StackSettings } from "../settings/stack-settings";
import { drizzleHash, flywayChecksum, prismaChecksums } from "./checksums";
import {
  type FoundHistoryTable,
  HISTORY_TABLES,
  type OtherTool,
  TOOL_NAMES,
  findHistoryTables,
  readAlembicHeads,
  readDrizzleHistory,
  readFlywayHistory,
  readPrismaHistory,
} from "./other-history";

/**
 * `adopt`: a database that another tool (Prisma Migrate, Drizzle, Alembic, Flyway) migrated gets
 * dbpipe's history to match the migration files, without running anything. The other tool's
 * history must agree with the files — every migration it applied has its file, every checksum it
 * recorded is the file's, every file older than the newest one it applied was applied — or nothing
 * is recorded and each disagreement is reported. Files after the newest one it applied (in version
 * order) are left pending, as Flyway's baseline leaves them: the next `dbpipe up` applies them.
 */

/** What adopt needs: the project's settings, folder and database (the CLI's engine options fit). */
export interface AdoptOptions {
  settings: StackSettings;
  migrationsDir: string;
  /** Default the stack's `migrationsLayout`. */
  layout?: MigrationLayoutSetting;
  databaseUrl: string;
  /** Base for file names in messages. Default: the working directory. */
  displayBase?: string;
}

/** Options of one adopt run. */
export interface AdoptRun {
  /** The tool whose history to read; default: the one whose table the database has. */
  from?: OtherTool;
  /** Its table, `[schema.]name`, when not where the tool keeps it by default (needs `from`). */
  table?: string;
  /** Only say what would be recorded. */
  dryRun?: boolean;
}

/** How a file was matched to the other tool's record. */
export type MatchedBy = "checksum" | "version";

/** One migration recorded (or, dry-running, to be recorded) as applied. */
export interface AdoptedMigration {
  version: string;
  name: string;
  file: string;
  /** `checksum` when the other tool's checksum equals the file's, `version` where it records none. */
  matchedBy: MatchedBy;
  /** When the other tool applied it, where it says. */
  appliedAt: Date | null;
  /** Who applied it, where the other tool says (Flyway). */
  appliedBy: string | null;
  /** How long it took, where the other tool says (Flyway), in ms. */
  executionMs: number;
}

/** A file the other tool never applied, after the newest one it did: left for `dbpipe up`. */
export interface PendingMigration {
  version: string;
  name: string;
  file: string;
}

/** Result of adopt. */
export interface AdoptResult {
  tool: OtherTool;
  /** The other tool's table, `schema.table`. */
  table: string;
  /** The migrations folder's layout. */
  layout: MigrationLayout;
  /** The migrations recorded as applied, in version order. */
  recorded: AdoptedMigration[];
  /** The files the other tool never applied, all after the newest one it did, in version order: not recorded, `dbpipe up` applies them. */
  pending: PendingMigration[];
  /** What the user should know (e.g. matched by version only). */
  notes: string[];
  /** True when nothing was written. */
  dryRun: boolean;
}

/** The files and the other tool's history disagree: nothing was recorded. */
export class AdoptRefusedError extends InputError {
  constructor(
    readonly tool: OtherTool,
    readonly table: string,
    readonly problems: readonly string[],
  ) {
    super(
      `${TOOL_NAMES[tool]}'s history (${table}) and the migration files disagree; nothing was recorded:\n` +
        problems.map((p) => `  - ${p}`).join("\n") +
        "\nAdopt records what the other tool applied, file for file: make the files match what the database had applied (restore edited files, add missing ones), then run it again.",
    );
  }
}

/** A file the other tool has no record of applying, and how to say so when that is a problem. */
interface Unapplied {
  migration: Migration;
  /** The problem when the tool applied nothing at all. */
  problem: string;
}

/** What matching a tool's history against the files found. */
interface Matching {
  matched: AdoptedMigration[];
  problems: string[];
  notes: string[];
  /** Files the tool never applied, with no other reason to refuse them: pending, or a gap (see {@link placeUnapplied}). */
  unapplied: Unapplied[];
  /**
   * The newest migration the tool applied, in version order: its version and, when a file has it,
   * that file. Undefined when the tool applied nothing. Files never applied after it are pending,
   * those before it a gap.
   */
  newest?: { order: bigint; version: string; file?: string };
}

function emptyMatching(): Matching {
  return { matched: [], problems: [], notes: [], unapplied: [] };
}

/** Raises `matching.newest` to `order` (with its file, if any) when it is newer. */
function noteApplied(matching: Matching, order: bigint, version: string, file?: string): void {
  if (!matching.newest || order > matching.newest.order || (order === matching.newest.order && !matching.newest.file && file)) matching.newest = { order, version, file };
}

/** Adopts the other tool's history: records dbpipe's to match. Refuses, changing nothing, on any disagreement. */
export async function adoptHistory(options: AdoptOptions, run: AdoptRun = {}): Promise<AdoptResult> {
  const base = options.displayBase ?? process.cwd();
  const files = loadFiles({ ...options, displayBase: base });
  return withSession(options.databaseUrl, async (client) => {
    await acquireRunLock(client, options.settings.migrations.lockWaitMs);
    try {
      const table = await chooseTable(client, run);
      const history = await readHistory(client);
      if (history.length > 0) {
        throw new InputError(
          `dbpipe's history (${HISTORY_TABLE}) already records ${history.length} migration(s), newest ${history[history.length - 1].version}: ` +
            "this database is already adopted, or dbpipe already migrates it (`dbpipe status` shows its history)",
        );
      }
      const matching = await matchHistory(client, table, files.migrations, files.layout, options.migrationsDir, base);
      if (matching.problems.length > 0) throw new AdoptRefusedError(table.tool, table.qualified, matching.problems);
      const recorded = matching.matched.sort((a, b) => (BigInt(a.version) < BigInt(b.version) ? -1 : 1));
      if (!run.dryRun && recorded.length > 0) await record(client, recorded, files.migrations);
      return { tool: table.tool, table: table.qualified, layout: files.layout, recorded, pending: matching.pending, notes: matching.notes, dryRun: Boolean(run.dryRun) };
    } finally {
      await releaseRunLock(client).catch(() => undefined);
    }
  });
}

async function chooseTable(client: Client, run: AdoptRun): Promise<FoundHistoryTable> {
  const found = await findHistoryTables(client, { tool: run.from, table: run.table });
  const looked = (run.from ? [run.from] : (Object.keys(HISTORY_TABLES) as OtherTool[])).map((t) => `${HISTORY_TABLES[t]} (${TOOL_NAMES[t]})`).join(", ");
  if (found.length === 0) {
    throw new InputError(
      `no other tool's history table in this database: looked for ${looked} in every schema. ` +
        "For a database that has the schema but no migration history, use `dbpipe baseline --version V`.",
    );
  }
  if (found.length > 1) {
    const tools = new Set(found.map((f) => f.tool));
    const list = found.map((f) => `${f.qualified} (${TOOL_NAMES[f.tool]})`).join(", ");
    throw new InputError(
      tools.size > 1
        ? `this database has the history tables of several tools: ${list}. Say which one to adopt with --from ${[...tools].join("|")}`
        : `this database has several ${TOOL_NAMES[found[0].tool]} history tables: ${list}. Say which one with --table schema.name`,
    );
  }
  return found[0];
}

async function matchHistory(
  client: Client,
  table: FoundHistoryTable,
  files: Migration[],
  layout: MigrationLayout,
  dir: string,
  base: string,
): Promise<Matching & { pending: PendingMigration[] }> {
  const shownDir = display(path.resolve(dir), base) || ".";
  let matching: Matching;
  switch (table.tool) {
    case "prisma":
      matching = matchPrisma(files, await readPrismaHistory(client, table));
      break;
    case "drizzle":
      matching = matchDrizzle(files, await readDrizzleHistory(client, table), dir);
      break;
    case "alembic":
      matching = matchAlembic(files, await readAlembicHeads(client, table));
      break;
    case "flyway":
      matching = matchFlyway(files, await readFlywayHistory(client, table));
      break;
  }
  const pending = placeUnapplied(table.tool, matching);
  const expected: Partial<Record<OtherTool, MigrationLayout>> = { prisma: "prisma", drizzle: "drizzle" };
  const wanted = expected[table.tool];
  if (matching.problems.length > 0 && matching.matched.length === 0 && wanted && wanted !== layout) {
    matching.problems.unshift(`${shownDir} reads as the ${layout} layout, not ${TOOL_NAMES[table.tool]}'s (${wanted}): is --dir the folder ${TOOL_NAMES[table.tool]} migrates from?`);
  }
  if (files.length === 0) matching.problems.unshift(`${shownDir} has no migrations`);
  return { ...matching, pending };
}

/**
 * The files the tool never applied: those after the newest one it applied are pending (returned,
 * in version order); one older than it is a gap, a problem. When the tool applied nothing, each is
 * a problem as the tool's matcher words it: there is nothing to adopt.
 */
function placeUnapplied(tool: OtherTool, matching: Matching): PendingMigration[] {
  const name = TOOL_NAMES[tool];
  const newest = matching.newest;
  if (!newest) {
    if (matching.unapplied.length === 0) return [];
    const clean = matching.problems.length === 0;
    matching.problems.push(...matching.unapplied.map((u) => u.problem));
    if (clean) {
      matching.problems.push(
        `${name} applied none of these migrations, so there is nothing to adopt: if they should all run on this database, \`dbpipe up --ignore-other-history\` applies them`,
      );
    }
    return [];
  }
  const pending: PendingMigration[] = [];
  const newestShown = newest.file ? `${newest.file} (version ${newest.version})` : `version ${newest.version}`;
  for (const { migration: m } of matching.unapplied.sort((a, b) => (a.migration.order < b.migration.order ? -1 : 1))) {
    if (m.order > newest.order) {
      pending.push({ version: m.version, name: m.name, file: m.file });
      continue;
    }
    matching.problems.push(
      `${m.file}: ${name} never applied it, yet it is older than ${newestShown}, the newest migration ${name} applied: ${name} skipped it, or the file was added out of order. ` +
        `Apply it with ${name} first, or rename it to a version above ${newest.version} so that \`dbpipe up\` applies it after the adopted ones; then run adopt again`,
    );
  }
  return pending;
}

function raw(m: Migration): Buffer {
  return fs.readFileSync(m.path);
}

function short(checksum: string | number): string {
  return String(checksum).slice(0, 12);
}

function day(date: Date | null): string {
  return date ? date.toISOString().replace("T", " ").slice(0, 16) + " UTC" : "an unknown date";
}

function adopted(m: Migration, matchedBy: MatchedBy, appliedAt: Date | null, extra: { appliedBy?: string; executionMs?: number } = {}): AdoptedMigration {
  return { version: m.version, name: m.name, file: m.file, matchedBy, appliedAt, appliedBy: extra.appliedBy ?? null, executionMs: extra.executionMs ?? 0 };
}

/** Prisma: one row per attempt; the last finished, not rolled-back attempt of each migration counts. */
function matchPrisma(files: Migration[], records: Awaited<ReturnType<typeof readPrismaHistory>>): Matching {
  const result = emptyMatching();
  const byFolder = new Map(files.map((m) => [`${m.version}_${m.name}`, m]));
  const applied = new Map<string, (typeof records)[number]>();
  const unfinished = new Map<string, (typeof records)[number]>();
  for (const r of records) {
    if (r.rolledBackAt) continue;
    if (r.finishedAt) {
      applied.set(r.migrationName, r);
      unfinished.delete(r.migrationName);
    } else if (!applied.has(r.migrationName)) unfinished.set(r.migrationName, r);
  }
  for (const [name, r] of unfinished) {
    result.problems.push(`${name}: Prisma recorded it as started on ${day(r.startedAt)} but never finished (a failed migration): resolve it with \`prisma migrate resolve\` first`);
  }
  for (const [name, r] of applied) {
    const m = byFolder.get(name);
    if (!m) {
      result.problems.push(`${name}: Prisma applied it on ${day(r.finishedAt)}, but there is no folder ${name}/ with its migration.sql`);
      continue;
    }
    noteApplied(result, m.order, m.version, m.file);
    if (!prismaChecksums(raw(m)).includes(r.checksum)) {
      result.problems.push(`${m.file}: differs from what Prisma applied (Prisma recorded checksum ${short(r.checksum)}…, the file's is ${short(prismaChecksums(raw(m))[0])}…)`);
      continue;
    }
    result.matched.push(adopted(m, "checksum", r.finishedAt));
  }
  for (const m of files) {
    const folder = `${m.version}_${m.name}`;
    if (!applied.has(folder) && !unfinished.has(folder)) result.unapplied.push({ migration: m, problem: `${m.file}: Prisma never applied it` });
  }
  return result;
}

interface JournalEntry {
  tag: string;
  when: number;
}

function readJournal(dir: string): JournalEntry[] | undefined {
  const file = path.join(path.resolve(dir), "meta", "_journal.json");
  if (!fs.existsSync(file)) return undefined;
  // The loader has already checked that it parses and that its tags match the files.
  const journal = JSON.parse(fs.readFileSync(file, "utf8")) as { entries?: { tag?: unknown; when?: unknown }[] };
  return (journal.entries ?? []).filter((e): e is JournalEntry => typeof e.tag === "string" && typeof e.when === "number");
}

/**
 * Drizzle: each row is a migration's hash and its journal entry's `when`. A row is matched to its
 * file by `when` (by hash when the folder has no journal).
 */
function matchDrizzle(files: Migration[], records: Awaited<ReturnType<typeof readDrizzleHistory>>, dir: string): Matching {
  const result = emptyMatching();
  const journal = readJournal(dir);
  const byTag = new Map(files.map((m) => [`${m.version}_${m.name}`, m]));
  const hashes = new Map(files.map((m) => [m, drizzleHash(raw(m))]));
  const done = new Set<Migration>();
  if (!journal) result.notes.push("the folder has no meta/_journal.json: Drizzle's rows were matched to the files by hash");
  for (const r of records) {
    const when = r.createdAt === null ? "" : ` on ${day(new Date(r.createdAt))}`;
    const entry = journal?.find((e) => e.when === r.createdAt);
    const m = entry ? byTag.get(entry.tag) : files.find((f) => hashes.get(f) === r.hash && !done.has(f));
    if (!m) {
      result.problems.push(
        `Drizzle applied a migration${when} (hash ${short(r.hash)}…, created_at ${r.createdAt ?? "null"}) that has no file${journal ? ": no journal entry has that `when`" : ""}`,
      );
      continue;
    }
    done.add(m);
    noteApplied(result, m.order, m.version, m.file);
    if (hashes.get(m) !== r.hash) {
      result.problems.push(`${m.file}: differs from what Drizzle applied${when} (Drizzle recorded hash ${short(r.hash)}…, the file's is ${short(hashes.get(m)!)}…)`);
      continue;
    }
    result.matched.push(adopted(m, "checksum", r.createdAt === null ? null : new Date(r.createdAt)));
  }
  const newest = Math.max(-1, ...records.map((r) => r.createdAt ?? -1));
  for (const m of files) {
    if (done.has(m)) continue;
    const entry = journal?.find((e) => e.tag === `${m.version}_${m.name}`);
    if (entry && entry.when <= newest) {
      result.problems.push(`${m.file}: Drizzle never applied it (and never will: its journal \`when\` is older than the newest migration it applied, so its SQL never ran)`);
    } else result.unapplied.push({ migration: m, problem: `${m.file}: Drizzle never applied it` });
  }
  return result;
}

/**
 * Alembic keeps only the current revision, no checksum: the file whose version or name is that
 * revision, and every file before it, count as applied.
 */
function matchAlembic(files: Migration[], heads: string[]): Matching {
  const result = emptyMatching();
  if (heads.length > 1) {
    result.problems.push(`Alembic is at several heads (${heads.join(", ")}): dbpipe's history is one line; merge them with \`alembic merge\` and upgrade first`);
    return result;
  }
  if (heads.length === 0) {
    for (const m of files) result.unapplied.push({ migration: m, problem: `${m.file}: Alembic never applied it (its version table is empty)` });
    return result;
  }
  const head = heads[0];
  const current = files.find((m) => m.version === head || m.name === head || m.name.startsWith(`${head}_`) || (/^\d+$/.test(head) && m.order === BigInt(head)));
  if (!current) {
    result.problems.push(
      `Alembic's current revision ${head} matches no file: name each file <version>_<revision>_<slug>.sql (or use the revision as the version) so that its revision is in its name`,
    );
    return result;
  }
  noteApplied(result, current.order, current.version, current.file);
  for (const m of files) {
    if (m.order <= current.order) result.matched.push(adopted(m, "version", null));
    else result.unapplied.push({ migration: m, problem: `${m.file}: Alembic never applied it (its current revision is ${head}, ${current.file})` });
  }
  result.notes.push(`Alembic records no checksum, only its current revision (${head}): files up to ${current.version} were matched by version, not by content`);
  return result;
}

/** Flyway's row types that only its history has (`CoreMigrationType.isSynthetic()`): no `DELETE` row cancels one. */
const FLYWAY_SYNTHETIC = new Set(["SCHEMA", "BASELINE", "DELETE"]);

/**
 * The rows `flyway repair` marked as deleted, read as Flyway reads them
 * (`MigrationInfoServiceImpl.markAsDeleted`): a successful `DELETE` row cancels the latest earlier
 * row of its version (of its description, for a repeatable one), so that a migration deleted and
 * applied again counts once, by its latest row. A second `DELETE` with no row left to cancel is what
 * Flyway reports as a corrupted history.
 */
function flywayDeleted(records: Awaited<ReturnType<typeof readFlywayHistory>>, problems: string[]): Set<(typeof records)[number]> {
  const deleted = new Set<(typeof records)[number]>();
  records.forEach((r, index) => {
    if (r.type !== "DELETE" || !r.success) return;
    // Repair writes the DELETE row as a copy of the row it deletes: the same version, or description.
    const same = (e: (typeof records)[number]) => !FLYWAY_SYNTHETIC.has(e.type) && e.version === r.version && (r.version !== null || e.description === r.description);
    const target = records.slice(0, index).reverse().find(same);
    if (!target) return;
    if (deleted.has(target) && r.version !== null) {
      problems.push(`${r.script} (version ${r.version}): Flyway's history has more than one DELETE row for it (installed_rank ${r.installedRank}), which Flyway itself refuses as a corrupted history`);
      return;
    }
    deleted.add(target);
  });
  return deleted;
}

/**
 * Flyway: versioned rows with a CRC-32 each; a baseline row stands for every version up to it; a
 * row that `flyway repair` marked as deleted counts as never applied.
 */
function matchFlyway(files: Migration[], records: Awaited<ReturnType<typeof readFlywayHistory>>): Matching {
  const result = emptyMatching();
  const byOrder = new Map(files.map((m) => [m.order, m]));
  const done = new Set<Migration>();
  let baseline: bigint | undefined;
  const byVersionOnly: string[] = [];
  const deleted = flywayDeleted(records, result.problems);
  for (const r of records) {
    if (r.type === "SCHEMA" || r.type === "DELETE") continue;
    // Flyway keeps a baseline even when its row is later marked as deleted.
    if (deleted.has(r) && r.type !== "SQL_BASELINE") {
      result.notes.push(`Flyway's history marks ${r.script}${r.version === null ? "" : ` (version ${r.version})`} as deleted (\`flyway repair\`): it counts as never applied`);
      continue;
    }
    if (!r.success) {
      result.problems.push(`${r.script}: Flyway recorded it as failed on ${day(r.installedOn)}: repair it with \`flyway repair\` (or finish it) first`);
      continue;
    }
    if (r.version === null) {
      result.problems.push(`${r.script}: a repeatable Flyway migration; dbpipe has versioned migrations only (turn it into a versioned one)`);
      continue;
    }
    if (!/^\d+$/.test(r.version)) {
      result.problems.push(`${r.script}: Flyway version ${r.version} is not a whole number, and dbpipe versions are digits`);
      continue;
    }
    const order = BigInt(r.version);
    noteApplied(result, order, r.version, byOrder.get(order)?.file);
    if (r.type === "BASELINE" || r.type === "SQL_BASELINE") {
      baseline = baseline === undefined || order > baseline ? order : baseline;
      result.notes.push(`Flyway was baselined at version ${r.version} on ${day(r.installedOn)}: files up to it were matched by version, not by content`);
      continue;
    }
    const m = byOrder.get(order);
    if (!m) {
      result.problems.push(`${r.script} (version ${r.version}): Flyway applied it on ${day(r.installedOn)}, but no file has version ${r.version}`);
      continue;
    }
    done.add(m);
    if (r.checksum === null) {
      byVersionOnly.push(m.version);
      result.matched.push(adopted(m, "version", r.installedOn, { appliedBy: r.installedBy, executionMs: r.executionTime }));
      continue;
    }
    const checksum = flywayChecksum(raw(m));
    if (checksum !== r.checksum) {
      result.problems.push(`${m.file}: differs from what Flyway applied on ${day(r.installedOn)} (Flyway recorded checksum ${r.checksum}, the file's is ${checksum})`);
      continue;
    }
    result.matched.push(adopted(m, "checksum", r.installedOn, { appliedBy: r.installedBy, executionMs: r.executionTime }));
  }
  for (const m of files) {
    if (done.has(m)) continue;
    if (baseline !== undefined && m.order <= baseline) result.matched.push(adopted(m, "version", null));
    else result.unapplied.push({ migration: m, problem: `${m.file}: Flyway never applied it` });
  }
  if (byVersionOnly.length > 0) result.notes.push(`Flyway recorded no checksum for ${byVersionOnly.join(", ")}: matched by version, not by content`);
  return result;
}

async function record(client: Client, recorded: readonly AdoptedMigration[], files: readonly Migration[]): Promise<void> {
  const byVersion = new Map(files.map((m) => [m.version, m]));
  await ensureHistory(client);
  await recordBaseline(
    client,
    recorded.map((r) => byVersion.get(r.version)!),
    new Map(recorded.map((r) => [r.version, { appliedAt: r.appliedAt, appliedBy: r.appliedBy, executionMs: r.executionMs }])),
  );
}
