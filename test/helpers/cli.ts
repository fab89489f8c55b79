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

/**
 * Runs the built `dbpipe` (bin/dbpipe.js → dist/) as a user would, in `cwd`. `npm test` builds
 * first; run `npm run build` before running these tests alone.
 */
export function runCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliRun> {
  if (!fs.existsSync(path.join(REPO, "dist/cli/main.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", DATABASE_URL: undefined, DATABASE_URL_DIRECT: undefined, ...options.env };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO, "bin/dbpipe.js"), ...args], { cwd: options.cwd, env: env as NodeJS.ProcessEnv });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
