import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { type CliRun, runCli } from "../helpers/cli";
import { runCliInProcess } from "../helpers/cli-in-process";
import { tempFolder } from "../helpers/project";
import { type ConfigCase, type FlagCase, TUNNEL_STACK, configCase, flagCase, fuzz, fuzzSeed } from "./bad-input-cases";
import { cleanFailure, replayHint, selectedCases } from "./bad-input-check";

/**
 * Generated bad stack configs (`Pulumi.<stack>.yaml` with values of the wrong type, unknown keys,
 * bad durations and URLs, YAML that does not parse) and bad command lines (unknown flags, flags
 * without their value, values of the wrong kind): each is refused with exit 2 and an error naming
 * the file and key (and its line), or the flag; never a stack trace or a "bug" message, and never
 * a connection attempt (the database URL given points at a port nobody listens on: reaching it
 * would exit 3). The TLS, instance-class and alarm keys are also given in combinations that are
 * refused together (verify-full through the tunnel, a CA file with require, …), and the
 * `tunnel --wait` and `env new --server/--network-path` flags bad values; a refused command line
 * writes nothing (no .dbpipe/, no stack file). The seed is printed; `DBPIPE_FUZZ_SEED=<seed>` replays, `DBPIPE_FUZZ_CASE=<n>`
 * runs case n alone.
 */

const SEED = fuzzSeed();
const CONFIG_CASES = 1200;
const FLAG_CASES = 1200;
const PROCESS_CASES = 8;
/** A database nobody serves: a command that gets as far as connecting exits 3, not 2. */
const NOWHERE = "postgres://nobody:unused@127.0.0.1:1/none";

const generator = fuzz(SEED);
const configs: ConfigCase[] = Array.from({ length: CONFIG_CASES }, () => configCase(generator));
const flags: FlagCase[] = Array.from({ length: FLAG_CASES }, () => flagCase(generator));

function judgeConfig(c: ConfigCase, run: CliRun): string | undefined {
  const unclean = cleanFailure(run);
  if (unclean) return unclean;
  if (run.code !== 2) return `exit ${run.code}, expected 2`;
  if (!run.stderr.includes("Pulumi.gen.yaml")) return "the error does not name Pulumi.gen.yaml";
  if (!run.stderr.includes(c.names)) return `the error does not name ${c.names}`;
  if (c.line !== undefined && !run.stderr.includes(`Pulumi.gen.yaml:${c.line}: ${c.names}`)) return `the error does not give ${c.names}'s line ${c.line}`;
  return undefined;
}

function judgeFlags(c: FlagCase, run: CliRun): string | undefined {
  const unclean = cleanFailure(run);
  if (unclean) return unclean;
  if (run.code !== 2) return `exit ${run.code}, expected 2`;
  if (!run.stderr.includes(c.names)) return `the error does not name ${c.names}`;
  return undefined;
}

function report(failures: string[]): string {
  return `${failures.length} failing case(s), seed ${SEED}:\n${failures.slice(0, 15).join("\n")}\n${replayHint(SEED)}`;
}

/** A project with one migration and the case's stack file. */
function writeConfig(dir: string, c: ConfigCase): void {
  fs.mkdirSync(path.join(dir, "migrations"), { recursive: true });
  fs.writeFileSync(path.join(dir, "migrations", "0001_ok.sql"), "CREATE TABLE ok (i int);\n");
  fs.writeFileSync(path.join(dir, "Pulumi.gen.yaml"), c.text);
}

/** The command lines a config case runs: every command that reads the stack's settings. */
const CONFIG_COMMANDS: readonly string[][] = [
  ["lint", "--stack", "gen"],
  ["plan", "--stack", "gen", "--database-url", NOWHERE],
  ["up", "--stack", "gen", "--database-url", NOWHERE],
  ["status", "--stack", "gen", "--database-url", NOWHERE],
  ["backup", "--stack", "gen", "--database-url", NOWHERE],
];

describe(`bad stack configs and command lines (seed ${SEED})`, () => {
  // eslint-disable-next-line no-console -- the seed, to replay a failure
  console.info(`bad-input-config: DBPIPE_FUZZ_SEED=${SEED}, ${CONFIG_CASES} configs, ${FLAG_CASES} command lines`);

  it(`refuses each of ${CONFIG_CASES} generated stack files naming the file, the key and its line, in process`, async () => {
    const dir = tempFolder({}, "dbpipe-fuzz-config-");
    const failures: string[] = [];
    for (const [i, c] of selectedCases(configs)) {
      writeConfig(dir, c);
      const args = CONFIG_COMMANDS[i % CONFIG_COMMANDS.length];
      const run = await runCliInProcess(args, { cwd: dir });
      const wrong = judgeConfig(c, run);
      if (wrong) failures.push(`  case ${i} (${c.kind}): ${args[0]}: ${wrong}\n    ${run.stderr.slice(0, 400).replace(/\n/g, "\n    ")}\n    file: ${JSON.stringify(c.text)}`);
    }
    expect(failures, report(failures)).toEqual([]);
  });

  it(`refuses each of ${FLAG_CASES} generated command lines naming the flag, in process`, async () => {
    const dir = tempFolder({ "migrations/0001_ok.sql": "CREATE TABLE ok (i int);\n", [TUNNEL_STACK.file]: TUNNEL_STACK.text }, "dbpipe-fuzz-flags-");
    const before = fs.readdirSync(dir).sort();
    const failures: string[] = [];
    for (const [i, c] of selectedCases(flags)) {
      const run = await runCliInProcess(c.args, { cwd: dir, env: { DATABASE_URL: NOWHERE } });
      // Nothing is started or written for a refused command line (no embedded server, no scratch folder, no stack file).
      const dbpipe = path.join(dir, ".dbpipe");
      const added = fs.readdirSync(dir).filter((name) => !before.includes(name) && name !== ".dbpipe");
      const wrong =
        judgeFlags(c, run) ??
        (fs.existsSync(dbpipe) ? `wrote ${fs.readdirSync(dbpipe, { recursive: true }).join(", ")} under .dbpipe/ before refusing` : undefined) ??
        (added.length > 0 ? `wrote ${added.join(", ")} before refusing` : undefined);
      fs.rmSync(dbpipe, { recursive: true, force: true });
      for (const name of added) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
      if (wrong) failures.push(`  case ${i} (${c.kind}): ${wrong}\n    dbpipe ${c.args.join(" ")}\n    ${run.stderr.slice(0, 400).replace(/\n/g, "\n    ")}`);
    }
    expect(failures, report(failures)).toEqual([]);
  });

  it(`a sample of ${PROCESS_CASES} configs and ${PROCESS_CASES} command lines as real processes: no stack trace`, async () => {
    const failures: string[] = [];
    const dir = tempFolder({}, "dbpipe-fuzz-config-");
    for (const [i, c] of selectedCases(configs).slice(0, PROCESS_CASES)) {
      writeConfig(dir, c);
      const run = await runCli(CONFIG_COMMANDS[i % CONFIG_COMMANDS.length], { cwd: dir });
      const wrong = judgeConfig(c, run);
      if (wrong) failures.push(`  config case ${i} (${c.kind}): ${wrong}\n    ${run.stderr.slice(0, 400)}`);
    }
    fs.writeFileSync(path.join(dir, TUNNEL_STACK.file), TUNNEL_STACK.text);
    for (const [i, c] of selectedCases(flags).slice(0, PROCESS_CASES)) {
      const run = await runCli(c.args, { cwd: dir, env: { DATABASE_URL: NOWHERE } });
      const wrong = judgeFlags(c, run);
      if (wrong) failures.push(`  flag case ${i} (${c.kind}): ${wrong}\n    ${run.stderr.slice(0, 400)}`);
    }
    expect(failures, report(failures)).toEqual([]);
  });
});
