import * as os from "node:os";
import type { RunState } from "./deploy-events";
import type { Output } from "./output";

/** Signals that end a run: Ctrl-C, a CI job's cancellation, a closed terminal. */
const ENDING_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Runs `fn`; if the process is told to stop meanwhile (Ctrl-C, SIGTERM, SIGHUP), says on stderr
 * what state the run leaves (`whatIsLeft()`: which migration was running, what stays applied) and
 * exits at once with the shell's code for that signal (130 for Ctrl-C, 143 for SIGTERM), as it
 * would have without the message. Nothing is awaited: a migration went to the server as one
 * transaction with its history row, which the server ends whole once the client is gone (dbpipe's
 * runner sets `client_connection_check_interval` where the server has it, so a long statement
 * notices within a second; one whose COMMIT was already sent may still commit), and the process's
 * `exit` handlers (leaving the embedded server) still run.
 */
export async function interruptible<T>(output: Output, whatIsLeft: () => string, fn: () => Promise<T>): Promise<T> {
  const handlers = ENDING_SIGNALS.map((signal) => {
    const handler = () => {
      output.error(`${output.errorStyle.red("interrupted:")} ${whatIsLeft()}`);
      output.flush();
      process.exit(128 + os.constants.signals[signal]);
    };
    // First: the embedded server's own handler (src/local/embedded.ts) only exits, and its `exit` hooks still run.
    process.prependListener(signal, handler);
    return [signal, handler] as const;
  });
  try {
    return await fn();
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}

/** What an interrupted run of migrations leaves, in words: the one that was running, and how many done before it stay done. */
export function leftByInterruptedRun(run: RunState & {
  /** How many this run finished before. */
  done: number;
  /** What the run does to them. */
  verb: "applied" | "reverted";
  /** A rehearsal: everything ran in one transaction, rolled back. */
  rehearsal?: boolean;
}): string {
  if (run.rehearsal) return "the rehearsal's transaction is rolled back by the server; nothing changed.";
  const before = run.done === 0 ? "" : ` ${run.done} migration${run.done === 1 ? "" : "s"} ${run.verb} before it ${run.done === 1 ? "stays" : "stay"} ${run.verb}.`;
  if (run.backingUp) return "the backup was not finished, so it is not stored (it has no manifest); nothing was applied.";
  if (!run.running) {
    return run.done === 0 ? `nothing was ${run.verb}.` : `${run.done} migration${run.done === 1 ? "" : "s"} ${run.verb} in this run ${run.done === 1 ? "stays" : "stay"} ${run.verb}.`;
  }
  const { version, name } = run.running;
  const status = " `dbpipe status` shows where the database is.";
  if (run.verb === "reverted") {
    return run.running.noTransaction
      ? `the down part of ${version} ${name} runs outside a transaction (-- dbpipe:no-transaction): what it had reverted stays reverted, and the migration is still recorded as applied.${before}${status}`
      : `the revert of ${version} ${name} was sent as one transaction with the removal of its history row: the server ends it whole, committed or rolled back, never half-done.${before}${status}`;
  }
  return run.running.noTransaction
    ? `${version} ${name} runs outside a transaction (-- dbpipe:no-transaction): what it had done stays done, and it is recorded as failed until \`dbpipe repair\`.${before}${status}`
    : `${version} ${name} was sent as one transaction with its history row: the server ends it whole, committed or rolled back, never half-applied.${before}${status}`;
}
