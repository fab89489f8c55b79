import type { Verdict } from "../../risk/verdict";
import type { RiskLevel } from "../../settings/tiers";
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
  const results = migrations.flatMap((m) =>
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
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "dbpipe",
            version: options.version,
            rules: RULES.map((r) => ({
              id: r.id,
              name: r.id.replace(/(^|-)([a-z0-9])/g, (_m, _dash: string, c: string) => c.toUpperCase()),
              shortDescription: { text: r.summary },
              fullDescription: { text: r.why },
              help: { text: `Instead: ${r.instead}`, markdown: `**Why it hurts:** ${r.why}\n\n**Instead:** ${r.instead}\n\nSee docs/rules/${r.id}.md.` },
              defaultConfiguration: { level: LEVEL[r.severity] },
              properties: { tags: ["postgresql", "migration", r.severity], severity: r.severity },
            })),
          },
        },
        columnKind: "utf16CodeUnits",
        results,
      },
    ],
  };
}
