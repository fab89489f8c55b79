import type { Client } from "pg";
import type { BackupStore, StoredBackup } from "../backup/store";
import { RefusedError } from "../errors";
import type { MigrationFolder } from "../migrate/files";
import type { BeforeApply, EngineEvents, EngineOptions, PlanResult } from "../migrate/run";
import type { DownTarget } from "../migrate/verbs/down";
import { upMigrations } from "../migrate/verbs/up";
import type { Migration } from "../migration";
import type { Verdict } from "../risk/verdict";
import type { MigrationLayoutSetting, StackSettings } from "../settings/stack-settings";
import { type RiskLevel, riskMatters } from "../risk-level";
import { type CheckSource, parseWithoutDirectives } from "../sql/check-parse";
import type { Assessment } from "./assess";

/**
 * The deploy: plan → verdict → backup → apply → result, in one function that every front end
 * calls — `dbpipe up` and `dbpipe down`, and the MigrationSet resource on `pulumi up`. Between
 * reading the history and running anything it assesses the SQL about to run (with table sizes from
 * the target), refuses a plan the stack's verdict blocks, and takes the backup the verdict asks for
 * into the store the caller gives; only then does it apply (or revert). A refused or invalid run
 * changes nothing.
 *
 * For `down`, what is assessed is each migration's down part, under the same verdict and the same
 * approvals as `up`: an approval names a version with the checksum of the whole file, down part
 * included, so whoever approved the file approved both directions of it.
 */

/** What to deploy: apply the pending migrations, or revert applied ones. */
export type DeployAction =
  /** Apply every pending migration; with `rehearse`, run them in one transaction and roll it back (no backup). */
  | { verb: "up"; rehearse?: boolean }
  /** Revert, newest first, what is newer than `target.to`, or everything with `{ all: true }`. */
  | { verb: "down"; target: DownTarget };

/** Progress of a deploy, for output as it goes. */
export interface DeployEvents extends Pick<EngineEvents, "waitingForLock" | "migrationStarted" | "migrationSkipped"> {
  /** The SQL about to run was assessed (before the verdict is enforced). */
  assessed?(assessment: Assessment): void;
  /** The verdict asks for a backup, which starts now. */
  backupStarted?(reason: string): void;
  /** The backup is stored; `ms` is how long it took. */
  backupTaken?(backup: StoredBackup, ms: number): void;
  /** A migration was applied (`up`), rehearsed, or reverted (`down`), with its risk when assessed. */
  migrationApplied?(migration: Migration, executionMs: number, risk: RiskLevel | null): void;
}

/** What a deploy needs. */
export interface DeployOptions {
  /** The stack's parsed settings. */
  settings: StackSettings;
  /** The migrations folder. */
  migrationsDir: string;
  /** The folder's layout. Default: the stack's `migrationsLayout`. */
  layout?: MigrationLayoutSetting;
  /** The database: its direct (unpooled) URL. */
  databaseUrl: string;
  /** Base for file names in messages. Default: the working directory. */
  displayBase?: string;
  /** What to do. Default `{ verb: "up" }`. */
  action?: DeployAction;
  /** Where the pre-migration backup goes when the verdict asks for one. Without a store such a run is refused before anything runs. */
  backupStore?: BackupStore;
  /**
   * The checksum of every migration file, by version, as the caller planned with (the manifest
   * `pulumi preview` saw). When given, a loaded file whose checksum differs, a file not in it, or a
   * version in it without a file refuses the run (an InputError naming the file) before connecting.
   */
  expectedChecksums?: ReadonlyMap<string, string>;
  /** The migration files, when the caller has read them already (see `EngineOptions.files`). */
  files?: MigrationFolder;
  /**
   * Check-only parses of those files done elsewhere (`sql/check-ahead.ts`: a thread that checks
   * them while this one connects), for a stack where risk cannot matter; any file it has no answer
   * for is parsed here.
   */
  checkAhead?: CheckSource;
  /** Progress callbacks. */
  events?: DeployEvents;
  /** Apply every migration on a database with no dbpipe history even where another tool left one (see `EngineOptions.ignoreOtherHistory`). Default false. */
  ignoreOtherHistory?: boolean;
}

/** A migration a deploy ran. */
export interface DeployedMigration {
  version: string;
  name: string;
  file: string;
  /** The file's checksum. */
  checksum: string;
  /** When it finished (ISO 8601). */
  finishedAt: string;
  /** How long it took, in ms. */
  executionMs: number;
  /** Its risk (of its down part, for `down`); null when the stack's settings made assessing pointless. */
  risk: RiskLevel | null;
}

/** What a deploy did. */
export interface DeployResult extends PlanResult {
  /** `up` or `down`. */
  verb: DeployAction["verb"];
  /** True for a rehearsal: everything that ran was rolled back. */
  rehearsal: boolean;
  /** What `up` applied (rehearsing: ran and rolled back), in order; empty for `down`. */
  applied: DeployedMigration[];
  /** What `down` reverted, newest first; empty for `up`. */
  reverted: DeployedMigration[];
  /** Pending no-transaction migrations a rehearsal could not run. */
  skipped: { version: string; reason: string }[];
  /** The newest migration applied afterwards; null when none is. */
  head: { version: string; name: string } | null;
  /**
   * The assessment of what was about to run, with the stack's verdict (allowed, or the run would
   * have been refused); null when nothing was to run, or when the stack can require neither a backup
   * nor an approval, so that assessing would change nothing.
   */
  assessment: Assessment | null;
  /** The verdict of `assessment`, or null. */
  verdict: Verdict | null;
  /** The pre-migration backup this run took, or null. */
  backup: StoredBackup | null;
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

/**
 * Whether a deploy on `settings` only needs to know that the files parse (and hold no `dbpipe:allow`
 * to check): risk cannot matter, and no rule severity needs checking. Then a front end may have the
 * files checked ahead (DeployOptions.checkAhead).
 */
export function checksOnly(settings: StackSettings): boolean {
  return !riskMatters(settings.risk) && Object.keys(settings.risk.ruleSeverity).length === 0;
}

/** Runs the deploy. Throws what stops it (an InputError, a PolicyRefusedError, a failed migration); events report what ran before. */
export async function deploy(options: DeployOptions): Promise<DeployResult> {
  const action: DeployAction = options.action ?? { verb: "up" };
  const direction = action.verb;
  const rehearse = action.verb === "up" && Boolean(action.rehearse);
  const state: { assessment: Assessment | null; backup: StoredBackup | null; risks: Map<string, RiskLevel> } = { assessment: null, backup: null, risks: new Map() };
  const events = options.events ?? {};
  const ran: DeployedMigration[] = [];
  const engine: EngineOptions = {
    settings: options.settings,
    migrationsDir: options.migrationsDir,
    layout: options.layout,
    databaseUrl: options.databaseUrl,
    displayBase: options.displayBase,
    expectedChecksums: options.expectedChecksums,
    files: options.files,
    ignoreOtherHistory: options.ignoreOtherHistory,
    events: {
      waitingForLock: events.waitingForLock,
      migrationStarted: events.migrationStarted,
      migrationSkipped: events.migrationSkipped,
      migrationApplied: (m, ms) => {
        const risk = state.risks.get(m.version) ?? null;
        ran.push({ version: m.version, name: m.name, file: m.file, checksum: m.checksum, finishedAt: new Date().toISOString(), executionMs: ms, risk });
        events.migrationApplied?.(m, ms, risk);
      },
    },
  };

  const gate: BeforeApply = async ({ pending, applied, client }) => {
    const out = new Map<string, { risk?: RiskLevel | null; backupRef?: string | null }>();
    const toRun = direction === "down" ? pending.map(downPartOf) : pending;
    // The files are checked as lint checks them on every tier (a bad `dbpipe:allow`, a syntax
    // error): the same input gets the same answer. Table sizes and the verdict only matter where
    // the tier can require a backup or an approval.
    const matters = riskMatters(options.settings.risk);
    // Where risk cannot matter, no rule runs: the findings would change nothing. Then, when every
    // file parses and has no `dbpipe:allow` to check (and no rule severity needs checking), the
    // check-only lint can refuse nothing, and neither it nor the linter is loaded.
    if (checksOnly(options.settings) && (await parseWithoutDirectives(toRun, options.checkAhead))) return out;
    const { assess } = await import("./assess.js");
    const assessment = await assess({
      settings: options.settings,
      migrations: toRun,
      pending: toRun.map((m) => m.version),
      ...(matters ? { client, history: applied } : { checkOnly: true }),
    });
    if (!matters) return out;
    state.assessment = assessment;
    for (const m of assessment.linted) state.risks.set(m.version, m.risk);
    events.assessed?.(assessment);
    const { verdict } = assessment;
    if (!verdict.allowed) throw new PolicyRefusedError(verdict, direction);
    if (verdict.backupRequired && !rehearse) {
      state.backup = await backUp(options, client, pending, applied, verdict, direction);
    }
    for (const m of assessment.linted) out.set(m.version, { risk: m.risk, backupRef: state.backup?.ref ?? null });
    return out;
  };

  const done = (result: PlanResult, head: DeployResult["head"], skipped: DeployResult["skipped"] = []): DeployResult => ({
    ...result,
    verb: direction,
    rehearsal: rehearse,
    applied: direction === "up" ? ran : [],
    reverted: direction === "down" ? ran : [],
    skipped,
    head,
    assessment: state.assessment,
    verdict: state.assessment?.verdict ?? null,
    backup: state.backup,
  });

  if (action.verb === "down") {
    // Loaded here, not at the top: `up` never reverts.
    const { downMigrations } = await import("../migrate/verbs/down.js");
    const result = await downMigrations(engine, action.target, { beforeRevert: gate });
    return done(result, result.at);
  }
  const result = await upMigrations(engine, { rehearse, beforeApply: gate, checks: options.checkAhead });
  const newest = result.plan.entries.filter((e) => e.status === "applied" || (!rehearse && e.status === "pending")).at(-1);
  return done(result, newest ? { version: newest.version, name: newest.name } : null, result.skipped);

  async function backUp(
    o: DeployOptions,
    client: Client,
    pending: readonly Migration[],
    applied: readonly Migration[],
    verdict: Verdict,
    verb: "up" | "down",
  ): Promise<StoredBackup> {
    if (!o.backupStore) {
      throw new RefusedError(`${verdict.backupReason ?? "a backup is required"} No backup destination is configured, so nothing was ${verb === "down" ? "reverted" : "applied"}.`);
    }
    events.backupStarted?.(verdict.backupReason ?? "");
    const started = performance.now();
    // Loaded only when a backup is taken (pg_dump and the manifest): most runs take none.
    const { takeBackup } = await import("../backup/take-backup.js");
    const backup = await takeBackup(o.backupStore, { url: o.databaseUrl, client, stack: o.settings.stack, pending, head: applied.at(-1)?.version ?? null });
    events.backupTaken?.(backup, Math.round(performance.now() - started));
    return backup;
  }
}

/** `m` with its down part as the SQL that runs: what is assessed before `down` runs it. */
export function downPartOf(m: Migration): Migration {
  return { ...m, up: m.down ?? { text: "", line: m.up.line }, down: undefined };
}
