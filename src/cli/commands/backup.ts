import { Command } from "commander";
import { formatBytes, formatRate, throttledProgress } from "../../backup/progress";
import { formatElapsed } from "../../text/duration";
import { historyHead, readHistory } from "../../migrate/history";
import { withSession } from "../../migrate/session";
import type { RegisterCommand } from "../command-io";
import { addDatabaseOption, addJsonOption, givenDatabaseUrl, openProject, projectBackupStore, type ProjectFlags, withDatabase } from "../project";

/** Flags of the backup commands. */
export interface StoreFlags extends ProjectFlags {
  store?: string;
}

/** Adds `--stack` and `--store`, the options every backup command shares. */
export function addStoreOptions(command: Command): Command {
  return command
    .option("--stack <name>", "stack whose settings apply (Pulumi.<name>.yaml)", "dev")
    .option(
      "--store <url>",
      "where backups are: file:///absolute/folder or s3://bucket/prefix (default: $DBPIPE_BACKUP_STORE, else the deployed stack's backup bucket, else .dbpipe/<stack>/backups/)",
    );
}

/** `dbpipe backup`: a pg_dump of the stack's database into its backup store, with a manifest. */
export const register: RegisterCommand = (program, io) => {
  const command = new Command("backup")
    .description("back up the database now: pg_dump (custom format) into the stack's backup store, with a manifest (size, sha256, server version, migration head)")
    .addHelpText(
      "after",
      "\nThe local folder keeps backups for the stack's dbpipe:backupRetentionDays (older ones are deleted after each new one); a bucket's lifecycle rule does that in S3.\n" +
        "Restore with: dbpipe restore <id> --to <url>. List with: dbpipe backups.",
    );
  addJsonOption(addDatabaseOption(addStoreOptions(command)));
  command.action(
    io.run(async (flags: StoreFlags) => {
      const project = openProject(flags, { migrations: false });
      const { output } = io;
      const { store, source } = await projectBackupStore(project, flags.store, io.output, { embedded: givenDatabaseUrl(flags) === undefined });
      return withDatabase(project, flags, async (database) => {
        if (!flags.json) output.line(`dbpipe backup · stack ${output.style.bold(project.settings.stack)} · ${database.shown} → ${store.url} (${source})`);
        const progress = throttledProgress((text) => output.transferProgress(`  ${text}`));
        const started = performance.now();
        const backup = await withSession(database.url, async (client) => {
          const history = await readHistory(client);
          const head = historyHead(history);
          const { takeBackup } = await import("../../backup/take-backup.js");
          return takeBackup(store, {
            url: database.url,
            client,
            stack: project.settings.stack,
            pending: [],
            head,
            onProgress: flags.json ? undefined : (p) => progress(store.url.startsWith("s3:") ? "dumping and uploading" : "dumping", p.bytes, p.elapsedMs),
          });
        });
        const ms = Math.round(performance.now() - started);
        const { manifest } = backup;
        if (flags.json) {
          output.json({ ...manifest, database: database.shown, store: store.url, ref: backup.ref, ms });
          return;
        }
        const rate = formatRate(manifest.bytes, ms);
        output.line(`  ${output.style.green("✓")} ${manifest.id} ${output.style.dim(`${formatBytes(manifest.bytes)} in ${formatElapsed(ms)}${rate ? `, ${rate}` : ""}`)}`);
        output.line(`Backed up ${manifest.head ? `at ${manifest.head}` : "(no migration applied yet)"} to ${backup.ref.replace(/^file:/, "")}; restore it with: dbpipe restore ${manifest.id} --to <url>`);
      });
    }),
  );
  program.addCommand(command);
};
