import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { processAlive, runningServer } from "../../src/local/embedded";
import { REPO, type CliRun } from "../helpers/cli";

/**
 * What the fault and embedded-server tests share: `dbpipe` as the leader of a process group of its
 * own (as a shell or a CI runner starts it), so that a test can signal the whole group the way
 * Ctrl-C in a terminal or a cancelled CI job does, and small waits on the file system.
 */

/** A running `dbpipe`, leader of its own process group. */
export interface GroupProcess {
  readonly child: ChildProcess;
  /** What it printed so far (stdout and stderr). */
  output(): string;
  /** How it ended: code, or the signal that killed it. */
  readonly done: Promise<CliRun & { signal: NodeJS.Signals | null }>;
  /** True once it has ended. */
  ended(): boolean;
  /** Sends `signal` to its whole process group (every process it started that stayed in it). */
  signalGroup(signal: NodeJS.Signals): void;
}

/** Starts `dbpipe ...args` in `cwd` as the leader of a new process group. */
export function startGroup(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): GroupProcess {
  if (!fs.existsSync(path.join(REPO, "dist/cli/main.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", DATABASE_URL: undefined, DATABASE_URL_DIRECT: undefined, ...options.env };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const child = spawn(process.execPath, [path.join(REPO, "bin/dbpipe.js"), ...args], {
    cwd: options.cwd,
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  let ended = false;
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<CliRun & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      ended = true;
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    output: () => stdout + stderr,
    done,
    ended: () => ended,
    signalGroup: (signal) => {
      try {
        process.kill(-child.pid!, signal);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
      }
    },
  };
}

/** Waits until `condition()` holds, checking every 10 ms; throws `what` after `limitMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting (${limitMs} ms) for ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True while process `pid` exists (a zombie too). */
export const alive = processAlive;

/** The postmaster running on the data folder `pgdata`, from its `postmaster.pid`, if alive. */
export const postmasterOf = runningServer;

/** Stops the postmaster on `pgdata` if one runs (a test's clean-up) and waits for it to exit. */
export async function stopPostmaster(pgdata: string): Promise<void> {
  const running = postmasterOf(pgdata);
  if (!running) return;
  process.kill(running.pid, "SIGINT");
  await waitUntil(() => !alive(running.pid), `the postmaster ${running.pid} to exit`, 30_000);
}
