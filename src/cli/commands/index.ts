import type { RegisterCommand } from "../command-io";

/** A command: its name, and its module's `register`, loaded only when the command runs (or `--help` lists every command). */
export interface CommandEntry {
  /** The command's name, as typed: `up`. */
  name: string;
  /** Loads the command's module and returns its `register`. */
  load(): Promise<RegisterCommand>;
}

/**
 * Every `dbpipe` command, in the order `--help` lists them. Adding a command: one file, one line
 * here. A run loads only the module of the command it runs, so `up` never loads what `restore` or
 * `diff` need; and a command's module loads the core it runs (the deploy, the linter, the backup)
 * inside its action, so `--help`, which registers every command and runs none, loads none of it.
 */
export const COMMANDS: readonly CommandEntry[] = [
  { name: "up", load: async () => (await import("./up.js")).register },
  { name: "plan", load: async () => (await import("./plan.js")).register },
  { name: "status", load: async () => (await import("./status.js")).register },
  { name: "lint", load: async () => (await import("./lint.js")).register },
  { name: "baseline", load: async () => (await import("./baseline.js")).register },
  { name: "down", load: async () => (await import("./down.js")).register },
  { name: "repair", load: async () => (await import("./repair.js")).register },
  { name: "backup", load: async () => (await import("./backup.js")).register },
  { name: "backups", load: async () => (await import("./backups.js")).register },
  { name: "restore", load: async () => (await import("./restore.js")).register },
  { name: "adopt", load: async () => (await import("./adopt.js")).register },
  { name: "verify", load: async () => (await import("./verify.js")).register },
  { name: "diff", load: async () => (await import("./diff.js")).register },
  { name: "env", load: async () => (await import("./env.js")).register },
  { name: "tunnel", load: async () => (await import("./tunnel.js")).register },
];

/**
 * The commands a run of `argv` needs: the one its first argument names, or every command when that
 * names none of them (`--help`, `--version`, `help up`, a typo that needs a did-you-mean).
 */
export function commandsFor(argv: readonly string[]): readonly CommandEntry[] {
  const named = COMMANDS.find((c) => c.name === argv[0]);
  return named ? [named] : COMMANDS;
}
