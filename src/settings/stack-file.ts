import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "../errors";
import { didYouMean } from "../text/did-you-mean";
import type { LineCounter } from "yaml";
import { type ParseOptions, type RawStackConfig, type StackSettings, SettingsError, parseStackSettings, tierOfStackName } from "./stack-settings";

/**
 * Reading a stack's settings from `Pulumi.<stack>.yaml`, as the CLI does. Secret values there are
 * encrypted (`secure: v1:...`): the CLI sees that they are secrets but cannot read them, which is
 * all it needs: migrations take their URL from `--database-url` or the environment.
 */

/** The top-level keys of a Pulumi stack file (Pulumi's ProjectStack). */
const STACK_FILE_KEYS: readonly string[] = ["config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"];

/** Valid stack names: what Pulumi accepts, and safe as a file and folder name. */
export const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** The path of a stack's settings file in `projectDir`. */
export function stackFilePath(projectDir: string, stack: string): string {
  return path.join(projectDir, `Pulumi.${stack}.yaml`);
}

/**
 * Reads the raw config of `Pulumi.<stack>.yaml`, with the line of each key. Returns undefined when
 * the file does not exist. Throws {@link SettingsError} when the file is not valid YAML or not shaped
 * like a Pulumi stack file.
 */
export function readStackFile(projectDir: string, stack: string): RawStackConfig | undefined {
  const file = stackFilePath(projectDir, stack);
  const source = path.basename(file);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "EISDIR") throw new InputError(`${file} is a directory, not a stack settings file: remove or rename it`);
    if (code === "ELOOP") throw new InputError(`${file} is a symbolic link that loops: point it at a file`);
    if (code === "EACCES") throw new InputError(`${file} cannot be read (permission denied)`);
    throw error;
  }
  return plainStackConfig(text, stack, source) ?? yamlStackConfig(text, stack, source);
}

/** `key: value` of a plain stack file: an indented key (`dbpipe:tier`, `aws:region`, `tier`), a value, maybe a comment. */
const PLAIN_ENTRY = /^( +)([A-Za-z][\w.-]*(?::[A-Za-z][\w.-]*)?):(?: +(\S+?))?(?: +#.*)? *$/;
/** A value the YAML reader takes as a string without quotes: none of its core schema's null, booleans or numbers, no `:` or `#`. */
const PLAIN_STRING = /^[A-Za-z_/][\w./@+-]*$/;
const NOT_PLAIN_STRINGS = new Set(["null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"]);

/**
 * The config of a stack file written the way `dbpipe env new` writes it (comments, `config:`, one
 * line per key with a plain, quoted, boolean or integer value), read without the YAML reader, which
 * `up` and `lint` would otherwise load for three lines (some 40 ms of a start of 300). Anything
 * else (a list, a map, a secret, an escape, a tab, a line it does not know) gives `undefined`, and
 * the YAML reader reads the file. Where it gives a result, the result is the YAML reader's:
 * test/settings/stack-file-plain.test.ts compares the two on every stack file `env new` writes.
 */
export function plainStackConfig(text: string, stack: string, source: string): RawStackConfig | undefined {
  if (/[\r\t\uFEFF]/.test(text)) return undefined;
  const values: Record<string, unknown> = {};
  const lines = new Map<string, number>();
  let inConfig = false;
  let indent: string | undefined;
  const all = text.split("\n");
  for (let i = 0; i < all.length; i++) {
    const line = all[i];
    if (/^ *(#.*)?$/.test(line)) continue;
    if (/^config: *(?: #.*)?$/.test(line)) {
      if (inConfig) return undefined;
      inConfig = true;
      continue;
    }
    const entry = inConfig ? PLAIN_ENTRY.exec(line) : null;
    if (!entry) return undefined;
    const [, spaces, key, written] = entry;
    indent ??= spaces;
    const value = written === undefined ? undefined : plainValue(written);
    if (spaces !== indent || value === undefined) return undefined;
    const fullKey = key.includes(":") ? key : `dbpipe:${key}`;
    if (fullKey in values) return undefined;
    values[fullKey] = value;
    lines.set(fullKey, i + 1);
  }
  return { stack, source, values, secretKeys: new Set(), lines };
}

/** A value as the YAML reader's core schema reads it, for the forms {@link plainStackConfig} takes; `undefined` for any other. */
function plainValue(written: string): string | number | boolean | undefined {
  // Printable characters only between the quotes (PLAIN_ENTRY already keeps out spaces): no escapes, no control characters.
  const quoted = /^"([^"\\]*)"$/.exec(written) ?? /^'([^']*)'$/.exec(written);
  if (quoted && /^[^\p{Cc}]*$/u.test(quoted[1])) return quoted[1];
  if (quoted) return undefined;
  if (/^(?:true|True|TRUE)$/.test(written)) return true;
  if (/^(?:false|False|FALSE)$/.test(written)) return false;
  if (/^(?:0|[1-9][0-9]{0,14})$/.test(written)) return Number(written);
  return PLAIN_STRING.test(written) && !NOT_PLAIN_STRINGS.has(written) ? written : undefined;
}

/** The config of a stack file as the YAML reader reads it, with the line of each key. */
export function yamlStackConfig(text: string, stack: string, source: string): RawStackConfig {
  // Loaded only for a file plainStackConfig does not read: the YAML reader is the largest module `dbpipe lint` would load.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { LineCounter, isMap, isScalar, parseDocument } = require("yaml") as typeof import("yaml");
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    // Without pretty errors (which would add a code frame to the message) the line is the counter's.
    const line = first.linePos?.[0]?.line ?? (first.pos?.[0] !== undefined ? lineCounter.linePos(first.pos[0]).line : undefined);
    throw new SettingsError(source, [{ key: "(file)", message: `not valid YAML: ${first.message.split("\n")[0]}`, line }]);
  }
  const values: Record<string, unknown> = {};
  const secretKeys = new Set<string>();
  const lines = new Map<string, number>();
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ""))) {
    return { stack, source, values, secretKeys, lines };
  }
  if (!isMap(root)) throw new SettingsError(source, [{ key: "(file)", message: "must be a YAML map with a config: section", line: 1 }]);
  // A misspelt `config:` would drop every setting of the stack (a prod stack's approvals too) without a word.
  const unknown = root.items.map((i) => ({ name: String(isScalar(i.key) ? i.key.value : i.key), key: i.key })).filter((i) => !STACK_FILE_KEYS.includes(i.name));
  if (unknown.length > 0) {
    throw new SettingsError(
      source,
      unknown.map(({ name, key }) => ({
        key: name,
        message: `is not a key of a stack file${didYouMean(name, STACK_FILE_KEYS, { ignoreCase: true, maxDistance: 3 })} (a stack file holds ${STACK_FILE_KEYS.join(", ")}; dbpipe's settings go under config:)`,
        line: lineOf(lineCounter, key),
      })),
    );
  }
  const config = root.get("config", true);
  if (config === undefined || config === null || (isScalar(config) && config.value === null)) {
    return { stack, source, values, secretKeys, lines };
  }
  if (!isMap(config)) {
    throw new SettingsError(source, [{ key: "config", message: "must be a map of keys to values", line: lineOf(lineCounter, root.items.find((i) => isScalar(i.key) && i.key.value === "config")?.key) }]);
  }
  for (const item of config.items) {
    const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
    const fullKey = key.includes(":") ? key : `dbpipe:${key}`;
    const line = lineOf(lineCounter, item.key);
    if (line !== undefined) lines.set(fullKey, line);
    // The lines of a map's own keys (dbpipe:ruleSeverity's rule ids), for problems about one of them.
    if (isMap(item.value)) {
      for (const child of item.value.items) {
        const childLine = lineOf(lineCounter, child.key);
        if (isScalar(child.key) && childLine !== undefined) lines.set(`${fullKey}.${String(child.key.value)}`, childLine);
      }
    }
    const value: unknown = item.value && typeof (item.value as { toJSON?: unknown }).toJSON === "function" ? (item.value as { toJSON(): unknown }).toJSON() : item.value;
    if (value !== null && typeof value === "object" && !Array.isArray(value) && "secure" in value && Object.keys(value).length === 1) {
      secretKeys.add(fullKey);
      values[fullKey] = undefined;
      continue;
    }
    values[fullKey] = value;
  }
  return { stack, source, values, secretKeys, lines };
}

function lineOf(counter: LineCounter, node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | undefined)?.range;
  return range ? counter.linePos(range[0]).line : undefined;
}

/**
 * Loads and validates a stack's settings for the CLI. A stack without a settings file is allowed
 * when its name is a tier (the tier's defaults apply); any other stack needs its file.
 */
export function loadStackSettings(projectDir: string, stack: string, options: ParseOptions = {}): StackSettings {
  if (!STACK_NAME.test(stack)) {
    throw new InputError(`--stack: "${stack}" is not a valid stack name (letters, digits, _ . -)`);
  }
  const raw = readStackFile(projectDir, stack);
  if (raw) return parseStackSettings(raw, options);
  if (tierOfStackName(stack)) {
    return parseStackSettings({ stack, source: `defaults of the ${stack} tier (no Pulumi.${stack}.yaml)`, values: {}, secretKeys: new Set() }, options);
  }
  const stacks = stacksIn(projectDir);
  throw new InputError(
    `--stack ${stack}: ${stackFilePath(projectDir, stack)} does not exist ` +
      `(${stacks.length > 0 ? `stacks here: ${stacks.join(", ")}` : "no stack has a settings file here"}); ` +
      `create it with \`dbpipe env new ${stack} --tier <dev|test|prod>\``,
  );
}

/** The stacks with a settings file in `projectDir` (`Pulumi.<stack>.yaml`), sorted. */
export function stacksIn(projectDir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(projectDir);
  } catch {
    return [];
  }
  return names
    .map((name) => /^Pulumi\.(.+)\.yaml$/.exec(name)?.[1])
    .filter((stack): stack is string => stack !== undefined && STACK_NAME.test(stack) && isFile(stackFilePath(projectDir, stack)))
    .sort();
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
