import * as fs from "node:fs";
import * as path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { EXIT, type ExitCode, reportedError } from "../exit-codes";
import type { RegisterCommand } from "../command-io";
import { flagGiven, flagValue } from "../command-line";
import { type Output, printError } from "../output";
import { type LintFailure, type LintProblem, lintProblemsOf, parseProblem } from "../format/lint-problem";
import type { SarifOptions } from "../format/sarif";
import { type Project, type ProjectFlags, addProjectOptions, findProjectDir, givenDatabaseUrl, openProject } from "../project";
import { stackFilePath } from "../../settings/stack-file";
import { defaultJobs } from "../../sql/lanes";
import type { ParseErrorRecord } from "../../sql/lint";

/** The output formats of `dbpipe lint`. */
export const LINT_FORMATS = ["text", "json", "markdown", "sarif"] as const;

/** An output format of `dbpipe lint`. */
type LintFormat = (typeof LINT_FORMATS)[number];

interface LintFlags extends ProjectFlags {
  format: LintFormat;
  jobs?: number;
  cache: boolean;
}

/**
 * `dbpipe lint`: classifies every statement of the migrations with the PostgreSQL parser and
 * judges them with the stack's verdict, offline (no database unless --database-url asks for the
 * data-aware pass). For CI: exit 1 when the stack refuses, 2 for invalid input. `--format json`,
 * `sarif` and `markdown` print their document whatever happens: a run that stops before it could
 * lint (a stack file in error, migration files it refuses, a flag it does not know) prints one
 * that says why, so that a CI step reading stdout (or uploading it) never gets an empty file.
 */
export const register: RegisterCommand = (program, io) => {
  const command = new Command("lint")
    .description("classify each migration's risk and apply the stack's verdict, offline; exit 1 when the stack refuses")
    .argument("[paths...]", "migration folders or files (default: the stack's migrations folder)")
    .addOption(new Option("--format <format>", "output format").choices([...LINT_FORMATS]).default("text"))
    .option("--database-url <url>", "also look up table sizes there for the migrations it has not applied (data-aware pass); lint never connects otherwise")
    .option("--jobs <n>", "threads to lint with (default: one per core, at most 8, on 4 cores or more; else 1); with 1, on 2 cores or more, a second thread parses the SQL ahead", parseJobs)
    .option("--no-cache", "lint every file afresh instead of reusing the results of unchanged ones (.dbpipe/cache/lint.json)");
  addProjectOptions(command);
  command.action(
    io.run(async (paths: string[], flags: LintFlags) => {
      let project: Project | undefined;
      try {
        project = openProject(flags);
        return await lint(project, paths, flags, io.output);
      } catch (error) {
        // The message still goes to stderr (main reports it) and the exit code stays; stdout gets
        // the format's document of the failure.
        const { message, exitCode } = reportedError(error, givenDatabaseUrl(flags));
        const dir = project?.dir ?? findProjectDir();
        const problems = lintProblemsOf(error, { stackFile: stackFilePath(dir, flags.stack) });
        await printFailure({ stack: flags.stack, tier: project?.settings.tier, message, exitCode, problems }, flags.format, dir, io.output);
        throw error;
      }
    }),
  );
  // A command line commander refuses (`--jobs 0`, a flag it does not know) gets the document of
  // the format it asks for too: the CI recipe's `> dbpipe.sarif` still uploads a valid log.
  io.reportRefusedCommandLine(command, ({ argv, message, exitCode }, output) => {
    const asked = flagValue(argv, "--format") ?? (flagGiven(argv, "--json") ? "json" : undefined);
    const format = LINT_FORMATS.find((f) => f === asked);
    if (!format) return;
    const failure: LintFailure = { stack: flagValue(argv, "--stack") ?? "dev", message, exitCode, problems: [{ message, about: "run" }] };
    return printFailure(failure, format, findProjectDir(), output);
  });
  program.addCommand(command);
};

/** Lints the project's migrations (or `paths`) and prints the report in `flags.format`; returns the exit code. */
async function lint(project: Project, paths: string[], flags: LintFlags, output: Output): Promise<ExitCode> {
  const jobs = flags.jobs ?? defaultJobs();
  const cacheFile = flags.cache ? path.join(project.dir, ".dbpipe", "cache", "lint.json") : undefined;
  // Every file to parse (no cache to spare that): the parser's thread starts while the linter loads.
  if (!(cacheFile && fs.existsSync(cacheFile))) (await import("../../sql/parse-ahead.js")).prestartParseAhead(jobs);
  const [{ assess }, { parseErrorOf }, { formatJson }, { formatMarkdown }, { formatSarif }, { formatText }] = await Promise.all([
    import("../../pipeline/assess.js"),
    import("../../sql/lint.js"),
    import("../format/json.js"),
    import("../format/markdown.js"),
    import("../format/sarif.js"),
    import("../format/text.js"),
  ]);
  const assessment = await assess({
    settings: project.settings,
    paths: paths.length > 0 ? paths : [project.migrationsDir],
    layout: project.layout,
    databaseUrl: flags.databaseUrl,
    cacheFile,
    jobs,
    keepParseErrors: true,
  });
  const { linted } = assessment;
  // A file that does not parse is reported beside the others' findings, and the run exits 2.
  const failed = linted.flatMap((m) => (m.parseError ? [m.parseError] : []));
  const unparsable = failed.map(parseProblem);
  const verdict = unparsable.length === 0 ? assessment.verdict : { ...assessment.verdict, allowed: false, reasons: [...unparsable.map((p) => p.message), ...assessment.verdict.reasons] };
  // Each such file is also named on stderr, as every refusal with exit 2 is; the text report
  // already shows its snippet, a report in another format (to a file, read by a tool) does not.
  for (const [i, record] of failed.entries()) printError(output, flags.format === "text" ? unparsable[i].message : parseErrorOf(record).message);
  switch (flags.format) {
    case "json":
      output.json(formatJson(linted, verdict, unparsable.length > 0 ? { message: unparsableMessage(failed, unparsable), exitCode: EXIT.invalidInput, problems: unparsable } : undefined));
      break;
    case "sarif":
      output.json(formatSarif(linted, verdict, sarifOptions(project.dir)));
      break;
    case "markdown":
      output.line(formatMarkdown(linted, verdict));
      break;
    default:
      output.lines(formatText(linted, verdict, output.style));
  }
  if (unparsable.length > 0) return EXIT.invalidInput;
  return verdict.allowed ? EXIT.ok : EXIT.refused;
}

/** Prints the document of a run that stopped before it could lint, in `format` (text: nothing, stderr says it all). */
async function printFailure(failure: LintFailure, format: LintFormat, projectDir: string, output: Output): Promise<void> {
  switch (format) {
    case "json":
      output.json((await import("../format/json.js")).formatJsonFailure(failure));
      break;
    case "sarif":
      output.json((await import("../format/sarif.js")).formatSarifFailure(failure, sarifOptions(projectDir)));
      break;
    case "markdown":
      output.line((await import("../format/markdown.js")).formatMarkdownFailure(failure));
      break;
    default:
    // text: stderr says it all.
  }
}

/** The error of a run where files do not parse (or cannot run, `failed`, each as the problem `problems` holds): the one file's problem, or how many and each. */
function unparsableMessage(failed: readonly ParseErrorRecord[], problems: readonly LintProblem[]): string {
  if (failed.length === 1) return problems[0].message;
  const what = failed.every((r) => !r.cannotRun) ? "do not parse" : failed.every((r) => r.cannotRun) ? "cannot run as written" : "do not parse or cannot run as written";
  return [`${failed.length} migrations ${what}:`, ...problems.map((p) => `  ${p.message}`)].join("\n");
}

/** The repository's root (where `.git` is), for SARIF's relative URIs; the project folder outside a repository. */
function repositoryRoot(projectDir: string): string {
  for (let dir = projectDir; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, ".git"))) return dir;
    if (path.dirname(dir) === dir) return projectDir;
  }
}

/** dbpipe's version, and URIs relative to the repository's root, as code scanning wants them. */
function sarifOptions(projectDir: string): SarifOptions {
  const root = repositoryRoot(projectDir);
  return {
    version: packageVersion(),
    uriOf: (file) => path.relative(root, file).split(path.sep).join("/"),
    isFile: (file) => fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false,
  };
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
