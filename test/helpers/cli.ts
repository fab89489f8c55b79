import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** The repository's root. */
export const REPO = path.resolve(__dirname, "../..");

/** What a CLI run printed and how it ended. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link runCli}. */
export interface CliOptions {
  /** The working directory (the project). */
  cwd: string;
  /** Environment changes; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /**
   * Sets `NO_COLOR=1` (default true). With false, neither `NO_COLOR` nor `FORCE_COLOR` is set, as
   * in a plain CI job, so colour depends on the streams alone.
   */
  noColor?: boolean;
  /**
   * Runs in a pseudo-terminal (util-linux/bsdutils `script`), stdout and stderr both a TTY and
   * merged into `stdout`, with `\r\n` line ends as a terminal gets them. Default false.
   */
  terminal?: boolean;
}

/** True when {@link runCli} can run in a pseudo-terminal (`script` is installed). */
export const canRunInTerminal = ["/usr/bin/script", "/bin/script"].some((f) => fs.existsSync(f));

/**
 * Runs the built `dbpipe` (bin/dbpipe.js → dist/) as a user would, in `cwd`. `npm test` builds
 * first; run `npm run build` before running these tests alone.
 */
export function runCli(args: string[], options: CliOptions): Promise<CliRun> {
  if (!fs.existsSync(path.join(REPO, "dist/cli/main.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  const colour = options.noColor === false ? { NO_COLOR: undefined, FORCE_COLOR: undefined } : { NO_COLOR: "1" };
  const env: Record<string, string | undefined> = { ...process.env, ...colour, DATABASE_URL: undefined, DATABASE_URL_DIRECT: undefined, ...options.env };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const node = [process.execPath, path.join(REPO, "bin/dbpipe.js"), ...args];
  const [command, ...commandArgs] = options.terminal ? ["script", "-qec", node.map(shellQuote).join(" "), "/dev/null"] : node;
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { cwd: options.cwd, env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, "'\\''")}'`;
}
