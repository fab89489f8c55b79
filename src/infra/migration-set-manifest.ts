import type { Migration } from "../migration";

/**
 * The MigrationSet's manifest: what the program records of the migrations and what the provider
 * checks them against. A leaf module (types only besides itself), so that the provider's Check and
 * Diff load nothing else to read it.
 */

/**
 * The migrations as the resource records them: one entry per file, keyed `<version>_<name>` (so
 * `pulumi preview` shows one line per new migration, `+ 0006_add_invoices: "…"`), valued by the
 * file's sha256 checksum, followed by ` no-transaction` for a file that runs outside a transaction.
 */
export type MigrationManifest = Record<string, string>;

/** One manifest entry, parsed. */
export interface ManifestEntry {
  /** The version as written in the file name (`0006`). */
  version: string;
  /** The name after the version (`add_invoices`). */
  name: string;
  /** sha256 (hex) of the file, as `dbpipe plan --json` prints it. */
  checksum: string;
  /** False for a `-- dbpipe:no-transaction` file. */
  transactional: boolean;
}

/** A manifest key: `<version>_<name>`. */
export const MANIFEST_KEY = /^(\d+)_(.+)$/s;
/** A manifest value: the checksum, and ` no-transaction` when the file says so. */
export const MANIFEST_VALUE = /^([0-9a-f]{64})( no-transaction)?$/;

/** The manifest of `migrations`. */
export function migrationManifest(migrations: readonly Migration[]): MigrationManifest {
  const manifest: MigrationManifest = {};
  for (const m of migrations) manifest[`${m.version}_${m.name}`] = `${m.checksum}${m.noTransaction ? " no-transaction" : ""}`;
  return manifest;
}

/** Parses one manifest entry; undefined when the key or the value is malformed. */
export function parseManifestEntry(key: string, value: unknown): ManifestEntry | undefined {
  const k = MANIFEST_KEY.exec(key);
  const v = typeof value === "string" ? MANIFEST_VALUE.exec(value) : null;
  if (!k || !v) return undefined;
  return { version: k[1], name: k[2], checksum: v[1], transactional: v[2] === undefined };
}

/**
 * The manifest as the resource's `manifest` input carries it: one JSON text of the map. One string
 * instead of a map of 1,000 entries: Pulumi's host unmarshals, converts and marshals back every
 * input of every call (Check's old and new inputs and its answer, Diff's new inputs), entry by
 * entry, and that was most of what a `pulumi up` with nothing pending cost the provider. `pulumi
 * preview --diff` still shows one line per new migration: it shows a change to a JSON text as the
 * change of the value it encodes (`~ manifest: (json) { + 0006_add_invoices: "…" }`).
 */
export function manifestText(manifest: MigrationManifest): string {
  return JSON.stringify(manifest);
}

/**
 * The manifest an input carries: its JSON text, or the map itself (the shape the input had before,
 * still in the state of a stack not updated since); undefined when it is neither.
 */
export function readManifest(value: unknown): Record<string, unknown> | undefined {
  let manifest: unknown = value;
  if (typeof value === "string") {
    try {
      manifest = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return typeof manifest === "object" && manifest !== null && !Array.isArray(manifest) ? (manifest as Record<string, unknown>) : undefined;
}
