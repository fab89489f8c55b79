/**
 * A migration as read from disk. The loader (`migrate/files.ts`) builds these from any supported layout;
 * everything downstream (plan, apply, lint, the Pulumi resource) works on this shape only.
 */

/** A part of a migration file: its up SQL or its down SQL, with where it starts in the file. */
export interface SqlSection {
  /** The SQL text, line endings normalised to LF. */
  text: string;
  /** 1-based line in the file on which `text` starts. */
  line: number;
}

/** One versioned migration. */
export interface Migration {
  /** The version as written in the file name (`0001`, `20251106123000`). */
  version: string;
  /** The version's numeric value: migrations are ordered by it. */
  order: bigint;
  /** The name after the version (`create_products`). */
  name: string;
  /** The file, as users should see it in messages: relative to the working directory when inside it. */
  file: string;
  /** The file's absolute path. */
  path: string;
  /** sha256 (hex) of the file's content with line endings normalised: CRLF and LF give the same checksum. */
  checksum: string;
  /** The up part: the whole file, or what precedes `-- dbpipe:down`. */
  up: SqlSection;
  /** The down part, after a `-- dbpipe:down` line; undefined when the file has none. */
  down?: SqlSection;
  /** True when the file says `-- dbpipe:no-transaction`: its statements run one by one, outside a transaction. */
  noTransaction: boolean;
}
