import { createHash } from "node:crypto";
import { isUtf8 } from "node:buffer";
import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../errors";
import { didYouMean } from "../text/did-you-mean";
import type { MigrationLayoutSetting } from "../settings/stack-settings";
import type { Migration, SqlSection } from "../migration";
import { DANGLING_DIRECTIVE, allowDirectiveWords, readAllowDirective } from "../sql/allow";

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
 * `auto` goes by what the folder holds ({@link detectLayout}): Prisma's folders, Drizzle's journal,
 * else what most of the files' names are written for, the others named as the odd ones out.
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
  /** 1-based column, when it is about one place. */
  column?: number;
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

/** A problem as messages show it: `file:line:column: message`, with the line and column it has. */
export function formatProblem(p: FileProblem): string {
  return `${p.file}${p.line ? `:${p.line}${p.column ? `:${p.column}` : ""}` : ""}: ${p.message}`;
}

/** The directives dbpipe knows; any other `-- dbpipe:<word>` line is a mistake worth reporting. */
const DIRECTIVES = new Set(["down", "no-transaction", "allow"]);
/** A directive: `--`, optional blanks, `dbpipe:<name>` in lower case, alone on its line. */
const DIRECTIVE = /^--[ \t]*dbpipe:([a-z-]+)(?=$|[ \t])(.*)$/s;
/** Anything that looks meant as a directive (any case, blanks around the colon). */
const NEAR_DIRECTIVE = /^(?:--|\/\*)[ \t]*dbpipe[ \t]*:[ \t]*([A-Za-z_-]*)/i;
/** What every directive and near-miss holds: scanning a text without it finds nothing. */
const MENTIONS_DBPIPE = /dbpipe/i;

type ScannedDirective =
  | { kind: "directive"; line: number; column: number; name: "down" | "no-transaction"; rest: string }
  | {
      kind: "directive";
      line: number;
      column: number;
      name: "allow";
      /** What follows `dbpipe:allow`, as the linter reads it (`allowDirectiveWords`). */
      rest: string;
      /**
       * False when no statement of the up part follows the directive and it does not end a
       * statement's last line: it acknowledges nothing (the linter's `rejectDanglingDirectives`).
       */
      followed: boolean;
    }
  | { kind: "near-miss"; line: number; message: string };

const KNOWN = () => [...DIRECTIVES].map((d) => `-- dbpipe:${d}`).join(", ");

function nearMissMessage(comment: string, word: string, why: string): string {
  const lower = word.toLowerCase().replace(/_/g, "-");
  const guess = DIRECTIVES.has(lower) ? ` (did you mean -- dbpipe:${lower}, alone on its line?)` : didYouMean(lower, DIRECTIVES, { show: (n) => `-- dbpipe:${n}` });
  return `"${comment.trim().slice(0, 60)}" ${why}, so dbpipe neither runs it as SQL nor obeys it${guess}; dbpipe knows ${KNOWN()}, each a line of its own`;
}

/**
 * The directives of a migration's text, found the way PostgreSQL reads it: only a `--` comment
 * that stands alone on its line, outside any string, quoted identifier, dollar-quoted body or block
 * comment, is one. Anything else that looks like one (other case, `/* dbpipe:down *\/`, a comment
 * after a statement, an unknown name) is reported as a near-miss. `-- dbpipe:allow` may also
 * follow a statement on its line, and be a block comment (`/* dbpipe:allow ... *\/`), as the
 * linter reads it (src/sql/allow.ts); each says whether a statement of the up part follows it.
 */
export function scanDirectives(text: string): ScannedDirective[] {
  const out: ScannedDirective[] = [];
  // Every directive and near-miss names dbpipe: a text that never does has none (most files).
  if (!MENTIONS_DBPIPE.test(text)) return out;
  let line = 1;
  let lineStart = 0;
  let lineHasCode = false;
  let i = 0;
  const n = text.length;
  // Where the up part's statements stand, for the allow directives: the allows no statement
  // followed yet, the line of the last token of code, and whether a comment came after it.
  let pendingAllows: { followed: boolean }[] = [];
  let upEnded = false;
  let lastCodeLine = 0;
  let commentSinceCode = true;
  const advance = (to: number): void => {
    for (let k = i; k < to; k++) {
      if (text.charCodeAt(k) === 10) {
        line++;
        lineStart = k + 1;
      }
    }
    i = to;
  };
  const code = (): void => {
    if (!upEnded && pendingAllows.length > 0) {
      for (const d of pendingAllows) d.followed = true;
      pendingAllows = [];
    }
    lastCodeLine = line;
    commentSinceCode = false;
    lineHasCode = true;
  };
  const allow = (rest: string, at: { line: number; column: number }): void => {
    // The first comment after a statement's last token, on its line, belongs to that statement.
    const directive = { kind: "directive" as const, ...at, name: "allow" as const, rest, followed: !upEnded && !commentSinceCode && lastCodeLine === at.line };
    if (!directive.followed && !upEnded) pendingAllows.push(directive);
    out.push(directive);
  };
  while (i < n) {
    const c = text[i];
    if (c === "\n") {
      line++;
      lineStart = i + 1;
      lineHasCode = false;
      i++;
    } else if (c === " " || c === "\t" || c === "\r") i++;
    else if (c === "-" && text[i + 1] === "-") {
      const end = text.indexOf("\n", i);
      const comment = text.slice(i, end === -1 ? n : end);
      const near = NEAR_DIRECTIVE.exec(comment);
      if (near) {
        const exact = DIRECTIVE.exec(comment);
        const at = { line, column: i - lineStart + 1 };
        if (exact && exact[1] === "allow") {
          allow(allowDirectiveWords(comment) ?? exact[2].trim(), at);
        } else if (exact && DIRECTIVES.has(exact[1]) && !lineHasCode) {
          out.push({ kind: "directive", ...at, name: exact[1] as "down" | "no-transaction", rest: exact[2] });
          // What follows the down directive is the down part: no statement of the up part.
          if (exact[1] === "down") upEnded = true;
        } else if (lineHasCode) {
          out.push({ kind: "near-miss", line, message: nearMissMessage(comment, near[1], "follows a statement on its line") });
        } else {
          out.push({ kind: "near-miss", line, message: exact ? `unknown directive "dbpipe:${exact[1]}"${didYouMean(exact[1], DIRECTIVES, { show: (d) => `-- dbpipe:${d}` })}: dbpipe knows ${KNOWN()}` : nearMissMessage(comment, near[1], "is not written as a directive (lower case, `-- dbpipe:<name>`)") });
        }
      }
      commentSinceCode = true;
      i = end === -1 ? n : end;
    } else if (c === "/" && text[i + 1] === "*") {
      const at = { line, column: i - lineStart + 1 };
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        if (text[j] === "/" && text[j + 1] === "*") {
          depth++;
          j += 2;
        } else if (text[j] === "*" && text[j + 1] === "/") {
          depth--;
          j += 2;
        } else j++;
      }
      const comment = text.slice(i, j);
      const near = NEAR_DIRECTIVE.exec(comment);
      if (near) {
        const words = allowDirectiveWords(comment);
        if (words !== undefined) allow(words, at);
        else out.push({ kind: "near-miss", line: at.line, message: nearMissMessage(comment, near[1], "is a block comment") });
      }
      commentSinceCode = true;
      advance(j);
      lineHasCode = true;
    } else if (c === "'" || c === '"') {
      // E'...' strings allow backslash escapes; a doubled quote escapes in every form.
      const escapes = c === "'" && i > 0 && /[eE]/.test(text[i - 1]) && !/[A-Za-z0-9_]/.test(text[i - 2] ?? "");
      let j = i + 1;
      while (j < n) {
        if (escapes && text[j] === "\\") j += 2;
        else if (text[j] === c) {
          if (text[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      advance(Math.min(j + 1, n));
      code();
    } else if (c === "$") {
      const tag = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(text.slice(i, i + 200));
      const before = i > 0 ? text[i - 1] : "";
      if (tag && !/[A-Za-z0-9_]/.test(before)) {
        const close = text.indexOf(tag[0], i + tag[0].length);
        advance(close === -1 ? n : close + tag[0].length);
      } else i++;
      code();
    } else if (c === ";") {
      // A semicolon ends a statement; it is none itself (the parser places no statement there).
      lineHasCode = true;
      i++;
    } else {
      code();
      i++;
    }
  }
  return out;
}

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
 * every problem of every file at once, in the files' order: names that don't parse (or are written
 * for another layout than the folder's), duplicate versions, text that is not UTF-8 or holds a NUL,
 * empty files, unknown directives, malformed or dangling `dbpipe:allow` directives, a Drizzle
 * journal that disagrees with the files.
 */
export function loadMigrations(dir: string, options: LoadOptions = {}): MigrationFolder {
  const base = options.displayBase ?? process.cwd();
  const absDir = path.resolve(dir);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(absDir, { withFileTypes: true });
  } catch (error) {
    throw new MigrationFilesError([{ file: display(absDir, base), message: notAFolder(absDir, error) }]);
  }
  const detection: LayoutDetection = options.layout && options.layout !== "auto" ? { layout: options.layout } : detectLayout(absDir, entries);
  const { layout } = detection;
  const problems: FileProblem[] = [];
  const migrations: Migration[] = [];

  if (detection.mixed) problems.push({ file: display(absDir, base), message: mixedLayoutsProblem(detection.mixed) });
  const candidates = layout === "prisma" ? prismaCandidates(absDir, entries, base, problems) : flatCandidates(absDir, entries, detection as FlatDetection, base, problems);
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
  if (problems.length > 0) throw new MigrationFilesError(problems.sort(inFileOrder));
  return { layout, migrations };
}

/** Problems in the order of their files as a listing by version shows them (`9_a.sql` before `10_b.sql`), then by line and column. */
function inFileOrder(a: FileProblem, b: FileProblem): number {
  return naturalCompare(a.file, b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
}

/** Compares two names with their runs of digits as numbers. */
function naturalCompare(a: string, b: string): number {
  const chunks = (s: string) => s.match(/\d+|\D+/g) ?? [];
  const x = chunks(a);
  const y = chunks(b);
  for (let k = 0; k < Math.min(x.length, y.length); k++) {
    if (x[k] === y[k]) continue;
    const numbers = /^\d/.test(x[k]) && /^\d/.test(y[k]);
    if (numbers) {
      const d = x[k].replace(/^0+/, "").length - y[k].replace(/^0+/, "").length;
      if (d !== 0) return d;
    }
    return x[k] < y[k] ? -1 : 1;
  }
  return x.length - y.length;
}

/** Where a run's migrations are and how to read them: the part of the engine's options that {@link loadFiles} reads. */
export interface FilesOptions {
  /** The stack's settings: the layout when `layout` is not given. */
  settings: { migrations: { layout: MigrationLayoutSetting } };
  /** The migrations folder. */
  migrationsDir: string;
  /** The folder's layout; default the stack's. */
  layout?: MigrationLayoutSetting;
  /** Base for file names in messages. Default: the working directory. */
  displayBase?: string;
  /** The checksum of every file, by version, the caller planned with: any difference is refused. */
  expectedChecksums?: ReadonlyMap<string, string>;
  /** The files, when the caller has read them already: not read again. */
  files?: MigrationFolder;
}

/** Loads the migration files (before any connection: bad files never reach the database). */
export function loadFiles(options: FilesOptions): MigrationFolder {
  const files =
    options.files ??
    loadMigrations(path.resolve(options.migrationsDir), {
      layout: options.layout ?? options.settings.migrations.layout,
      displayBase: options.displayBase,
    });
  if (options.expectedChecksums) checkExpectedChecksums(files.migrations, options.expectedChecksums);
  return files;
}

/** Refuses files that differ from the checksums the caller planned with, naming each. */
function checkExpectedChecksums(migrations: readonly Migration[], expected: ReadonlyMap<string, string>): void {
  const problems: string[] = [];
  const found = new Set<string>();
  for (const m of migrations) {
    const checksum = expected.get(m.version);
    found.add(m.version);
    if (checksum === undefined) problems.push(`${m.file}: not in the migrations the run was planned with (a file added since)`);
    else if (checksum !== m.checksum) problems.push(`${m.file}: changed since the run was planned (checksum ${checksum.slice(0, 12)} planned, ${m.checksum.slice(0, 12)} now)`);
  }
  for (const version of expected.keys()) if (!found.has(version)) problems.push(`version ${version}: planned, but no file has it any more`);
  if (problems.length > 0) {
    throw new InputError(`the migration files differ from the ones the run was planned with; nothing was run. Plan again to review the change:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/**
 * Reads one migration file on its own (for `dbpipe lint <file>`): its version comes from its name,
 * read as `options.layout` when one is given, else as the layout of the file's folder.
 */
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
    // Named as the layout of the project (when given) or of the file's folder would read it there.
    const detection = options.layout && options.layout !== "auto" ? { layout: options.layout } : detectLayoutOf(path.dirname(abs));
    const named = detection.layout === "prisma" ? nameProblem("prisma") : flatName(path.basename(abs), detection as FlatDetection);
    if (typeof named === "string") problems.push({ file: display(abs, base), message: named });
    else candidate = { path: abs, ...named };
  }
  const migration = candidate ? readCandidate(candidate, base, problems) : undefined;
  if (problems.length > 0 || !migration) throw new MigrationFilesError(problems);
  return migration;
}

/**
 * Whether a path given on the command line is a folder of migrations (or nothing, which
 * {@link loadMigrations} reports as a missing folder) rather than one migration file. Throws
 * {@link MigrationFilesError} for what is neither: a missing `.sql` file, a broken or looping
 * symbolic link, a named pipe, socket or device (reading one would hang), a path that cannot be read.
 */
export function targetIsFolder(target: string, options: Pick<LoadOptions, "displayBase"> = {}): boolean {
  const abs = path.resolve(target);
  const looked = look(abs);
  let problem: string | undefined;
  if ("stat" in looked) {
    if (looked.stat.isDirectory()) return true;
    problem = notAPlainFile(looked.stat, fs.lstatSync(abs).isSymbolicLink());
    if (!problem) return false;
  } else {
    // Nothing there: a `.sql` name was meant as a file; anything else is reported as a missing folder.
    if (looked.missing && !/\.sql$/i.test(abs)) return true;
    problem = looked.problem;
  }
  throw new MigrationFilesError([{ file: display(abs, options.displayBase ?? process.cwd()), message: problem }]);
}

/** How a `.sql` file's name is written, as far as telling the flat layouts apart goes. */
type NameStyle = "flyway" | "dash" | "underscore";

/** `V1__…` (Flyway's), `0001-…` (plain's alone), `0001_…` (dbpipe's, plain's or Drizzle's); undefined for any other name. */
function nameStyle(name: string): NameStyle | undefined {
  const m = /^(?:V\d|\d+([-_]))/.exec(name);
  return !m ? undefined : m[1] === undefined ? "flyway" : m[1] === "-" ? "dash" : "underscore";
}

/** The layout a name of each style is written for. */
const STYLE_LAYOUT: Record<NameStyle, FlatLayout> = { flyway: "flyway", dash: "plain", underscore: "dbpipe" };

/** Whether `layout` reads names of `style`. */
function styleFits(style: NameStyle, layout: MigrationLayout): boolean {
  return style === "flyway" ? layout === "flyway" : style === "dash" ? layout === "plain" : layout === "dbpipe" || layout === "plain" || layout === "drizzle";
}

/** Some of a folder's migration files, named for one layout. */
export interface NameGroup {
  /** The layout their names are written for. */
  layout: FlatLayout;
  /** Their file names, in no particular order. */
  names: string[];
}

/** A folder's layout as {@link detectLayout} tells it, with what decided it. */
export interface LayoutDetection {
  /** The layout the folder is read as. */
  layout: MigrationLayout;
  /**
   * The files whose names decided a flat layout (the most files named for one layout): a file
   * named for another layout is the odd one out, and named as such. Unset when nothing was counted
   * (a layout given, Prisma's folders, Drizzle's journal, no numbered file).
   */
  majority?: NameGroup;
  /** Set when as many files are named for one layout as for another: both groups. The folder is refused, naming them. */
  mixed?: readonly [NameGroup, NameGroup];
}

/** A {@link LayoutDetection} of a flat layout. */
type FlatDetection = LayoutDetection & { layout: Exclude<MigrationLayout, "prisma"> };

/**
 * Detects the layout of a folder from what is in it: Prisma's migration folders (or its
 * `migration_lock.toml`), Drizzle's `meta/_journal.json`, else the names of the `.sql` files, by
 * majority: one stray file named for another layout does not turn the folder over to that layout
 * (and the error names the stray, not the files that were right). Plain takes `-` and `_` alike,
 * so it is the plain layout when at least as many names have a `-` after the version as a `_`; with
 * fewer, the `-` names are the strays of a dbpipe folder.
 */
export function detectLayout(absDir: string, entries: fs.Dirent[] = fs.readdirSync(absDir, { withFileTypes: true })): LayoutDetection {
  const hasPrismaFolder = entries.some((e) => e.isDirectory() && PRISMA_FOLDER.test(e.name) && prismaMigrationFile(path.join(absDir, e.name)) !== undefined);
  if (hasPrismaFolder || entries.some((e) => e.name === "migration_lock.toml")) return { layout: "prisma" };
  if (fs.existsSync(path.join(absDir, "meta", "_journal.json"))) return { layout: "drizzle" };
  const flyway: string[] = [];
  const dash: string[] = [];
  const underscore: string[] = [];
  for (const e of entries) {
    if (!(e.isFile() || e.isSymbolicLink()) || !e.name.toLowerCase().endsWith(".sql")) continue;
    const style = nameStyle(e.name);
    if (style === "underscore") underscore.push(e.name);
    else if (style === "dash") dash.push(e.name);
    else if (style === "flyway") flyway.push(e.name);
  }
  const numbered: NameGroup = dash.length > 0 && dash.length >= underscore.length ? { layout: "plain", names: [...dash, ...underscore] } : { layout: "dbpipe", names: underscore };
  const flywayGroup: NameGroup = { layout: "flyway", names: flyway };
  if (flyway.length > numbered.names.length) return { layout: "flyway", majority: flywayGroup };
  if (numbered.names.length === 0) return { layout: "dbpipe" };
  if (flyway.length === numbered.names.length) return { layout: numbered.layout, mixed: [flywayGroup, numbered] };
  return { layout: numbered.layout, majority: numbered };
}

/** {@link detectLayout} of the folder `dir`; the dbpipe layout when it cannot be read. */
function detectLayoutOf(dir: string): LayoutDetection {
  try {
    return detectLayout(dir);
  } catch {
    return { layout: "dbpipe" };
  }
}

/** Why a folder whose names are as many for one layout as for another is refused, naming both groups. */
function mixedLayoutsProblem([a, b]: readonly [NameGroup, NameGroup]): string {
  const group = (g: NameGroup) => `${g.names.length} named for the ${g.layout} layout (${sampleNames(g.names, 3)})`;
  return (
    `mixes two layouts, as many files named for each: ${group(a)} and ${group(b)}, so neither can be told to be the odd ones out: ` +
    `rename one group as the other is named, or give the layout with --layout (or dbpipe:migrationsLayout) to read the folder as that one`
  );
}

/** Up to `most` of `names`, in order, then `…` for the rest. */
function sampleNames(names: readonly string[], most: number): string {
  const sorted = [...names].sort(naturalCompare);
  return sorted.length <= most ? sorted.join(", ") : `${sorted.slice(0, most).join(", ")}, …`;
}

/**
 * The version and name of a flat layout's file called `fileName`, or why it is not one: a name the
 * layout does not read (the odd one out, when the other files' names decided the layout), or one
 * it reads but refuses ({@link namingProblem}). In a folder of mixed layouts, each file is read as
 * the layout its name is written for (the folder is refused anyway; its files' other problems are
 * reported with that).
 */
function flatName(fileName: string, detection: FlatDetection): { version: string; name: string } | string {
  const mixedStyle = detection.mixed && nameStyle(fileName);
  const layout = mixedStyle ? STYLE_LAYOUT[mixedStyle] : detection.layout;
  const m = FLAT_NAME[layout].exec(fileName);
  if (m) return namingProblem(layout, fileName, m[1], m[2]) ?? { version: m[1], name: m[2] };
  const style = nameStyle(fileName);
  if (detection.majority && style && !styleFits(style, layout)) return oddOneOutProblem(fileName, style, detection.majority);
  return nameProblem(layout);
}

/** Why a file named for another layout than the folder's other files is refused, with the name it would have among them. */
function oddOneOutProblem(fileName: string, style: NameStyle, majority: NameGroup): string {
  const others = [...majority.names].sort(naturalCompare);
  const shown = others.length <= 2 ? others.join(" and ") : `${others[0]} … ${others[others.length - 1]}`;
  const renamed = renamedFor(fileName, majority);
  return (
    `is named for the ${STYLE_LAYOUT[style]} layout, but the folder's ${others.length === 1 ? "other migration" : `${others.length} other migrations`} (${shown}) ${others.length === 1 ? "is" : "are"} named for the ${majority.layout} layout, which the folder is read as: ` +
    `rename it ${renamed ?? `as ${majority.layout} names are (${expectedName(majority.layout)})`}` +
    (style === "dash" && majority.layout === "dbpipe" ? ", or, if the folder is meant as the plain layout (which takes - and _ alike), give --layout plain (or dbpipe:migrationsLayout: plain)" : "")
  );
}

/** `fileName` (a flat layout's name) as the files of `group` are named: same version, same name; undefined when its version is not a whole number. */
function renamedFor(fileName: string, group: NameGroup): string | undefined {
  const m = /^V(\d+)__(.+)(\.sql)$/i.exec(fileName) ?? /^(\d+)[-_](.+)(\.sql)$/i.exec(fileName);
  if (!m) return undefined;
  const [, digits, name, extension] = m;
  // As wide as the group's versions when they all are (0008 beside 0001…0004); timestamps are left as they are.
  const widths = new Set(group.names.map((n) => /\d+/.exec(n)?.[0].length ?? 0));
  const width = widths.size === 1 ? [...widths][0] : 0;
  const version = (group.layout === "flyway" ? BigInt(digits).toString() : digits).padStart(width < 12 ? width : 0, "0");
  return group.layout === "flyway" ? `V${version}__${name}${extension}` : `${version}${group.layout === "plain" ? "-" : "_"}${name}${extension}`;
}

interface Candidate {
  path: string;
  version: string;
  name: string;
}

function flatCandidates(absDir: string, entries: fs.Dirent[], detection: FlatDetection, base: string, problems: FileProblem[]): Candidate[] {
  const out: Candidate[] = [];
  const { layout } = detection;
  const layouts = detection.mixed ? detection.mixed.map((g) => g.layout) : [layout];
  const namedLikeMigration = (n: string) => layouts.some((l) => FLAT_NAME[l].test(n));
  for (const entry of entries) {
    if (entry.isDirectory() && PRISMA_FOLDER.test(entry.name) && !entry.name.toLowerCase().endsWith(".sql")) {
      // A folder named like a Prisma migration is never read in a flat layout: say so rather than skip it.
      const folder = path.join(absDir, entry.name);
      problems.push({
        file: display(folder, base),
        message:
          prismaMigrationFile(folder) === undefined
            ? "is a folder named like a Prisma migration (<timestamp>_<name>/) but holds no migration.sql, so it is not a migration: add its migration.sql, or remove the folder"
            : `is a Prisma migration folder in a folder read as the ${layout} layout, where it never runs: give the layout with --layout prisma (or dbpipe:migrationsLayout), or move its SQL into a ${layout} file`,
      });
      continue;
    }
    if (entry.isDirectory() && !entry.name.startsWith(".") && !entry.name.toLowerCase().endsWith(".sql")) {
      // dbpipe reads the files directly in the folder; migrations in a subfolder would never run.
      const folder = path.join(absDir, entry.name);
      const nested = nestedMigrationFiles(folder, namedLikeMigration);
      if (nested.length > 0) {
        problems.push({
          file: display(folder, base),
          message: `holds ${nested.length === 1 ? "a file" : `${nested.length} files`} named like ${layout} migrations (${display(nested[0], base)}${nested.length > 1 ? ", …" : ""}), which never run${nested.length === 1 ? "s" : ""}: dbpipe reads only the files directly in ${display(absDir, base)}. Move ${nested.length === 1 ? "it" : "them"} up into that folder, or the folder out of it`,
        });
      }
      continue;
    }
    if (entry.name.startsWith(".") || !entry.name.toLowerCase().endsWith(".sql")) continue;
    const full = path.join(absDir, entry.name);
    const kind = fileKindProblem(full, entry);
    if (kind) {
      problems.push({ file: display(full, base), message: kind });
      continue;
    }
    const named = flatName(entry.name, detection);
    if (typeof named === "string") {
      problems.push({ file: display(full, base), message: named });
      continue;
    }
    out.push({ path: full, ...named });
  }
  return out;
}

/** Most folders {@link nestedMigrationFiles} looks into below one subfolder: a bound on what a stray tree (a checkout, node_modules) costs. */
const NESTED_FOLDER_LIMIT = 200;

/**
 * The files under `folder` (its subfolders too, not through links or hidden folders) whose names
 * match `name`: migrations a flat layout would skip, since it reads only the folder's own files.
 */
function nestedMigrationFiles(folder: string, isMigrationName: (name: string) => boolean): string[] {
  const found: string[] = [];
  const queue = [folder];
  for (let seen = 0; queue.length > 0 && seen < NESTED_FOLDER_LIMIT; seen++) {
    const current = queue.shift() as string;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entry.name.startsWith(".")) continue;
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) queue.push(full);
      else if (isMigrationName(entry.name)) found.push(full);
    }
  }
  return found;
}

/** Why an entry named like a migration is not a readable plain file, or undefined when it is one. */
function fileKindProblem(full: string, entry: fs.Dirent): string | undefined {
  if (entry.isFile()) return undefined;
  const looked = look(full);
  return "problem" in looked ? looked.problem : notAPlainFile(looked.stat, entry.isSymbolicLink());
}

/** What is at a path, links followed; or why nothing usable is: a broken or looping link, no entry, an error. */
function look(full: string): { stat: fs.Stats } | { problem: string; missing?: true } {
  try {
    return { stat: fs.statSync(full) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP") return { problem: "is a symbolic link that loops back on itself: fix or remove the link" };
    if (code !== "ENOENT") return { problem: `cannot be read (${code ?? (error as Error).message})` };
    if (fs.lstatSync(full, { throwIfNoEntry: false })?.isSymbolicLink()) return { problem: `is a symbolic link to ${fs.readlinkSync(full)}, which does not exist: fix or remove the link` };
    return { problem: "no such file", missing: true };
  }
}

/** Why `absDir`, which could not be read as a folder (`error`), is not a folder of migrations. */
function notAFolder(absDir: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOTDIR") {
    const stat = fs.statSync(absDir, { throwIfNoEntry: false });
    const viaLink = fs.lstatSync(absDir, { throwIfNoEntry: false })?.isSymbolicLink() ?? false;
    return `${isWhat(viaLink)}${!stat || stat.isFile() ? "a file" : specialFileKind(stat)}, not a folder of migrations`;
  }
  // A symbolic link that loops or leads nowhere is said to be one, as for a file.
  const looked = look(absDir);
  if ("problem" in looked && !looked.missing) return looked.problem;
  if (code === "ENOENT") return "no such folder: create it, or point dbpipe at your migrations (dbpipe:migrationsDir in the stack file, or --dir)";
  return `cannot read the folder (${code ?? (error as Error).message})`;
}

/** Why `stat` (reached through a symbolic link when `viaLink`) is not a plain file, or undefined when it is one. */
function notAPlainFile(stat: fs.Stats, viaLink: boolean): string | undefined {
  if (stat.isFile()) return undefined;
  if (stat.isDirectory()) return `${isWhat(viaLink)}a folder, not a migration file: rename or move it`;
  return `${isWhat(viaLink)}${specialFileKind(stat)}, not a plain file: a migration must be a plain file`;
}

/** How a problem's sentence starts for a path reached through a symbolic link (`viaLink`) or not. */
function isWhat(viaLink: boolean): string {
  return viaLink ? "is a symbolic link to " : "is ";
}

/** What `stat` is, when it is neither a plain file nor a folder. */
function specialFileKind(stat: fs.Stats): string {
  return stat.isFIFO() ? "a named pipe" : stat.isSocket() ? "a socket" : "a device";
}

function prismaCandidates(absDir: string, entries: fs.Dirent[], base: string, problems: FileProblem[]): Candidate[] {
  const out: Candidate[] = [];
  const visible = entries.filter((e) => !e.name.startsWith("."));
  if (!visible.some((e) => e.isDirectory()) && visible.some((e) => e.name.toLowerCase().endsWith(".sql"))) {
    // A flat folder read as Prisma's: one problem for the layout, not one per file.
    problems.push({
      file: display(absDir, base),
      message:
        "is read as the prisma layout (--layout, or dbpipe:migrationsLayout), but holds .sql files and no Prisma migration folder (<timestamp>_<name>/migration.sql): give its real layout (dbpipe, plain, drizzle or flyway), or leave the layout out to have it detected",
    });
    return out;
  }
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
    const naming = namingProblem("prisma", entry.name, m[1], m[2]);
    if (naming) {
      problems.push({ file: display(folder, base), message: naming });
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

/** What a migration of `layout` is named, with an example. */
function expectedName(layout: MigrationLayout): string {
  return layout === "plain"
    ? "<version>-<name>.sql, e.g. 001-create-products-table.sql"
    : layout === "drizzle"
      ? "NNNN_<name>.sql, e.g. 0000_create_products.sql"
      : layout === "flyway"
        ? "V<version>__<description>.sql, e.g. V1__create_products.sql (whole-number versions; repeatable R__ and undo U files are not supported)"
        : layout === "prisma"
          ? "<timestamp>_<name>/migration.sql, e.g. 20240101120000_create_products/migration.sql"
          : "<version>_<name>.sql, e.g. 0001_create_products.sql or 20251106123000_create_products.sql";
}

function nameProblem(layout: MigrationLayout): string {
  return `name does not parse as a migration: expected ${expectedName(layout)} (the version is digits)`;
}

/**
 * Why a name `layout` reads is refused, or undefined: a control character (a tab, a line break) in
 * any layout; whitespace in the dbpipe and plain layouts, whose names are written for shells and
 * scripts (and `dbpipe diff --name` takes letters, digits and _). Flyway documents spaces between
 * the words of a description (`V2__Add a new table.sql`), and Drizzle's and Prisma's names are
 * their tools': those are read as they are.
 */
function namingProblem(layout: MigrationLayout, fileName: string, version: string, name: string): string | undefined {
  if (!/[\s\p{Cc}]/u.test(name)) return undefined;
  const control = /\p{Cc}/u.exec(name);
  if (control) return `name holds a control character (U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}), which a migration's name cannot: rename the file`;
  if (layout !== "dbpipe" && layout !== "plain") return undefined;
  const separator = fileName.charAt(version.length) === "-" ? "-" : "_";
  const renamed = `${version}${fileName.charAt(version.length)}${name.trim().replace(/\s+/gu, separator)}${fileName.slice(version.length + 1 + name.length)}`;
  return `name "${name}" holds whitespace, which ${layout} names do not (a file name with a space needs quoting in every shell and script, and the history records the name as it is): rename it ${renamed}`;
}

/** Line endings normalised to LF, a leading byte-order mark removed. */
export function normaliseText(text: string): string {
  return text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
}

/** The checksum of a migration's content: sha256 of the text with line endings normalised. */
export function checksumOf(text: string): string {
  return checksumOfNormalised(normaliseText(text));
}

/** {@link checksumOf} of a text already through {@link normaliseText}. */
function checksumOfNormalised(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
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
  // Node's own check first (native, ~100× faster); the scan only to say where a bad byte is.
  const bad = isUtf8(raw) ? -1 : firstInvalidUtf8(raw);
  if (bad !== -1) {
    problems.push({ file, ...positionOf(raw, bad), message: `is not valid UTF-8 (byte 0x${raw[bad].toString(16).padStart(2, "0")} at byte ${bad + 1}): save it as UTF-8` });
    return undefined;
  }
  const nul = raw.indexOf(0);
  if (nul !== -1) {
    problems.push({ file, ...positionOf(raw, nul), message: "holds a NUL byte, which PostgreSQL cannot take in SQL text: remove it" });
    return undefined;
  }
  const decoded = raw.toString("utf8");
  const text = normaliseText(decoded);
  let downLine: number | undefined;
  let noTransaction = false;
  const directives = scanDirectives(text);
  for (const d of directives) {
    const where = { file, line: d.line };
    if (d.kind === "near-miss") {
      problems.push({ ...where, message: d.message });
      continue;
    }
    if (d.name === "allow") continue;
    if (d.name === "down") {
      if (d.rest.trim() !== "") problems.push({ ...where, message: "-- dbpipe:down takes nothing after it" });
      else if (downLine !== undefined) problems.push({ ...where, message: `a second -- dbpipe:down (the first is on line ${downLine})` });
      else downLine = d.line;
    } else if (d.name === "no-transaction") {
      if (d.rest.trim() !== "") problems.push({ ...where, message: "-- dbpipe:no-transaction takes nothing after it" });
      noTransaction = true;
    }
  }

  const lines = downLine === undefined ? [] : text.split("\n");
  const upText = downLine === undefined ? text : lines.slice(0, downLine - 1).join("\n");
  const up: SqlSection = { text: upText, line: 1 };
  const down: SqlSection | undefined = downLine === undefined ? undefined : { text: lines.slice(downLine).join("\n"), line: downLine + 1 };
  const upHasSql = hasSql(up.text);
  // The linter reads the up part's acknowledgements: a malformed one is refused here, with the
  // file's other problems and every other file's, rather than when linting reaches it.
  for (const d of directives) {
    if (d.kind !== "directive" || d.name !== "allow" || (downLine !== undefined && d.line > downLine)) continue;
    const read = readAllowDirective(d.rest);
    if (read.problem !== undefined) problems.push({ file, line: d.line, column: d.column, message: read.problem });
    else if (!d.followed && upHasSql) problems.push({ file, line: d.line, column: d.column, message: DANGLING_DIRECTIVE });
  }
  if (!upHasSql) {
    problems.push({ file, message: downLine === undefined ? "is empty: a migration needs at least one statement" : "has no SQL before -- dbpipe:down" });
    return undefined;
  }
  return {
    version: candidate.version,
    order: BigInt(candidate.version),
    name: candidate.name,
    file,
    path: candidate.path,
    checksum: checksumOfNormalised(text),
    up,
    down: down && hasSql(down.text) ? down : undefined,
    noTransaction,
  };
}

/** The offset of the first byte that is not part of valid UTF-8, or -1. */
export function firstInvalidUtf8(buf: Uint8Array): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** The 1-based line and column (in characters) of a byte offset of valid-up-to-there UTF-8. */
function positionOf(raw: Buffer, offset: number): { line: number; column: number } {
  const before = raw.subarray(0, offset).toString("utf8");
  const lineStart = before.lastIndexOf("\n") + 1;
  return { line: before.split("\n").length, column: [...before.slice(lineStart)].length + 1 };
}

/** True when `sql` holds anything but whitespace and comments. */
export function hasSql(sql: string): boolean {
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    // Any Unicode whitespace (\v, \f, no-break spaces...) counts as nothing, so a file of only
    // that is refused as empty by every command alike.
    if (c === ";" || c === " " || c === "\n" || c === "\t" || /\s/u.test(c)) i++;
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
  const entries = journal !== null && typeof journal === "object" && !Array.isArray(journal) ? journal.entries : undefined;
  if (!Array.isArray(entries) || entries.some((e) => e === null || typeof e !== "object" || typeof e.tag !== "string")) {
    problems.push({ file: shown, message: 'is not a Drizzle journal: expected { "entries": [{ "idx": 0, "tag": "0000_name", ... }, ...] } as drizzle-kit writes it' });
    return;
  }
  const tags = new Set(entries.map((e) => e.tag as string));
  const files = new Set(migrations.map((m) => `${m.version}_${m.name}`));
  for (const tag of tags) {
    if (!files.has(tag)) problems.push({ file: shown, message: `lists ${tag}, but there is no ${tag}.sql` });
  }
  for (const m of migrations) {
    if (!tags.has(`${m.version}_${m.name}`)) problems.push({ file: m.file, message: `is not in ${shown}: generate migrations with drizzle-kit, or add it to the journal` });
  }
}

/** An absolute POSIX path with no empty, `.` or `..` segment and no trailing slash: already what path.resolve gives. */
const PLAIN_ABSOLUTE = /^(?:\/(?!\.\.?(?:\/|$))[^/]+)+$/;

/** A path as users should see it: relative to `base` when inside it. */
export function display(file: string, base: string): string {
  // A file under the base, both absolute and normalised (what loadMigrations passes, once per
  // file): the rest of its path, without path.relative's two resolves.
  if (path.sep === "/" && file.length > base.length + 1 && file.charCodeAt(base.length) === 47 && file.startsWith(base) && PLAIN_ABSOLUTE.test(base) && PLAIN_ABSOLUTE.test(file)) {
    return file.slice(base.length + 1);
  }
  const rel = path.relative(base, file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
}
