import * as path from "node:path";
import type { Verdict } from "../../risk/verdict";
import type { RiskLevel } from "../../risk-level";
import type { LintedMigration } from "../../sql/lint";
import { RULES } from "../../sql/rules";
import type { LintFailure } from "./lint-problem";

/**
 * `--format sarif`: SARIF 2.1.0, the format GitHub code scanning reads, so findings show on the
 * pull request's diff. Levels: high is `error`, medium `warning`, low `note`; acknowledged findings
 * are reported as suppressed in source, with their reason.
 */

/** The SARIF 2.1.0 schema's address. */
export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

const LEVEL: Record<RiskLevel, "error" | "warning" | "note"> = { high: "error", medium: "warning", low: "note" };

/** Options of {@link formatSarif} and {@link formatSarifFailure}. */
export interface SarifOptions {
  /** dbpipe's version, for the tool's driver. */
  version: string;
  /** A file's URI relative to the repository root, from its absolute path (forward slashes). */
  uriOf(path: string): string;
  /** Whether an absolute path is a file code scanning can annotate (a folder is not). Default: every path is. */
  isFile?(path: string): boolean;
}

/** The SARIF log of `migrations`' findings. */
export function formatSarif(migrations: readonly LintedMigration[], _verdict: Verdict, options: SarifOptions): object {
  const ruleIndex = new Map(RULES.map((r, i) => [r.id, i]));
  // A file that does not parse: an error result on its line, under the invalid-migration descriptor.
  const unparsable = migrations.flatMap((m) =>
    m.parseError
      ? [
          {
            ruleId: INVALID_MIGRATION.id,
            ruleIndex: RULES.length,
            level: "error" as const,
            message: { text: `${m.parseError.file}:${m.parseError.line}:${m.parseError.column}: ${m.parseError.message}` },
            locations: [fileLocation(options.uriOf(m.path), m.parseError.line, m.parseError.column)],
            properties: { migration: m.version },
          },
        ]
      : [],
  );
  const findings = migrations.flatMap((m) =>
    m.findings.map((f) => ({
      ruleId: f.rule,
      ruleIndex: ruleIndex.get(f.rule),
      level: LEVEL[f.severity],
      message: { text: `${f.message} Instead: ${f.hint}` },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: options.uriOf(m.path), uriBaseId: "%SRCROOT%" },
            region: { startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: f.endColumn },
          },
        },
      ],
      ...(f.acknowledged ? { suppressions: [{ kind: "inSource", justification: f.acknowledgedReason ?? "" }] } : {}),
      properties: { severity: f.severity, migration: m.version, ...(f.table ? { table: f.table } : {}), ...(f.tableRows !== undefined ? { tableRows: f.tableRows } : {}) },
    })),
  );
  const results = [...unparsable, ...findings];
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: { driver: driver(options, unparsable.length > 0 ? [INVALID_MIGRATION] : []) },
        ...(unparsable.length > 0 ? { invocations: [{ executionSuccessful: false, toolExecutionNotifications: unparsable.map((r) => ({ level: "error", message: r.message, locations: r.locations })) }] } : {}),
        columnKind: "utf16CodeUnits",
        results,
      },
    ],
  };
}

/**
 * The SARIF log of a run that could not lint. The run is marked unsuccessful, each problem one of
 * its invocation's notifications (SARIF's way to say the results are not complete). Code scanning
 * reads none of that: it shows results, and refuses a log holding a result without a location. So
 * each problem in a file is also an error result there (a migration's under `invalid-migration`,
 * the stack file's under `invalid-stack-settings`), at its line and column, or at the top of the
 * file when it has none (a file name that is not a migration's); a problem with no file to point
 * at (a folder, a flag, the database) is a notification only.
 */
export function formatSarifFailure(failure: LintFailure, options: SarifOptions): object {
  const extra = [INVALID_MIGRATION, INVALID_STACK_SETTINGS];
  const isFile = options.isFile ?? (() => true);
  const located = failure.problems.map((p) => ({ problem: p, path: p.file !== undefined ? path.resolve(p.file) : undefined }));
  const results = located.flatMap(({ problem, path: file }) => {
    const descriptor = problem.about === "stack-settings" ? INVALID_STACK_SETTINGS : INVALID_MIGRATION;
    if (problem.about === "run" || file === undefined || !isFile(file)) return [];
    return [
      {
        ruleId: descriptor.id,
        ruleIndex: RULES.length + extra.indexOf(descriptor),
        level: "error" as const,
        message: { text: problem.message },
        locations: [fileLocation(options.uriOf(file), problem.line ?? 1, problem.column ?? 1)],
      },
    ];
  });
  const notifications = located.map(({ problem, path: file }) => ({
    level: "error",
    message: { text: problem.message },
    ...(file !== undefined ? { locations: [fileLocation(options.uriOf(file), problem.line, problem.column)] } : {}),
  }));
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: { driver: driver(options, extra) },
        invocations: [{ executionSuccessful: false, exitCode: failure.exitCode, toolExecutionNotifications: notifications }],
        columnKind: "utf16CodeUnits",
        results,
      },
    ],
  };
}

/** A location in a file (`uri` relative to the repository's root), at a line and column when given. */
function fileLocation(uri: string, line?: number, column?: number): object {
  const region = line !== undefined ? { region: { startLine: line, ...(column !== undefined ? { startColumn: column } : {}) } } : {};
  return { physicalLocation: { artifactLocation: { uri, uriBaseId: "%SRCROOT%" }, ...region } };
}

/** The descriptor of a migration dbpipe could not lint; listed after the rules. */
const INVALID_MIGRATION = {
  id: "invalid-migration",
  name: "InvalidMigration",
  shortDescription: { text: "A migration file dbpipe cannot read, or SQL PostgreSQL's parser rejects." },
  fullDescription: {
    text: "dbpipe could not lint this migration (a name that is not a migration's, a duplicate version, a file that is not UTF-8, a malformed -- dbpipe:allow, SQL that does not parse or cannot run as written), so its risk is unknown; dbpipe up refuses to run anything while it is there.",
  },
  help: { text: "Fix the file as the message says, then run dbpipe lint again.", markdown: "Fix the file as the message says, then run `dbpipe lint` again." },
  defaultConfiguration: { level: "error" as const },
};

/** The descriptor of a stack settings file dbpipe refuses; listed after invalid-migration. */
const INVALID_STACK_SETTINGS = {
  id: "invalid-stack-settings",
  name: "InvalidStackSettings",
  shortDescription: { text: "A stack settings file (Pulumi.<stack>.yaml) dbpipe refuses." },
  fullDescription: {
    text: "A key dbpipe does not know, or a value it refuses, in the stack's settings: nothing was linted, since the settings decide the rules, their severities and the verdict. The other dbpipe commands refuse the stack too until it is fixed.",
  },
  help: { text: "Fix the key as the message says (docs/settings.md lists every key), then run dbpipe lint again.", markdown: "Fix the key as the message says (`docs/settings.md` lists every key), then run `dbpipe lint` again." },
  defaultConfiguration: { level: "error" as const },
};

/** The tool's driver: dbpipe, its version, and every rule (then `extra` descriptors). */
function driver(options: SarifOptions, extra: readonly object[] = []): object {
  return {
    name: "dbpipe",
    version: options.version,
    rules: [
      ...RULES.map((r) => ({
        id: r.id,
        name: r.id.replace(/(^|-)([a-z0-9])/g, (_m, _dash: string, c: string) => c.toUpperCase()),
        shortDescription: { text: r.summary },
        fullDescription: { text: r.why },
        help: { text: `Instead: ${r.instead}`, markdown: `**Why it hurts:** ${r.why}\n\n**Instead:** ${r.instead}\n\nSee docs/rules/${r.id}.md.` },
        defaultConfiguration: { level: LEVEL[r.severity] },
        properties: { tags: ["postgresql", "migration", r.severity], severity: r.severity },
      })),
      ...extra,
    ],
  };
}
