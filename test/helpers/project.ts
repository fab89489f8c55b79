import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, onTestFinished } from "vitest";
import type { EngineOptions } from "../../src/migrate/run";
import { parseStackSettings, type StackSettings } from "../../src/settings/stack-settings";

/**
 * A temporary folder holding `files` (path → content), removed with the data of any embedded
 * PostgreSQL that a test kept outside it (as root, under /var/lib/dbpipe): when the test ends if
 * made inside a test, else when the test file ends.
 */
const madeOutsideTests = new Set<() => void>();
// Registered when this module loads, before the test file's own hooks: afterAll hooks run in
// reverse order, so this one runs last, after the hooks that still use the folders.
afterAll(() => {
  for (const remove of madeOutsideTests) remove();
  madeOutsideTests.clear();
});

export function tempFolder(files: Record<string, string> = {}, prefix = "dbpipe-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const remove = () => {
    for (const data of embeddedDataOutside(dir)) fs.rmSync(data, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // onTestFinished only works inside a test; a folder made outside one (in a beforeAll, or at the
  // top of the file) is removed by the one afterAll below: an afterAll registered inside a hook
  // never runs.
  try {
    onTestFinished(remove);
  } catch {
    madeOutsideTests.add(remove);
  }
  writeFiles(dir, files);
  return dir;
}

/** The embedded servers' data folders that `.dbpipe/<stack>/data-location` files under `project` point to. */
export function embeddedDataOutside(project: string): string[] {
  const stacks = path.join(project, ".dbpipe");
  if (!fs.existsSync(stacks)) return [];
  return fs
    .readdirSync(stacks)
    .map((stack) => path.join(stacks, stack, "data-location"))
    .filter((pointer) => fs.existsSync(pointer))
    .map((pointer) => fs.readFileSync(pointer, "utf8").trim())
    .filter((data) => data.startsWith("/var/lib/dbpipe/"));
}

/** Where the embedded PostgreSQL of `project`'s `stack` keeps its files (`.dbpipe/<stack>/data`, or where data-location points). */
export function embeddedDataDir(project: string, stack = "dev"): string {
  const pointer = path.join(project, ".dbpipe", stack, "data-location");
  return fs.existsSync(pointer) ? fs.readFileSync(pointer, "utf8").trim() : path.join(project, ".dbpipe", stack, "data");
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
  return { settings, migrationsDir, databaseUrl, displayBase: migrationsDir };
}
