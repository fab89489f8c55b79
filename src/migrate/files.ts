import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../errors";
import type { MigrationLayoutSetting } from "../settings/stack-settings";
import type { Migration, SqlSection } from "../migration";

/**
 * Reading migrations from disk, in the layouts teams already have, so they adopt dbpipe without
 * renaming anything:
 *
 * - `dbpipe`: `<version>_<name>.sql`, the version digits (`0001`, `20251106123000`);
 * - `plain`: numbered SQL with `-` or `_` (`001-create-products-table.sql`);
 * - `drizzle`: `NNNN_name.sql`, with `meta/_journal.json` when present (checked against the files);
 * - `prisma`: `<timestamp>_<name>/migration.sql`;
 * - `flyway`: `V<version>__<description>.sql`, whole-number versions (`V1__init.sql`).
 *
 * Directives are comment lines: `-- dbpipe:down` starts the down part, `-- dbpipe:no-transaction`
 * marks a file whose statements cannot run in a transaction, `-- dbpipe:allow <rule> <reason>`
 * acknowledges a risk finding (read by the linter).
 */

/** A concrete layout (what `auto` resolves to). */
export type MigrationLayout = Exclude<MigrationLayoutSetting, "auto">;

/** One problem with the migration files; every problem is collected before anything is reported. */
export interface FileProblem {
  /** The file (or folder) it is about, as the user sees it. */
  file: string;
  /** What is wrong, and what to do. */
  message: string;
  /** 1-based line, when it is about one. */
  line?: number;
}

/** The migration files are not usable: every problem found, each naming its file. */
export class MigrationFilesError extends InputError {
  constructor(readonly problems: readonly FileProblem[]) {
    super(
      problems.length === 1
        ? formatProblem(problems[0])
        : `${problems.length} problems with the migration files:\n${problems.map((p) => `  ${formatProblem(p)}`).join("\n")}`,
    );
  }
}

function formatProblem(p: FileProblem): string {
  return `${p.file}${p.line ? `:${p.line}` : ""}: ${p.message}`;
}

/** The directives dbpipe knows; any other `-- dbpipe:<word>` line is a mistake worth reporting. */
const DIRECTIVES = new Set(["down", "no-transaction", "allow"]);
const DIRECTIVE_LINE = /^[ \t]*--[ \t]*dbpipe:([A-Za-z-]*)(.*)$/;

/** Names in each flat layout: the version, then the name. The extension is `.sql` in any case (`.SQL` too). */
const FLAT_NAME: Record<FlatLayout, RegExp> = {
  dbpipe: /^(\d+)_([^/]+)\.sql$/i,
  plain: /^(\d+)[-_]([^/]+)\.sql$/i,
  drizzle: /^(\d+)_([^/]+)\.sql$/i,
  flyway: /^V(\d+)__([^/]+)\.sql$/,
};
type FlatLayout = "dbpipe" | "plain" | "drizzle" | "flyway";
const PRISMA_FOLDER = /^(\d+)_(.+)$/;

/** Options of {@link loadMigrations}. */
export interface LoadOptions {
  /** The layout, or `auto` to detect it. Default `auto`. */
  layout?: MigrationLayoutSetting;
  /** Base for the file names shown in messages. Default: the working directory. */
  displayBase?: string;
}

/** The migrations of a folder, ordered by version. */
export interface MigrationFolder {
  /** The layout read (detected when `auto`). */
  layout: MigrationLayout;
  /** The migrations, in version order. */
  migrations: Migration[];
}

/**
 * Reads every migration in `dir`, ordered by version. Throws {@link MigrationFilesError} listing
 * every problem at once: names that don't parse, duplicate versions, empty files, unknown
 * directives, a Drizzle journal that disagrees with the files.
 */
export function loadMigrations(dir: string, options: LoadOptions = {}): MigrationFolder {
  const base = options.displayBase ?? process.cwd();
  const absDir = path.resolve(dir);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(absDir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const shown = display(absDir, base);
    if (code === "ENOENT") throw new MigrationFilesError([{ file: shown, message: "no such folder: create it, or point --dir at your migrations" }]);
    if (code === "ENOTDIR") throw new MigrationFilesError([{ file: shown, message: "is a file, not a folder of migrations" }]);
    throw new MigrationFilesError([{ file: shown, message: `cannot read the folder (${code ?? (error as Error).message})` }]);
  }
  const layout = options.layout && options.layout !== "auto" ? options.layout : detectLayout(absDir, entries);
  const problems: FileProblem[] = [];
  const migrations: Migration[] = [];

  const candidates = layout === "prisma" ? prismaCandidates(absDir, entries, base, problems) : flatCandidates(absDir, entries, layout, base, problems);
  for (const candidate of candidates) {
    const migration = readCandidate(candidate, base, problems);
    if (migration) migrations.push(migration);
  }
  migrations.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i].order === migrations[i - 1].order) {
      problems.push({
        file: migrations[i].file,
        message: `duplicate version ${migrations[i].version}: ${migrations[i - 1].file} has the same version; give one of them a new, higher version`,
      });
    }
  }
  if (layout === "drizzle") checkDrizzleJournal(absDir, migrations, base, problems);
  if (problems.length > 0) throw new MigrationFilesError(problems);
  return { layout, migrations };
}

/** Reads one migration file on its own (for `dbpipe lint <file>`): its version comes from its name. */
export function loadMigrationFile(file: string, options: LoadOptions = {}): Migration {
  const base = options.displayBase ?? process.cwd();
  const abs = path.resolve(file);
  const problems: FileProblem[] = [];
  const parent = path.basename(path.dirname(abs));
  let candidate: Candidate | undefined;
  if (path.basename(abs).toLowerCase() === "migration.sql" && PRISMA_FOLDER.test(parent)) {
    const m = PRISMA_FOLDER.exec(parent)!;
    candidate = { path: abs, version: m[1], name: m[2] };
  } else {
    const m = FLAT_NAME.plain.exec(path.basename(abs));
    if (m) candidate = { path: abs, version: m[1], name: m[2] };
    else problems.push({ file: display(abs, base), message: nameProblem("plain") });
  }
  const migration = candidate ? readCandidate(candidate, base, problems) : undefined;
  if (problems.length > 0 || !migration) throw new MigrationFilesError(problems);
  return migration;
}

/** Detects the layout of a folder from what is in it. */
export function detectLayout(absDir: string, entries: fs.Dirent[] = fs.readdirSync(absDir, { withFileTypes: true })): MigrationLayout {
  const hasPrismaFolder = entries.some((e) => e.isDirectory() && PRISMA_FOLDER.test(e.name) && prismaMigrationFile(path.join(absDir, e.name)) !== undefined);
  if (hasPrismaFolder || entries.some((e) => e.name === "migration_lock.toml")) return "prisma";
  if (fs.existsSync(path.join(absDir, "meta", "_journal.json"))) return "drizzle";
  const sql = entries.filter((e) => e.isFile() && e.name.toLowerCase().endsWith(".sql")).map((e) => e.name);
  if (sql.some((n) => /^\d+-/.test(n))) return "plain";
  if (sql.some((n) => /^V\d/.test(n))) return "flyway";
  return "dbpipe";
}

interface Candidate {
  path: string;
  version: string;
  name: string;
}

function flatCandidates(absDir: string, entries: fs.Dirent[], layout: FlatLayout, base: string, problems: FileProblem[]): Candidate[] {
  const out: Candidate[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith(".") || !entry.name.toLowerCase().endsWith(".sql")) continue;
    const full = path.join(absDir, entry.name);
    if (!entry.isFile() && !(entry.isSymbolicLink() && fs.statSync(full).isFile())) continue;
    const m = FLAT_NAME[layout].exec(entry.name);
    if (!m) {
      problems.push({ file: display(full, base), message: nameProblem(layout) });
      continue;
    }
    out.push({ path: full, version: m[1], name: m[2] });
  }
  return out;
}

function prismaCandidates(absDir: string, entries: fs.Dirent[], base: string, problems: FileProblem[]): Candidate[] {
  const out: Candidate[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    if (!entry.isDirectory()) {
      // A migration in the wrong place would otherwise never run, and nobody would be told.
      if (entry.name.toLowerCase().endsWith(".sql")) {
        problems.push({
          file: display(path.join(absDir, entry.name), base),
          message: "is a .sql file beside Prisma migration folders, where Prisma never runs it: move it into <timestamp>_<name>/migration.sql, or give the folder's real layout with --layout (or dbpipe:migrationsLayout)",
        });
      }
      continue;
    }
    const folder = path.join(absDir, entry.name);
    const m = PRISMA_FOLDER.exec(entry.name);
    if (!m) {
      problems.push({ file: display(folder, base), message: "is not a Prisma migration folder: expected <timestamp>_<name>/ holding migration.sql" });
      continue;
    }
    const file = prismaMigrationFile(folder);
    if (file === undefined) {
      problems.push({ file: display(folder, base), message: "has no migration.sql" });
      continue;
    }
    out.push({ path: file, version: m[1], name: m[2] });
  }
  return out;
}

/** The `migration.sql` of a Prisma migration folder, its extension in any case. */
function prismaMigrationFile(folder: string): string | undefined {
  const exact = path.join(folder, "migration.sql");
  if (fs.existsSync(exact)) return exact;
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return undefined;
  }
  const name = names.find((n) => n.toLowerCase() === "migration.sql");
  return name === undefined ? undefined : path.join(folder, name);
}

function nameProblem(layout: MigrationLayout): string {
  const expected =
    layout === "plain"
      ? "<version>-<name>.sql, e.g. 001-create-products-table.sql"
      : layout === "drizzle"
        ? "NNNN_<name>.sql, e.g. 0000_create_products.sql"
        : layout === "flyway"
          ? "V<version>__<description>.sql, e.g. V1__create_products.sql (whole-number versions; repeatable R__ and undo U files are not supported)"
          : "<version>_<name>.sql, e.g. 0001_create_products.sql or 20251106123000_create_products.sql";
  return `name does not parse as a migration: expected ${expected} (the version is digits)`;
}

/** Line endings normalised to LF, a leading byte-order mark removed. */
export function normaliseText(text: string): string {
  return text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
}

/** The checksum of a migration's content: sha256 of the text with line endings normalised. */
export function checksumOf(text: string): string {
  return createHash("sha256").update(normaliseText(text), "utf8").digest("hex");
}

function readCandidate(candidate: Candidate, base: string, problems: FileProblem[]): Migration | undefined {
  const file = display(candidate.path, base);
  let raw: Buffer;
  try {
    raw = fs.readFileSync(candidate.path);
  } catch (error) {
    problems.push({ file, message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` });
    return undefined;
  }
  const decoded = new TextDecoder("utf-8", { fatal: false }).decode(raw);
  if (decoded.includes("\uFFFD") && !raw.includes(Buffer.from("\uFFFD"))) {
    problems.push({ file, message: "is not valid UTF-8: save it as UTF-8" });
    return undefined;
  }
  const text = normaliseText(decoded);
  const lines = text.split("\n");
  let downLine: number | undefined;
  let noTransaction = false;
  lines.forEach((line, i) => {
    const m = DIRECTIVE_LINE.exec(line);
    if (!m) return;
    const [, directive, rest] = m;
    if (!DIRECTIVES.has(directive)) {
      problems.push({ file, line: i + 1, message: `unknown directive "dbpipe:${directive}": dbpipe knows ${[...DIRECTIVES].map((d) => `dbpipe:${d}`).join(", ")}` });
    } else if (directive === "down") {
      if (rest.trim() !== "") problems.push({ file, line: i + 1, message: "-- dbpipe:down takes nothing after it" });
      else if (downLine !== undefined) problems.push({ file, line: i + 1, message: `a second -- dbpipe:down (the first is on line ${downLine})` });
      else downLine = i + 1;
    } else if (directive === "no-transaction") {
      if (rest.trim() !== "") problems.push({ file, line: i + 1, message: "-- dbpipe:no-transaction takes nothing after it" });
      noTransaction = true;
    }
  });

  const upText = downLine === undefined ? text : lines.slice(0, downLine - 1).join("\n");
  const up: SqlSection = { text: upText, line: 1 };
  const down: SqlSection | undefined = downLine === undefined ? undefined : { text: lines.slice(downLine).join("\n"), line: downLine + 1 };
  if (!hasSql(up.text)) {
    problems.push({ file, message: downLine === undefined ? "is empty: a migration needs at least one statement" : "has no SQL before -- dbpipe:down" });
    return undefined;
  }
  return {
    version: candidate.version,
    order: BigInt(candidate.version),
    name: candidate.name,
    file,
    path: candidate.path,
    checksum: checksumOf(text),
    up,
    down: down && hasSql(down.text) ? down : undefined,
    noTransaction,
  };
}

/** True when `sql` holds anything but whitespace and comments. */
export function hasSql(sql: string): boolean {
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === ";") i++;
    else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      i = end === -1 ? sql.length : end + 1;
    } else if (c === "/" && sql[i + 1] === "*") {
      // Block comments nest in PostgreSQL.
      let depth = 1;
      i += 2;
      while (i < sql.length && depth > 0) {
        if (sql[i] === "/" && sql[i + 1] === "*") {
          depth++;
          i += 2;
        } else if (sql[i] === "*" && sql[i + 1] === "/") {
          depth--;
          i += 2;
        } else i++;
      }
    } else return true;
  }
  return false;
}

interface DrizzleJournal {
  entries?: { idx?: number; tag?: string }[];
}

function checkDrizzleJournal(absDir: string, migrations: Migration[], base: string, problems: FileProblem[]): void {
  const journalPath = path.join(absDir, "meta", "_journal.json");
  if (!fs.existsSync(journalPath)) return;
  const shown = display(journalPath, base);
  let journal: DrizzleJournal;
  try {
    journal = JSON.parse(fs.readFileSync(journalPath, "utf8")) as DrizzleJournal;
  } catch (error) {
    problems.push({ file: shown, message: `is not valid JSON (${(error as Error).message})` });
    return;
  }
  const tags = new Set((journal.entries ?? []).map((e) => e.tag).filter((t): t is string => typeof t === "string"));
  const files = new Set(migrations.map((m) => `${m.version}_${m.name}`));
  for (const tag of tags) {
    if (!files.has(tag)) problems.push({ file: shown, message: `lists ${tag}, but there is no ${tag}.sql` });
  }
  for (const m of migrations) {
    if (!tags.has(`${m.version}_${m.name}`)) problems.push({ file: m.file, message: `is not in ${shown}: generate migrations with drizzle-kit, or add it to the journal` });
  }
}

/** A path as users should see it: relative to `base` when inside it. */
export function display(file: string, base: string): string {
  const rel = path.relative(base, file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
}
