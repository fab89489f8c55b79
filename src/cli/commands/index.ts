import type { RegisterCommand } from "../command-io";
import { register as adopt } from "./adopt";
import { register as backup } from "./backup";
import { register as backups } from "./backups";
import { register as baseline } from "./baseline";
import { register as diff } from "./diff";
import { register as down } from "./down";
import { register as env } from "./env";
import { register as lint } from "./lint";
import { register as plan } from "./plan";
import { register as repair } from "./repair";
import { register as restore } from "./restore";
import { register as status } from "./status";
import { register as tunnel } from "./tunnel";
import { register as up } from "./up";
import { register as verify } from "./verify";

/** Every `dbpipe` command, in the order `--help` lists them. Adding a command: one file, one line here. */
export const COMMANDS: readonly RegisterCommand[] = [up, plan, status, lint, baseline, down, repair, backup, backups, restore, adopt, verify, diff, env, tunnel];
