import * as path from "node:path";
import { Command, Option } from "commander";
import { NETWORK_PATHS, type NetworkPath, SERVER_MODES, type ServerMode } from "../../settings/stack-settings-types";
import { TIERS, type Tier } from "../../settings/tiers";
import type { RegisterCommand } from "../command-io";
import { findProjectDir } from "../project";

/** `dbpipe env new <name> --tier <tier>`: writes a new environment's stack file. */
export const register: RegisterCommand = (program, io) => {
  const env = new Command("env").description("manage environments (Pulumi stacks)");
  env
    .command("new")
    .description("write Pulumi.<name>.yaml for a new environment, with its tier's defaults; refuses a name that exists")
    .argument("<name>", "environment (stack) name: lower-case letters, digits and hyphens, e.g. staging")
    .addOption(new Option("--tier <tier>", "the environment's tier (required)").choices([...TIERS]).makeOptionMandatory())
    .option("--region <region>", "aws:region of the environment (required for prod), e.g. eu-west-1")
    .addOption(new Option("--server <mode>", "rds (an RDS instance dbpipe declares) or external (an existing server: Neon, Supabase)").choices([...SERVER_MODES]).default("rds"))
    .addOption(new Option("--network-path <path>", "rds: how pulumi up reaches the instance (default: tunnel)").choices([...NETWORK_PATHS]))
    .addHelpText(
      "after",
      "\nThen it prints the next steps for the environment's server: with an rds tunnel, pulumi stack init, dbpipe\n" +
        "tunnel --wait, then pulumi up beside it; with an rds vpc path, what to let in, then pulumi up inside the VPC; with an\n" +
        "external server, the secret URLs to set before pulumi up (see docs/pulumi.md).\n" +
        "Exit codes: 0 written, 2 invalid name, tier, region, server or network path, or the file exists.",
    )
    .action(
      io.run(async (name: string, flags: { tier: Tier; region?: string; server: ServerMode; networkPath?: NetworkPath }) => {
        const projectDir = findProjectDir();
        const { newEnvironment } = await import("../../settings/env-new.js");
        const created = newEnvironment({ projectDir, name, tier: flags.tier, region: flags.region, server: flags.server, networkPath: flags.networkPath });
        const { infra } = created.settings;
        const { output } = io;
        output.line(`Wrote ${path.relative(process.cwd(), created.file) || created.file}: environment ${output.style.bold(name)}, tier ${created.settings.tier}.`);
        const server = infra.server === "rds" ? `rds server ${infra.instanceClass} (network path: ${infra.networkPath})` : "external server";
        output.line(
          `  ${server}, backups kept ${infra.backupRetentionDays} days` +
            `${infra.backupObjectLock ? " under Object Lock" : ""}${infra.protectResources ? ", resources protected" : ""}.`,
        );
        output.line("Next:");
        created.next.forEach((step, i) => output.line(`  ${i + 1}. ${step}`));
      }),
    );
  // main() gives the top-level commands its output and exit handling after registering them, too
  // late for `env new` to inherit at creation; hand them down when `env` dispatches to it.
  env.hook("preSubcommand", (parent, sub) => void sub.copyInheritedSettings(parent));
  program.addCommand(env);
};
