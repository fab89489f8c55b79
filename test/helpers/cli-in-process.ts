import { main } from "../../src/cli/main";
import { memoryOutput } from "../../src/cli/output";
import type { CliOptions, CliRun } from "./cli";

/**
 * Runs the `dbpipe` command line in this process: the same `main` that bin/dbpipe.js calls, with
 * the working directory and environment of a real run, its output recorded. For thousands of
 * cases where a new process each would take minutes; {@link runCli} (a real process) proves the
 * same for a sample. Needs vitest's `forks` pool (a worker thread cannot change directory).
 *
 * Anything written straight to the process's stdout or stderr during the run (bypassing the CLI's
 * output, as a library's warning would) is recorded too, after the CLI's own lines. Runs must not
 * overlap: the working directory and environment are the process's.
 */
export async function runCliInProcess(args: string[], options: Pick<CliOptions, "cwd" | "env">): Promise<CliRun> {
  const env: Record<string, string | undefined> = { NO_COLOR: "1", DATABASE_URL: undefined, DATABASE_URL_DIRECT: undefined, ...options.env };
  const saved = new Map(Object.keys(env).map((k) => [k, process.env[k]]));
  const cwd = process.cwd();
  const output = memoryOutput();
  const direct = { stdout: "", stderr: "" };
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture = (stream: "stdout" | "stderr") =>
    ((chunk: string | Uint8Array) => {
      direct[stream] += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      return true;
    }) as typeof process.stdout.write;
  for (const [k, v] of Object.entries(env)) setEnv(k, v);
  process.chdir(options.cwd);
  process.stdout.write = capture("stdout");
  process.stderr.write = capture("stderr");
  let code: number;
  try {
    code = await main(args, output);
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    process.chdir(cwd);
    for (const [k, v] of saved) setEnv(k, v);
  }
  const joined = (lines: string[], extra: string) => (lines.length > 0 ? `${lines.join("\n")}\n` : "") + extra;
  return { code, stdout: joined(output.stdout, direct.stdout), stderr: joined(output.stderr, direct.stderr) };
}

function setEnv(key: string, value: string | undefined): void {
  if (value === undefined) delete process.env[key];
  else process.env[key] = value;
}
