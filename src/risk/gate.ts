import type { Client } from "pg";
import { RefusedError } from "../errors";
import type { BeforeApply } from "../migrate/engine";
import type { Migration } from "../migrate/migration";
import type { StackSettings } from "../settings/stack-settings";
import { type Assessment, assess, downPartOf } from "../pipeline/assess";
import type { LintedMigration } from "../sql/lint";
import type { Verdict } from "./verdict";

/**
 * The risk gate of `up` and `down`: between reading the history and running anything, classify the
 * SQL about to run (with table sizes from the target), take the stack's verdict, refuse a blocked
 * plan, and take the pre-migration backup the verdict asks for. Every front end that applies or
 * reverts migrations (the CLI, the Pulumi resource) runs this gate; only the backup's destination
 * differs.
 *
 * For `down`, what is classified is each migration's down part, and the verdict is the same one
 * `up` gets, with the same approvals: an approval names a version with the checksum of the whole
 * file, down part included, so whoever approved the file approved both directions of it. Editing
 * either part voids the approval. (A high-risk down part of a file whose up part was low risk needs
 * an approval before `down` runs it, like a high-risk up part before `up`.)
 */

/** Whether the stack's thresholds make risk matter: if neither a backup nor an approval can be required, classifying before `up` would change nothing. */
export function riskMatters(settings: Pick<StackSettings, "risk">): boolean {
  return settings.risk.backupBefore !== "never" || settings.risk.requireApprovalAt !== "never";
}

/** The stack refuses the plan: nothing was applied (or, for `down`, reverted). */
export class PolicyRefusedError extends RefusedError {
  constructor(
    readonly verdict: Verdict,
    /** `down` when it refuses to run down parts; default `up`. */
    readonly direction: "up" | "down" = "up",
  ) {
    const count = verdict.blocked.length;
    super(
      (direction === "down"
        ? `stack ${verdict.stack} (tier ${verdict.tier}) refuses to revert ${count === 1 ? "a migration" : `${count} migrations`} with ${count === 1 ? "its down part" : "their down parts"}; nothing was reverted.\n\n`
        : `stack ${verdict.stack} (tier ${verdict.tier}) refuses ${count === 1 ? "a pending migration" : `${count} pending migrations`}; nothing was applied.\n\n`) +
        verdict.reasons.join("\n\n"),
    );
  }
}

/** Takes the pre-migration backup; returns the reference the history records. */
export type TakeBackup = (pending: readonly Migration[], client: Client) => Promise<string>;

/** Options of {@link riskGate}. */
export interface RiskGateOptions {
  /** The stack's settings. */
  settings: StackSettings;
  /** Takes the backup when the verdict requires one; without it, a required backup refuses the run. */
  backup?: TakeBackup;
  /** Called with the assessment before anything is decided (to show findings). */
  onAssessed?(assessment: Assessment): void;
  /** Called before the backup starts. */
  onBackup?(reason: string): void;
}

/** The gate, as the engine's `beforeApply`. */
export function riskGate(options: RiskGateOptions): BeforeApply {
  return async ({ pending, applied, client, rehearse, direction = "up" }) => {
    const out = new Map<string, { risk?: LintedMigration["risk"] | null; backupRef?: string | null }>();
    if (!riskMatters(options.settings)) return out;
    const toRun = direction === "down" ? pending.map(downPartOf) : pending;
    const assessment = await assess({ settings: options.settings, migrations: toRun, history: applied, client, pending: toRun.map((m) => m.version) });
    options.onAssessed?.(assessment);
    const { verdict } = assessment;
    if (!verdict.allowed) throw new PolicyRefusedError(verdict, direction);
    let backupRef: string | null = null;
    if (verdict.backupRequired && !rehearse) {
      if (!options.backup) {
        throw new RefusedError(`${verdict.backupReason ?? "a backup is required"} No backup destination is configured, so nothing was ${direction === "down" ? "reverted" : "applied"}.`);
      }
      options.onBackup?.(verdict.backupReason ?? "");
      backupRef = await options.backup(pending, client);
    }
    for (const m of assessment.linted) out.set(m.version, { risk: m.risk, backupRef });
    return out;
  };
}
