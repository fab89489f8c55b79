import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { beforeAll, describe, expect, it } from "vitest";
import type { CommandIO } from "../../src/cli/command-io";
import { COMMANDS } from "../../src/cli/commands";
import { memoryOutput } from "../../src/cli/output";
import { KEYS } from "../../src/settings/keys";
import { engineConfig } from "../infra/helpers/engine-config";
import { unwrap } from "../infra/helpers/pulumi-mocks";
import { runWithMocks } from "../infra/helpers/run-with-mocks";
import { type KnownThings, checkReferences, extractReferences, pathsUnder, sectionsOf } from "./doc-references";

/**
 * docs/pulumi.md and the README's Pulumi sections walk a user from nothing to a migrated database:
 * every settings key, `dbpipe` command and flag, stack output and repository path they name must
 * exist. Keys come from the key table, commands and flags from the CLI's own command definitions,
 * outputs from the program run under Pulumi's mocks, paths from the checkout.
 */

const REPO = path.resolve(__dirname, "../..");

/** Settings keys of other namespaces that the program reads. */
const OTHER_NAMESPACE_KEYS = ["aws:region"];

/** Every command as typed (`env new`) with its long flags, from the commands' own definitions. */
async function cliCommands(): Promise<Map<string, Set<string>>> {
  const program = new Command("dbpipe");
  const io: CommandIO = { output: memoryOutput(), run: () => async () => undefined, reportRefusedCommandLine: () => undefined };
  for (const entry of COMMANDS) (await entry.load())(program, io);
  const commands = new Map<string, Set<string>>();
  const walk = (command: Command, prefix: string) => {
    const name = prefix ? `${prefix} ${command.name()}` : command.name();
    commands.set(name, new Set(["--help", ...command.options.map((o) => o.long).filter((l): l is string => l !== undefined)]));
    for (const sub of command.commands) walk(sub, name);
  };
  for (const command of program.commands) walk(command, "");
  return commands;
}

let known: KnownThings;

beforeAll(async () => {
  // The dev stack declares everything an rds stack with a tunnel has (the `tunnel` output's value
  // included); every output is exported whatever the mode. The MigrationSet's outputs
  // (migrationHead, …) have no value under mocks, which never run a dynamic provider's create.
  const run = await runWithMocks("dev", engineConfig("dev"));
  known = {
    keys: new Set([...KEYS.map((k) => k.name), ...OTHER_NAMESPACE_KEYS]),
    commands: await cliCommands(),
    // Every export is an output; the registered values (those known under mocks) for nested names.
    outputs: { ...Object.fromEntries(Object.keys(run.exports).map((name) => [name, undefined])), ...Object.fromEntries(Object.entries(run.recorder.stackOutputs ?? {}).map(([name, value]) => [name, unwrap(value)])) },
    pathExists: pathsUnder(REPO),
  };
});

const DOCUMENTS: [string, () => string][] = [
  ["docs/pulumi.md", () => fs.readFileSync(path.join(REPO, "docs/pulumi.md"), "utf8")],
  // The README's Pulumi sections: "Deploying with Pulumi" and "`pulumi up` migrates".
  ["README.md", () => sectionsOf(fs.readFileSync(path.join(REPO, "README.md"), "utf8"), /pulumi/i)],
];

describe.each(DOCUMENTS)("%s", (file, read) => {
  it("names only keys, commands, flags, outputs and paths that exist", () => {
    expect(checkReferences(read(), file, REPO, known)).toEqual([]);
  });
});

describe("docs/pulumi.md", () => {
  it("walks through the things a new user runs (the check has something to check)", () => {
    const refs = extractReferences(fs.readFileSync(path.join(REPO, "docs/pulumi.md"), "utf8"), REPO);
    const names = (kind: string) => new Set(refs.filter((r) => r.kind === kind).map((r) => r.name));
    expect([...names("command")]).toEqual(expect.arrayContaining(["env new", "tunnel", "up", "plan", "lint", "status"]));
    expect([...names("flag")]).toEqual(expect.arrayContaining(["tunnel --stack", "env new --tier", "env new --region"]));
    expect([...names("key")]).toEqual(expect.arrayContaining(["networkPath", "directUrl", "pooledUrl", "server", "tier", "vpcId", "subnetIds", "sslmode", "sslRootCert", "alarmTopicArn"]));
    expect([...names("output")]).toEqual(expect.arrayContaining(["migrationUrl", "appUrl", "tunnel", "tls", "migrationHead"]));
    expect([...names("path")]).toEqual(expect.arrayContaining(["migrations/", "Pulumi.prod.yaml"]));
  });
});

describe("the check", () => {
  const doc = [
    "Set `dbpipe:tunnelPort` in the stack file.", // made-up key
    "",
    "```sh",
    "pulumi config set --secret adminUrl 'postgresql://…' --stack neon  # made-up key, the config command's way",
    "dbpipe tunnel --stack dev --bastion i-0abc   # made-up flag",
    "dbpipe connect --stack dev                   # made-up command",
    "pulumi stack output adminUrl --show-secrets --stack neon",
    "cat > migrations/0099_new.sql                # a file the walkthrough writes: fine",
    "pulumi preview --policy-pack-config policies/config/qa.json   # a made-up file",
    "```",
    "",
    "| output | |",
    "|---|---|",
    "| `credentialSecretArns.app`, `credentialSecretArns.admin`, `tunnel.localPort` | |",
    "",
    "Read `src/infra/bastion.ts`, `migrations/0099_new.sql` and [the settings](settings.md); `Pulumi.neon.yaml` is written by `pulumi stack init neon`.",
  ].join("\n");

  it("fails on a made-up key, flag, command, output and path, and on nothing else", () => {
    expect(checkReferences(doc, "docs/pulumi.md", REPO, known)).toEqual([
      "docs/pulumi.md:1: dbpipe:tunnelPort is not a settings key",
      "docs/pulumi.md:4: dbpipe:adminUrl is not a settings key",
      "docs/pulumi.md:5: `dbpipe tunnel` has no --bastion flag",
      "docs/pulumi.md:6: `dbpipe connect` is not a dbpipe command",
      "docs/pulumi.md:7: adminUrl is not an output of the stack",
      "docs/pulumi.md:9: policies/config/qa.json does not exist in the repository",
      "docs/pulumi.md:16: src/infra/bastion.ts does not exist in the repository",
      "docs/pulumi.md:14: credentialSecretArns.admin is not an output of the stack",
    ]);
  });

  it("takes the keys from the key table: a key removed from it fails the real document", () => {
    const withoutNetworkPath = { ...known, keys: new Set([...known.keys].filter((k) => k !== "networkPath")) };
    const problems = checkReferences(fs.readFileSync(path.join(REPO, "docs/pulumi.md"), "utf8"), "docs/pulumi.md", REPO, withoutNetworkPath);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.endsWith("dbpipe:networkPath is not a settings key"))).toBe(true);
  });
});
