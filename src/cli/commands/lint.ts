import * as fs from "node:fs";
import * as path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { InputError } from "../../errors";
import { EXIT } from "../exit-codes";
import type { Assessment } from "../../pipeline/assess";
import type { ParseErrorRecord } from "../../sql/lint";
import type { LintProblem, SarifOptions } from "../format/sarif";
import { defaultJobs } from "../../sql/lanes";
import { SqlSyntaxError } from "../../sql/parse";
import type { RegisterCommand } from "../command-io";
import { type ProjectFlags, addProjectOptions, openProject } from "../project";

/** The output formats of `dbpipe lint`. */
export const LINT_FORMATS = ["text", "json", "markdown", "sarif"] as const;

interface LintFlags extends ProjectFlags {
  format: (typeof LINT_FORMATS)[number];
  jobs?: number;
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
    .option("--jobs <n>", "threads to lint with (default: one per core, at most 8, on 4 cores or more; else 1); with 1, on 2 cores or more, a second thread parses the SQL ahead", parseJobs)
    .option("--no-cache", "lint every file afresh instead of reusing the results of unchanged ones (.dbpipe/cache/lint.json)");
  addProjectOptions(command);
  command.action(
    io.run(async (paths: string[], flags: LintFlags) => {
      const project = openProject(flags);
      const jobs = flags.jobs ?? defaultJobs();
      const cacheFile = flags.cache ? path.join(project.dir, ".dbpipe", "cache", "lint.json") : undefined;
      // Every file to parse (no cache to spare that): the parser's thread starts while the linter loads.
      if (!(cacheFile && fs.existsSync(cacheFile))) (await import("../../sql/parse-ahead.js")).prestartParseAhead(jobs);
      const [{ assess }, { parseErrorOf }, { formatJson }, { formatMarkdown }, { formatSarif, formatSarifProblem }, { formatText }] = await Promise.all([
        import("../../pipeline/assess.js"),
        import("../../sql/lint.js"),
        import("../format/json.js"),
        import("../format/markdown.js"),
        import("../format/sarif.js"),
        import("../format/text.js"),
      ]);
      let assessment: Assessment;
      try {
        assessment = await assess({
          settings: project.settings,
          paths: paths.length > 0 ? paths : [project.migrationsDir],
          layout: project.layout,
          databaseUrl: flags.databaseUrl,
          cacheFile,
          jobs,
          keepParseErrors: true,
        });
      } catch (error) {
        // A CI step that uploads the SARIF file, or reads the JSON, gets a document saying what is
        // wrong, not an empty file; the message still goes to stderr and the exit code stays 2.
        if (error instanceof InputError && (flags.format === "json" || flags.format === "sarif")) {
          const problem = inputProblem(error);
          io.output.json(flags.format === "json" ? { error: problem, verdict: { allowed: false, reasons: [problem.message] }, migrations: [] } : formatSarifProblem(problem, sarifOptions(project.dir)));
        }
        throw error;
      }
      const { linted } = assessment;
      const { output } = io;
      // A file that does not parse is reported beside the others' findings, and the run exits 2.
      const unparsable = linted.filter((m) => m.parseError).map((m) => parseErrorOf(m.parseError as ParseErrorRecord));
      const verdict = unparsable.length === 0 ? assessment.verdict : { ...assessment.verdict, allowed: false, reasons: [...unparsable.map(syntaxProblemText), ...assessment.verdict.reasons] };
      // Each such file is also named on stderr, as every refusal with exit 2 is; the text report
      // already shows its snippet, a report in another format (to a file, read by a tool) does not.
      for (const error of unparsable) output.error(`${output.errorStyle.red("error:")} ${flags.format === "text" ? syntaxProblemText(error) : error.message}`);
      switch (flags.format) {
        case "json":
          output.json({ ...formatJson(linted, verdict), ...(unparsable.length > 0 ? { errors: unparsable.map(inputProblem) } : {}) });
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
    }),
  );
  program.addCommand(command);
};

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
    return { message: syntaxProblemText(error), file: path.resolve(error.file), line: error.line, column: error.column };
  }
  return { message: error.message };
}

/** A syntax error on one line: `file:line:column: message`. */
function syntaxProblemText(error: SqlSyntaxError): string {
  return `${error.file}:${error.line}:${error.column}: ${error.parserMessage}`;
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
