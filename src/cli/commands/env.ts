import * as path from "node:path";
import { Command, Option } from "commander";
import { newEnvironment } from "../../settings/env-new";
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
    .addHelpText(
      "after",
      "\nThen: pulumi stack init <name> && pulumi up --stack <name> (see docs/pulumi.md).\nExit codes: 0 written, 2 invalid name, tier or region, or the file exists.",
    )
    .action(
      io.run(async (name: string, flags: { tier: Tier; region?: string }) => {
        const projectDir = findProjectDir();
        const created = newEnvironment({ projectDir, name, tier: flags.tier, region: flags.region });
        const { infra } = created.settings;
        const { output } = io;
        output.line(`Wrote ${path.relative(process.cwd(), created.file) || created.file}: environment ${output.style.bold(name)}, tier ${created.settings.tier}.`);
        output.line(
          `  ${infra.server} server ${infra.instanceClass}, backups kept ${infra.backupRetentionDays} days` +
            `${infra.backupObjectLock ? " under Object Lock" : ""}${infra.protectResources ? ", resources protected" : ""}.`,
        );
        output.line(`Next: pulumi stack init ${name} && pulumi up --stack ${name}`);
      }),
    );
  // main() gives the top-level commands its output and exit handling after registering them, too
  // late for `env new` to inherit at creation; hand them down when `env` dispatches to it.
  env.hook("preSubcommand", (parent, sub) => void sub.copyInheritedSettings(parent));
  program.addCommand(env);
};
