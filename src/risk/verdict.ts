import type { Approval, StackSettings } from "../settings/stack-settings";
import { type RiskLevel, maxRisk, reaches, thresholdWords } from "../risk-level";
import type { Tier } from "../settings/tiers";
import type { Finding, LintedMigration } from "../sql/lint";

/**
 * The verdict: whether a stack may run a set of linted migrations, computed in one place for
 * every front end (`dbpipe plan`, `up`, `lint`, the policy pack, the MigrationSet resource). The
 * thresholds come from the stack's settings (`dbpipe:backupBefore`, `dbpipe:requireApprovalAt`,
 * whose defaults depend on the tier), never from the tier's name here:
 *
 * - a migration whose risk reaches `backupBefore` needs a pre-migration backup;
 * - a migration whose risk reaches `requireApprovalAt` is refused unless `dbpipe:approvals` lists
 *   its version with its current checksum (editing the file voids the approval).
 *
 * An in-file acknowledgement (`-- dbpipe:allow`) lowers the migration's reported risk, but it is
 * the author's word, written in the pull request it excuses: it cannot stand in for the approval
 * of whoever owns the stack file, nor waive the backup. Both thresholds are checked against the
 * migration's highest finding, acknowledged or not.
 */

/** The settings the verdict reads: the stack's name and tier, where its settings live, and its risk settings. */
export type VerdictSettings = Pick<StackSettings, "stack" | "tier" | "risk">;

/** Where a migration stands with respect to approval. */
export type ApprovalState =
  /** Its risk is below the stack's approval threshold. */
  | "not-needed"
  /** `dbpipe:approvals` lists its version with its current checksum. */
  | "approved"
  /** It needs an approval and has none. */
  | "missing"
  /** An approval lists its version with another checksum: the file changed since, so it is void. */
  | "stale";

/** The verdict on one migration. */
export interface MigrationDecision {
  /** The migration's version. */
  version: string;
  /** Its risk. */
  risk: RiskLevel;
  /** True when its risk reaches the stack's `backupBefore`. */
  backupRequired: boolean;
  /** Its approval state. */
  approval: ApprovalState;
  /** The approval that lets it run, when approved. */
  approvedBy?: Approval;
}

/** A migration the stack refuses, with what blocks it and how to approve it. */
export interface BlockedMigration {
  /** Version, as `dbpipe:approvals` must name it. */
  version: string;
  /** Name after the version. */
  name: string;
  /** The file, as users see it. */
  file: string;
  /** The file's current checksum, as `dbpipe:approvals` must name it. */
  checksum: string;
  /** Its risk. */
  risk: RiskLevel;
  /** The rules whose findings reach the approval threshold. */
  rules: string[];
  /** Those findings. */
  findings: Finding[];
  /** `missing`, or `stale` when an approval exists for an earlier version of the file. */
  approval: "missing" | "stale";
  /** The checksum the stale approval names. */
  approvedChecksum?: string;
  /** The YAML to add to `Pulumi.<stack>.yaml` to approve it. */
  howToApprove: string;
}

/** Whether a stack may run a set of migrations, and what it must do first. */
export interface Verdict {
  /** The stack judged. */
  stack: string;
  /** Its tier. */
  tier: Tier;
  /** True when every migration may run (possibly after a backup). */
  allowed: boolean;
  /** The highest risk among the migrations; `low` when there are none. */
  risk: RiskLevel;
  /** True when a backup must be taken before the first migration runs. */
  backupRequired: boolean;
  /** Why a backup is required, when it is. */
  backupReason?: string;
  /** Why the stack refuses, one paragraph per blocked migration; empty when allowed. */
  reasons: string[];
  /** The refused migrations. */
  blocked: BlockedMigration[];
  /** The verdict on each migration, in the order given. */
  migrations: MigrationDecision[];
}

/** Judges `migrations` (linted, typically the pending ones) against the stack's settings. */
export function computeVerdict(migrations: readonly LintedMigration[], settings: VerdictSettings): Verdict {
  const { backupBefore, requireApprovalAt, approvals } = settings.risk;
  const stackFile = `Pulumi.${settings.stack}.yaml`;
  const decisions: MigrationDecision[] = [];
  const blocked: BlockedMigration[] = [];
  const needingBackup: string[] = [];
  let risk: RiskLevel = "low";

  for (const m of migrations) {
    risk = maxRisk(risk, m.risk);
    const exposure = m.findings.reduce<RiskLevel>((level, f) => maxRisk(level, f.severity), m.risk);
    const backupRequired = reaches(exposure, backupBefore);
    if (backupRequired) needingBackup.push(`${m.version} (${exposure})`);
    if (!reaches(exposure, requireApprovalAt)) {
      decisions.push({ version: m.version, risk: m.risk, backupRequired, approval: "not-needed" });
      continue;
    }
    // By the version's value, as migrations are told apart everywhere: "5" approves 0005_x.sql.
    const forVersion = approvals.filter((a) => BigInt(a.version) === BigInt(m.version));
    const valid = forVersion.find((a) => a.checksum === m.checksum);
    if (valid) {
      decisions.push({ version: m.version, risk: m.risk, backupRequired, approval: "approved", approvedBy: valid });
      continue;
    }
    const stale = forVersion[0];
    const findings = m.findings.filter((f) => reaches(f.severity, requireApprovalAt));
    decisions.push({ version: m.version, risk: m.risk, backupRequired, approval: stale ? "stale" : "missing" });
    blocked.push({
      version: m.version,
      name: m.name,
      file: m.file,
      checksum: m.checksum,
      risk: exposure,
      rules: [...new Set(findings.map((f) => f.rule))],
      findings,
      approval: stale ? "stale" : "missing",
      ...(stale ? { approvedChecksum: stale.checksum } : {}),
      howToApprove: approvalSnippet(m),
    });
  }

  const backupReason =
    needingBackup.length > 0
      ? `${list(needingBackup)} ${needingBackup.length === 1 ? "reaches" : "reach"} the stack's backup threshold: ${settings.stack} backs up before ${thresholdWords(backupBefore)} migrations.`
      : undefined;

  return {
    stack: settings.stack,
    tier: settings.tier,
    allowed: blocked.length === 0,
    risk,
    backupRequired: needingBackup.length > 0,
    ...(backupReason ? { backupReason } : {}),
    reasons: blocked.map((b) => refusal(b, settings, stackFile)),
    blocked,
    migrations: decisions,
  };
}

/** The YAML entry that approves `m` as it is now. */
export function approvalSnippet(m: Pick<LintedMigration, "version" | "checksum">): string {
  return [
    "config:",
    "  dbpipe:approvals:",
    `    - version: "${m.version}"`,
    `      checksum: ${m.checksum}`,
    "      reason: <why it is safe to run>",
    "      approvedBy: <who approves>",
  ].join("\n");
}

/** The paragraph that says why `b` is refused and how to approve it. */
function refusal(b: BlockedMigration, settings: VerdictSettings, stackFile: string): string {
  const findings = b.findings
    .map((f) => `  ${b.file}:${f.line}:${f.column} ${f.severity} ${f.rule}: ${f.message}${f.acknowledged ? " (acknowledged in the file; an acknowledgement does not replace an approval)" : ""}`)
    .join("\n");
  const threshold = thresholdWords(settings.risk.requireApprovalAt);
  const head =
    b.approval === "stale"
      ? `${b.version} ${b.name} (${b.file}) is ${b.risk} risk, and its approval in ${stackFile} is void: the file changed after it was approved (approved checksum ${b.approvedChecksum}, the file's checksum is now ${b.checksum}):`
      : `${b.version} ${b.name} (${b.file}) is ${b.risk} risk, and stack ${settings.stack} (tier ${settings.tier}) refuses ${threshold} migrations without an approval:`;
  const approve =
    b.approval === "stale"
      ? `Review the change; if it may still run, update the approval's checksum in ${stackFile}:\n${indent(b.howToApprove)}`
      : `To approve it, add this entry to ${stackFile} (the checksum binds the approval to this exact file; editing the file voids it):\n${indent(b.howToApprove)}`;
  return `${head}\n${findings}\n${approve}`;
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}

function list(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
