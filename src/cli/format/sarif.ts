import type { Verdict } from "../../risk/verdict";
import type { RiskLevel } from "../../risk-level";
import type { LintedMigration } from "../../sql/lint";
import { RULES } from "../../sql/rules";

/**
 * `--format sarif`: SARIF 2.1.0, the format GitHub code scanning reads, so findings show on the
 * pull request's diff. Levels: high is `error`, medium `warning`, low `note`; acknowledged findings
 * are reported as suppressed in source, with their reason.
 */

/** The SARIF 2.1.0 schema's address. */
export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

const LEVEL: Record<RiskLevel, "error" | "warning" | "note"> = { high: "error", medium: "warning", low: "note" };

/** Options of {@link formatSarif}. */
export interface SarifOptions {
  /** dbpipe's version, for the tool's driver. */
  version: string;
  /** A migration's URI relative to the repository root, from its absolute path (forward slashes). */
  uriOf(path: string): string;
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
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: options.uriOf(m.path), uriBaseId: "%SRCROOT%" },
                  region: { startLine: m.parseError.line, startColumn: m.parseError.column },
                },
              },
            ],
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

/** A problem that stopped linting (SQL that does not parse, a file that does not load). */
export interface LintProblem {
  /** What is wrong, as the text output says it. */
  message: string;
  /** The file, absolute, when the problem has one. */
  file?: string;
  /** 1-based line and column, when known. */
  line?: number;
  column?: number;
}

/**
 * The SARIF log of a run that could not lint: the problem as an error result (so code scanning
 * shows it on the file) and as the invocation's notification, the invocation marked unsuccessful.
 */
export function formatSarifProblem(problem: LintProblem, options: SarifOptions): object {
  const locations = problem.file
    ? [
        {
          physicalLocation: {
            artifactLocation: { uri: options.uriOf(problem.file), uriBaseId: "%SRCROOT%" },
            ...(problem.line !== undefined ? { region: { startLine: problem.line, ...(problem.column !== undefined ? { startColumn: problem.column } : {}) } } : {}),
          },
        },
      ]
    : [];
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: { driver: driver(options, [INVALID_MIGRATION]) },
        invocations: [{ executionSuccessful: false, toolExecutionNotifications: [{ level: "error", message: { text: problem.message }, ...(locations.length ? { locations } : {}) }] }],
        columnKind: "utf16CodeUnits",
        results: [{ ruleId: INVALID_MIGRATION.id, ruleIndex: RULES.length, level: "error", message: { text: problem.message }, ...(locations.length ? { locations } : {}) }],
      },
    ],
  };
}

/** The descriptor of a problem that stopped linting; listed after the rules. */
const INVALID_MIGRATION = {
  id: "invalid-migration",
  name: "InvalidMigration",
  shortDescription: { text: "A migration file dbpipe cannot read, or SQL PostgreSQL's parser rejects." },
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
