import { Command } from "commander";
import { formatBytes } from "../../backup/progress";
import type { RegisterCommand } from "../command-io";
import { addJsonOption, openProject, projectBackupStore } from "../project";
import { type StoreFlags, addStoreOptions } from "./backup";

/** `dbpipe backups`: the backups in the stack's store, newest first. Needs no database. */
export const register: RegisterCommand = (program, io) => {
  const command = new Command("backups").description("list the backups in the stack's backup store, newest first (only complete ones: a dump with its manifest)");
  addJsonOption(addStoreOptions(command));
  command.action(
    io.run(async (flags: StoreFlags) => {
      const project = openProject(flags, { migrations: false });
      const { output } = io;
      const s = output.style;
      const { store, source } = await projectBackupStore(project, flags.store, io.output);
      const backups = await store.list();
      if (flags.json) {
        output.json({ stack: project.settings.stack, store: store.url, backups: backups.map((b) => ({ ...b.manifest, ref: b.ref })) });
        return;
      }
      if (backups.length === 0) {
        output.line(`No backups in ${store.url} (${source}). Take one with: dbpipe backup --stack ${project.settings.stack}`);
        return;
      }
      output.line(`Backups in ${store.url} (${source}), newest first:`);
      const width = Math.max(...backups.map((b) => b.manifest.id.length));
      for (const { manifest: m } of backups) {
        const when = m.createdAt.replace("T", " ").replace(/\.\d+Z$/, "Z");
        const before = m.before.length > 0 ? ` before ${m.before.map((b) => b.version).join(", ")}` : "";
        output.line(`  ${m.id.padEnd(width)}  ${when}  ${formatBytes(m.bytes).padStart(10)}  ${s.dim(`head ${m.head ?? "none"}${before}, PostgreSQL ${m.serverVersion}`)}`);
      }
      output.line(`${backups.length} backup${backups.length === 1 ? "" : "s"}. Restore one with: dbpipe restore <id> --to <url>; check the newest with: dbpipe restore --drill`);
    }),
  );
  program.addCommand(command);
};
