import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { makeFolder } from "../make-folder";
import type { Migration } from "../migration";
import type { Finding, LintOptions, LintedMigration } from "./lint";
import type { ColumnType } from "./ast";
import type { SchemaEvent } from "./schema-history";

/**
 * Lint results kept between runs, so `dbpipe lint` re-parses only what changed. Applied
 * migrations never change, so a history of a thousand files lints in the time it takes to read
 * them, and a pull request that adds one migration parses one file.
 *
 * A migration's result depends on its own SQL, on what every earlier migration did to the schema,
 * on the lint options and on dbpipe's own code; its key hashes all of them (the earlier
 * migrations by their checksums, in order). A result is reused only under the same key, so a
 * cached run gives exactly what a fresh run gives. The data-aware pass is never cached.
 */

/** A cached result: the migration's findings and what it did to the schema. */
interface CacheEntry {
  linted: Omit<LintedMigration, "path" | "schemaEvents">;
  events: SchemaEvent[];
}

/**
 * The cache file. Findings of a rule share its hint, and columns share a few types, so each
 * distinct hint and column type is written once, in `hints` and `types`, and a finding or a schema
 * event in the file holds its index there instead (on the lint benchmark's thousand files, 1.3 MB
 * of hints and 0.9 MB of types, of 7.5 MB).
 */
interface CacheFile {
  version: 2;
  hints: string[];
  types: ColumnType[];
  entries: Record<string, StoredEntry>;
}

/** A cache entry as the file holds it: hints and column types by their index in {@link CacheFile}. */
interface StoredEntry {
  linted: Omit<CacheEntry["linted"], "findings"> & { findings: (Omit<Finding, "hint"> & { hint: number | string })[] };
  events: StoredEvent[];
}

/** A schema event as the file holds it: a column type (of its columns, its column) by index. */
type StoredEvent = { event: string; type?: unknown; columns?: unknown };

/** The lint cache of a project, in one JSON file. */
export class LintCache {
  private readonly entries: Map<string, CacheEntry>;
  private readonly used = new Map<string, CacheEntry>();
  /** True once this run linted a migration afresh: the file then needs writing. */
  private changed = false;

  private constructor(
    private readonly file: string,
    entries: Record<string, CacheEntry>,
  ) {
    this.entries = new Map(Object.entries(entries));
  }

  /** True when the cache file exists (a run is likely to reuse most results). */
  static exists(file: string): boolean {
    return fs.existsSync(file);
  }

  /** Opens the cache at `file`; a missing or unreadable file is an empty cache. */
  static open(file: string): LintCache {
    try {
      const data = JSON.parse(fs.readFileSync(file, "utf8")) as CacheFile;
      if (data.version === 2 && Array.isArray(data.hints) && Array.isArray(data.types) && data.entries && typeof data.entries === "object") {
        const { hints, types } = data;
        // Assigned in place, so each key keeps its place among its object's keys (the output's order).
        for (const entry of Object.values(data.entries)) {
          for (const f of entry.linted.findings) if (typeof f.hint === "number") f.hint = hints[f.hint];
          for (const e of entry.events) {
            if (typeof e.type === "number" && (e.event === "add-column" || e.event === "set-type")) e.type = types[e.type];
            else if (e.event === "create-table" && Array.isArray(e.columns)) for (const c of e.columns as { type?: unknown }[]) if (typeof c.type === "number") c.type = types[c.type];
          }
        }
        return new LintCache(file, data.entries as Record<string, CacheEntry>);
      }
    } catch {
      // No cache yet, a damaged one, or one of an older dbpipe: start afresh.
    }
    return new LintCache(file, {});
  }

  /**
   * Lints `migrations` with `lint`, reusing the results of an earlier run for every migration
   * up to the first one whose key changed, and linting from there on with the earlier ones'
   * schema events as history.
   */
  async lint(
    migrations: readonly Migration[],
    options: LintOptions,
    lint: (migrations: readonly Migration[], options: LintOptions) => Promise<LintedMigration[]>,
  ): Promise<LintedMigration[]> {
    const sorted = [...migrations].sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    const keys = cacheKeys(sorted, options);
    const reused: LintedMigration[] = [];
    const events: SchemaEvent[] = [];
    let first = 0;
    for (; first < sorted.length; first++) {
      const entry = this.entries.get(keys[first]);
      if (!entry) break;
      this.used.set(keys[first], entry);
      // Shared with the entry, not copied: callers save() before anything changes a result (the data-aware pass).
      reused.push({ ...entry.linted, path: sorted[first].path });
      for (const e of entry.events) events.push(e);
    }
    if (first === sorted.length) return reused;
    const fresh = await lint(sorted.slice(first), { ...options, historyEvents: [...(options.historyEvents ?? []), ...events], keepSchemaEvents: true });
    this.changed = true;
    for (const [i, m] of fresh.entries()) {
      const { path: _path, schemaEvents, ...linted } = m;
      this.used.set(keys[first + i], { linted, events: schemaEvents ?? [] });
      delete m.schemaEvents;
    }
    return [...reused, ...fresh];
  }

  /**
   * Writes the entries this run used (so the cache never grows past one history's worth), unless
   * they are the ones the file holds already. Call it before changing any result.
   */
  save(): void {
    if (!this.changed && this.used.size === this.entries.size) return;
    try {
      makeFolder(path.dirname(this.file));
      const temporary = `${this.file}.${process.pid}.tmp`;
      const hints = new Distinct<string>();
      const types = new Distinct<ColumnType>(sameType);
      // The hints and types are replaced by their indexes in place, in the results themselves, for
      // as long as JSON.stringify takes, and put back after: each key keeps its place among its
      // object's keys, and no copy of 10,000 findings is made for the one write.
      const restore: [target: { hint?: unknown; type?: unknown }, key: "hint" | "type", value: unknown][] = [];
      const swap = (target: { hint?: unknown; type?: unknown }, key: "hint" | "type", id: number) => {
        restore.push([target, key, target[key]]);
        target[key] = id;
      };
      let text: string;
      try {
        const entries: Record<string, StoredEntry> = {};
        for (const [key, { linted, events }] of this.used) {
          for (const f of linted.findings) if (typeof f.hint === "string") swap(f, "hint", hints.id(f.hint, f.hint));
          for (const e of events) {
            if ((e.event === "add-column" || e.event === "set-type") && e.type && typeof e.type === "object") swap(e, "type", types.id(e.type, e.type.display));
            else if (e.event === "create-table" && e.columns) for (const c of e.columns) if (c.type && typeof c.type === "object") swap(c, "type", types.id(c.type, c.type.display));
          }
          entries[key] = { linted, events } as unknown as StoredEntry;
        }
        const data: CacheFile = { version: 2, hints: hints.values, types: types.values, entries };
        text = JSON.stringify(data);
      } finally {
        for (let i = restore.length - 1; i >= 0; i--) {
          const [target, key, value] = restore[i];
          target[key] = value;
        }
      }
      fs.writeFileSync(temporary, text);
      fs.renameSync(temporary, this.file);
    } catch {
      // A cache that cannot be written only makes the next run slower.
    }
  }
}

/**
 * Distinct values, each written once and referred to by its index. Values are looked up by a key
 * and told apart within it by `same`: a hint is its own key; a column type is looked up by its
 * display text and compared field by field (a history of a thousand files has some 12,000 column
 * types and a handful of distinct ones; making a key of every field for each cost the save about
 * 30 ms).
 */
class Distinct<T> {
  readonly values: T[] = [];
  private readonly ids = new Map<string, number[]>();

  constructor(private readonly same: (a: T, b: T) => boolean = () => true) {}

  /** The index of `value`, looked up by `key`. */
  id(value: T, key: string): number {
    let ids = this.ids.get(key);
    if (!ids) this.ids.set(key, (ids = []));
    for (const id of ids) if (this.same(this.values[id], value)) return id;
    const id = this.values.push(value) - 1;
    ids.push(id);
    return id;
  }
}

/** Whether two column types are equal in every field (ast.ts makes them all with one object literal, so in one key order). */
function sameType(a: ColumnType, b: ColumnType): boolean {
  if (a.name !== b.name || a.schema !== b.schema || a.array !== b.array || a.opaque !== b.opaque || a.display !== b.display) return false;
  if (a.modifiers.length !== b.modifiers.length) return false;
  for (let i = 0; i < a.modifiers.length; i++) if (a.modifiers[i] !== b.modifiers[i]) return false;
  return true;
}

/** Each migration's cache key: dbpipe's code, the options, the history, and every migration up to it. */
function cacheKeys(migrations: readonly Migration[], options: LintOptions): string[] {
  const prefix = createHash("sha256");
  prefix.update(codeFingerprint());
  prefix.update(
    JSON.stringify({
      ruleSeverity: options.ruleSeverity ?? {},
      lockTimeoutMs: options.lockTimeoutMs ?? null,
      statementTimeoutMs: options.statementTimeoutMs ?? null,
      extensions: options.extensions ?? [],
      history: (options.history ?? []).map((m) => [m.version, m.checksum]),
      historyEvents: options.historyEvents ?? [],
    }),
  );
  return migrations.map((m) => {
    prefix.update(`\n${m.version}\0${m.file}\0${m.checksum}\0${m.noTransaction}\0${m.up.line}`);
    return prefix.copy().digest("hex");
  });
}

let fingerprint: string | undefined;

/** A hash of the linter's own code (this folder), so a new dbpipe never reuses an old one's results. */
function codeFingerprint(): string {
  if (fingerprint) return fingerprint;
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort(byName)) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(js|ts)$/.test(entry.name)) hash.update(entry.name).update(fs.readFileSync(full));
    }
  };
  walk(__dirname);
  hash.update(fs.readFileSync(path.join(__dirname, "../risk-level" + path.extname(__filename))));
  fingerprint = hash.digest("hex");
  return fingerprint;
}

/** Directory entries in code-unit order: the same on every machine, and no collator to load (localeCompare's first call costs 12 ms). */
function byName(a: fs.Dirent, b: fs.Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
