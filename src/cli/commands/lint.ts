import * as fs from "node:fs";
import * as path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { EXIT, InputError } from "../../errors";
import { type MigrationLayoutSetting } from "../../settings/stack-settings";
import { loadMigrationFile, loadMigrations } from "../../migrate/files";
import type { Migration } from "../../migrate/migration";
import { computeVerdict } from "../../risk/verdict";
import { DEFAULT_LARGE_TABLE_ROWS, type LintOptions, type LintedMigration, applyTableSizes, lintOptionsFor } from "../../sql/lint";
import { LintCache } from "../../sql/lint-cache";
import { LintPool, PARALLEL_THRESHOLD, defaultJobs } from "../../sql/lint-parallel";
import { formatJson } from "../format/json";
import { formatMarkdown } from "../format/markdown";
import { type LintProblem, type SarifOptions, formatSarif, formatSarifProblem } from "../format/sarif";
import { SqlSyntaxError } from "../../sql/parse";
import { formatText } from "../format/text";
import type { RegisterCommand } from "../main";
import { type ProjectFlags, addProjectOptions, openProject } from "../project";

/** The output formats of `dbpipe lint`. */
export const LINT_FORMATS = ["text", "json", "markdown", "sarif"] as const;

interface LintFlags extends ProjectFlags {
  format: (typeof LINT_FORMATS)[number];
  jobs: number;
  cache: boolean;
}

/**
 * `dbpipe lint`: classifies every statement of the migrations with the PostgreSQL parser and
 * judges them with the stack's verdict, offline (no database unless --database-url asks for the
 * data-aware pass). For CI: exit 1 when the stack refuses, 2 for invalid input.
 */
export const register: RegisterCommand = (program, io) => {
  const command = new Command("lint")
    .description("classify each migration's risk and apply the stack's verdict, offline; exit 1 when the stack refuses")
    .argument("[paths...]", "migration folders or files (default: the stack's migrations folder)")
    .addOption(new Option("--format <format>", "output format").choices([...LINT_FORMATS]).default("text"))
    .option("--database-url <url>", "also look up table sizes there for the migrations it has not applied (data-aware pass); lint never connects otherwise")
    .option("--jobs <n>", "threads to lint with (default: one per core, at most 8, on 4 cores or more; else 1)", parseJobs, defaultJobs())
    .option("--no-cache", "lint every file afresh instead of reusing the results of unchanged ones (.dbpipe/cache/lint.json)");
  addProjectOptions(command);
  command.action(
    io.run(async (paths: string[], flags: LintFlags) => {
      const project = openProject(flags);
      const cacheFile = path.join(project.dir, ".dbpipe", "cache", "lint.json");
      const cache = flags.cache ? LintCache.open(cacheFile) : undefined;
      // Without a cache most files will be parsed: start the workers now, so their start-up
      // overlaps reading the files. With one, start them only if enough files changed.
      let pool = flags.cache && LintCache.exists(cacheFile) ? undefined : LintPool.start(flags.jobs);
      let linted: LintedMigration[] = [];
      try {
        const targets = paths.length > 0 ? paths : [project.migrationsDir];
        const { migrations, history } = readMigrations(targets, project.layout);
        const options: LintOptions = lintOptionsFor(project.settings, { history });
        const lint = (list: readonly Migration[], o: LintOptions) => {
          pool ??= LintPool.start(list.length >= PARALLEL_THRESHOLD ? flags.jobs : 1);
          return pool.lint(list, o);
        };
        linted = cache ? await cache.lint(migrations, options, lint) : await lint(migrations, options);
        cache?.save();
      } catch (error) {
        // A CI step that uploads the SARIF file, or reads the JSON, gets a document saying what is
        // wrong, not an empty file; the message still goes to stderr and the exit code stays 2.
        if (error instanceof InputError && (flags.format === "json" || flags.format === "sarif")) {
          const problem = inputProblem(error);
          io.output.json(flags.format === "json" ? { error: problem, verdict: { allowed: false, reasons: [problem.message] }, migrations: [] } : formatSarifProblem(problem, sarifOptions(project.dir)));
        }
        throw error;
      } finally {
        await pool?.close();
      }
      if (flags.databaseUrl) {
        await sizeTables(flags.databaseUrl, linted, project.settings.risk.largeTableRows ?? DEFAULT_LARGE_TABLE_ROWS);
      }
      const verdict = computeVerdict(linted, project.settings);
      const { output } = io;
      switch (flags.format) {
        case "json":
          output.json(formatJson(linted, verdict));
          break;
        case "sarif":
          output.json(formatSarif(linted, verdict, sarifOptions(project.dir)));
          break;
        case "markdown":
          output.line(formatMarkdown(linted, verdict));
          break;
        default:
          for (const line of formatText(linted, verdict, output.style)) output.line(line);
      }
      return verdict.allowed ? EXIT.ok : EXIT.refused;
    }),
  );
  program.addCommand(command);
};

/**
 * The migrations at `targets` (folders or files), each once, and the history a lone file needs:
 * the migrations before it in its folder, read for their schema facts (column types, defaults)
 * so that linting one changed file in CI judges it as linting the folder would.
 */
function readMigrations(targets: readonly string[], layout: MigrationLayoutSetting): { migrations: Migration[]; history: Migration[] } {
  const byPath = new Map<string, Migration>();
  const history = new Map<string, Migration>();
  for (const target of targets) {
    const stat = fs.statSync(target, { throwIfNoEntry: false });
    if (stat?.isDirectory() || !stat) {
      for (const m of loadMigrations(target, { layout }).migrations) byPath.set(m.path, m);
      continue;
    }
    const m = loadMigrationFile(target);
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
 * The data-aware pass against the database at `url`: table sizes for the migrations it has not
 * applied yet. An applied migration ran long ago, on the table as it was then; judging it by the
 * table's size today would refuse a history that nobody can change.
 */
async function sizeTables(url: string, linted: LintedMigration[], largeTableRows: number): Promise<void> {
  // Loaded here: lint without --database-url never needs a PostgreSQL client.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { withSession } = require("../../migrate/session") as typeof import("../../migrate/session");
  const { readHistory } = require("../../migrate/history") as typeof import("../../migrate/history");
  const { tableRowsLookup } = require("../../sql/table-sizes") as typeof import("../../sql/table-sizes");
  /* eslint-enable @typescript-eslint/no-require-imports */
  await withSession(url, async (client) => {
    const applied = new Set((await readHistory(client)).filter((row) => row.success).map((row) => BigInt(row.version)));
    const pending = linted.filter((m) => !applied.has(BigInt(m.version)));
    await applyTableSizes(pending, tableRowsLookup(client), largeTableRows);
  });
}

/** The repository's root (where `.git` is), for SARIF's relative URIs; the project folder outside a repository. */
function repositoryRoot(projectDir: string): string {
  for (let dir = projectDir; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, ".git"))) return dir;
    if (path.dirname(dir) === dir) return projectDir;
  }
}

/** An input error as the machine-readable formats report it. */
function inputProblem(error: InputError): LintProblem {
  if (error instanceof SqlSyntaxError) {
    return { message: `${error.file}:${error.line}:${error.column}: ${error.parserMessage}`, file: path.resolve(error.file), line: error.line, column: error.column };
  }
  return { message: error.message };
}

/** dbpipe's version, and URIs relative to the repository's root, as code scanning wants them. */
function sarifOptions(projectDir: string): SarifOptions {
  const root = repositoryRoot(projectDir);
  return { version: packageVersion(), uriOf: (file) => path.relative(root, file).split(path.sep).join("/") };
}

function parseJobs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError("must be a whole number from 1 to 64");
  return n;
}

function packageVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("../../../package.json") as { version: string }).version;
}
