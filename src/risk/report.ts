import type { RiskLevel } from "../risk-level";
import type { Tier } from "../settings/tiers";
import type { Finding, LintedMigration } from "../sql/lint";
import type { ApprovalState, Verdict } from "./verdict";

/**
 * The machine-readable risk report: what `dbpipe lint --format json` prints and what `dbpipe plan
 * --json` carries, built in one place so the two cannot disagree. The shape is a contract
 * (documented in the issue on risk classification): add fields, never rename or remove them.
 */

/** A finding as the report shows it. */
export interface ReportFinding {
  /** Rule id. */
  rule: string;
  /** Severity after overrides and the data-aware pass. */
  severity: RiskLevel;
  /** 1-based line in the file. */
  line: number;
  /** 1-based column in the file. */
  column: number;
  /** What is wrong. */
  message: string;
  /** The safe alternative. */
  hint: string;
  /** True when acknowledged in the file with `-- dbpipe:allow`. */
  acknowledged: boolean;
  /** The acknowledgement's reason. */
  acknowledgedReason?: string;
  /** The table it is about. */
  table?: string;
  /** The table's estimated rows, when a database was asked. */
  tableRows?: number;
}

/** A migration as the report shows it. */
export interface ReportMigration {
  /** Version: what `dbpipe:approvals` names. */
  version: string;
  /** Name after the version. */
  name: string;
  /** The file, relative to where dbpipe ran. */
  file: string;
  /** sha256 of the file: what `dbpipe:approvals` must match. */
  checksum: string;
  /**
   * Highest non-acknowledged finding; `low` when none. `null` when it was not assessed: its SQL
   * does not parse, or dbpipe cannot run it as written (`dbpipe lint` only: it names the file's
   * problem in `errors`; `plan` refuses such a file before it reports).
   */
  risk: RiskLevel | null;
  /** Whether the stack needs a backup before it runs. */
  backupRequired: boolean;
  /** Where it stands with respect to approval. */
  approval: ApprovalState;
  /** Its findings, in file order. */
  findings: ReportFinding[];
}

/** The verdict as the report shows it. */
export interface ReportVerdict {
  /** True when the stack may run every migration in the report. */
  allowed: boolean;
  /** Why not, one paragraph per blocked migration (each says how to approve it). */
  reasons: string[];
  /** Highest risk in the report. */
  risk: RiskLevel;
  /** Whether a backup is required first. */
  backupRequired: boolean;
  /** Why, when it is. */
  backupReason?: string;
  /** The blocked migrations: version, checksum, rules, and the YAML that approves each. */
  blocked: { version: string; checksum: string; rules: string[]; approval: "missing" | "stale"; howToApprove: string }[];
}

/** The risk report. */
export interface RiskReport {
  /** The stack judged. */
  stack: string;
  /** Its tier. */
  tier: Tier;
  /** The migrations, in version order. */
  migrations: ReportMigration[];
  /** The stack's verdict on them. */
  verdict: ReportVerdict;
}

/** Builds the report of `migrations` under `verdict` (computed on the same migrations). */
export function buildRiskReport(migrations: readonly LintedMigration[], verdict: Verdict): RiskReport {
  const decisions = new Map(verdict.migrations.map((d) => [d.version, d]));
  return {
    stack: verdict.stack,
    tier: verdict.tier,
    migrations: migrations.map((m) => ({
      version: m.version,
      name: m.name,
      file: m.file,
      checksum: m.checksum,
      // Not assessed: a file that does not parse has no findings, which must not read as low risk.
      risk: m.parseError ? null : m.risk,
      backupRequired: decisions.get(m.version)?.backupRequired ?? false,
      approval: decisions.get(m.version)?.approval ?? "not-needed",
      findings: m.findings.map(reportFinding),
    })),
    verdict: {
      allowed: verdict.allowed,
      reasons: verdict.reasons,
      risk: verdict.risk,
      backupRequired: verdict.backupRequired,
      ...(verdict.backupReason ? { backupReason: verdict.backupReason } : {}),
      blocked: verdict.blocked.map((b) => ({ version: b.version, checksum: b.checksum, rules: b.rules, approval: b.approval, howToApprove: b.howToApprove })),
    },
  };
}

function reportFinding(f: Finding): ReportFinding {
  return {
    rule: f.rule,
    severity: f.severity,
    line: f.line,
    column: f.column,
    message: f.message,
    hint: f.hint,
    acknowledged: f.acknowledged,
    ...(f.acknowledgedReason !== undefined ? { acknowledgedReason: f.acknowledgedReason } : {}),
    ...(f.table !== undefined ? { table: f.table } : {}),
    ...(f.tableRows !== undefined ? { tableRows: f.tableRows } : {}),
  };
}
