import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbedded } from "../../src/local/embedded";

/**
 * Starts one real PostgreSQL for the test run: `TEST_DATABASE_URL` when set (an existing server,
 * e.g. Debian's postgresql in CI), otherwise an embedded PostgreSQL 15 in a temporary folder.
 * Test files create a fresh database each with `freshDatabase()` from `database.ts`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.TEST_DATABASE_URL) {
    project.provide("adminUrl", process.env.TEST_DATABASE_URL);
    return async () => {};
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-test-pg-"));
  const server = await startEmbedded({ dataDir: dir });
  project.provide("adminUrl", server.url);
  return async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    adminUrl: string;
  }
}
