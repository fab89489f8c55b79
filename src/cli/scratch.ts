import * as path from "node:path";
import { isPostgresUrl } from "../database-url";
import { InputError } from "../errors";
import { startEmbedded } from "../local/embedded";
import { rememberUrlSecrets } from "../redact";
import { type DatabaseTarget, type Project, type ProjectFlags, givenDatabaseUrl } from "./project";

/** `--scratch-url`, as commander parses it. */
export interface ScratchFlags extends ProjectFlags {
  scratchUrl?: string;
}

/**
 * Runs `fn` with a server to create scratch databases on: `--scratch-url`; else, when the live
 * database is the stack's embedded PostgreSQL, that same server; else an embedded PostgreSQL kept
 * in `.dbpipe/scratch/`, started for the command and stopped after.
 */
export async function withScratchServer<T>(project: Project, flags: ScratchFlags, database: DatabaseTarget, fn: (serverUrl: string, shown: string) => Promise<T>): Promise<T> {
  if (flags.scratchUrl !== undefined) {
    rememberUrlSecrets(flags.scratchUrl);
    if (!isPostgresUrl(flags.scratchUrl)) throw new InputError(`--scratch-url must be a postgres:// or postgresql:// URL of a server where dbpipe may create (and drop) a scratch database`);
    return fn(flags.scratchUrl, "the --scratch-url server");
  }
  if (givenDatabaseUrl(flags) === undefined) return fn(database.url, "the embedded PostgreSQL");
  const server = await startEmbedded({ dataDir: path.join(project.dir, ".dbpipe", "scratch") });
  rememberUrlSecrets(server.url);
  try {
    return await fn(server.url, "an embedded PostgreSQL in .dbpipe/scratch");
  } finally {
    await server.stop();
  }
}
