import type { DeployEvents } from "../pipeline/deploy";
import { waitingForLockMessage } from "../migrate/lock";
import { formatElapsed } from "../text/duration";
import type { Output } from "./output";
import { formatBytes } from "./render";

/** Where a run of `up` or `down` is, for what an interrupted one says it leaves (see interrupt.ts). */
export interface RunState {
  /** The migration running now. */
  running?: { version: string; name: string; noTransaction: boolean };
  /** A backup is being taken. */
  backingUp: boolean;
}

/**
 * The events `up` and `down` render alike: the wait for another run's lock (stderr), the backup
 * taken first (stdout, unless `json`), and the migration that starts (into `state`).
 */
export function sharedDeployEvents(output: Output, lockWaitMs: number, json: boolean | undefined, state: RunState): Pick<DeployEvents, "waitingForLock" | "backupStarted" | "backupTaken" | "migrationStarted"> {
  const s = output.style;
  return {
    waitingForLock: () => output.error(waitingForLockMessage(lockWaitMs)),
    backupStarted: (reason) => {
      state.backingUp = true;
      if (!json) output.line(`  backing up first: ${reason}`);
    },
    backupTaken: (backup, ms) => {
      state.backingUp = false;
      if (!json) output.line(`  ${s.green("✓")} backup ${backup.ref.replace(/^file:/, "")} ${s.dim(`${formatBytes(backup.manifest.bytes)}, ${formatElapsed(ms)}`)}`);
    },
    migrationStarted: (m) => {
      state.running = { version: m.version, name: m.name, noTransaction: m.noTransaction };
    },
  };
}
