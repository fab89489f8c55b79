import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll } from "vitest";
import type { EngineOptions } from "../../src/migrate/engine";
import { splitWithParser } from "../../src/migrate/statements";
import { parseStackSettings, type StackSettings } from "../../src/settings/stack-settings";

/** A temporary folder holding `files` (path → content), removed when the test file ends. */
export function tempFolder(files: Record<string, string> = {}, prefix = "dbpipe-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  writeFiles(dir, files);
  return dir;
}

/** Writes `files` (path → content) under `dir`, creating folders. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
}

/** A stack's settings from dbpipe config values (without the `dbpipe:` prefix). */
export function settingsFor(stack = "dev", values: Record<string, unknown> = {}): StackSettings {
  return parseStackSettings({
    stack,
    source: `Pulumi.${stack}.yaml`,
    values: Object.fromEntries(Object.entries(values).map(([k, v]) => [`dbpipe:${k}`, v])),
    secretKeys: new Set(),
  });
}

/** Engine options for a migrations folder and a database. */
export function engineFor(migrationsDir: string, databaseUrl: string, settings: StackSettings = settingsFor()): EngineOptions {
  return { settings, migrationsDir, databaseUrl, displayBase: migrationsDir, splitStatements: splitWithParser };
}
