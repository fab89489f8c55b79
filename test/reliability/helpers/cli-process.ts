import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO, type CliRun } from "../../helpers/cli";

/**
 * The built `dbpipe` as a process the test can watch and kill, where `runCli` (test/helpers/cli.ts)
 * only waits for it: the same environment (no colour, no DATABASE_URL from the test's shell).
 */

/** A running `dbpipe`. */
export interface CliProcess {
  /** The process. */
  readonly child: ChildProcess;
  /** What it printed so far on stdout. */
  stdout(): string;
  /** Resolves when it has printed something matching `pattern` on stdout; false when it exited first. */
  printed(pattern: RegExp): Promise<boolean>;
  /** How it ended (code null and `signal` set when killed). */
  readonly done: Promise<CliRun & { signal: NodeJS.Signals | null }>;
  /** Kills it with SIGKILL (nothing to clean up, no handler runs) and waits for it to end. */
  kill(): Promise<CliRun & { signal: NodeJS.Signals | null }>;
}

/** Starts `dbpipe ...args` in `cwd`. */
export function startCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): CliProcess {
  if (!fs.existsSync(path.join(REPO, "dist/cli/main.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", DATABASE_URL: undefined, DATABASE_URL_DIRECT: undefined, ...options.env };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const child = spawn(process.execPath, [path.join(REPO, "bin/dbpipe.js"), ...args], { cwd: options.cwd, env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const watchers: { pattern: RegExp; resolve: (seen: boolean) => void }[] = [];
  child.stdout!.on("data", (d) => {
    stdout += d;
    for (const w of [...watchers]) {
      if (w.pattern.test(stdout)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(true);
      }
    }
  });
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<CliRun & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      for (const w of watchers.splice(0)) w.resolve(false);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    stdout: () => stdout,
    printed: (pattern) => {
      if (pattern.test(stdout)) return Promise.resolve(true);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(false);
      return new Promise((resolve) => watchers.push({ pattern, resolve }));
    },
    done,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      return done;
    },
  };
}
