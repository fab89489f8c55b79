import * as fs from "node:fs";
import { parse, stringify } from "yaml";
import { KEYS, type KeyEntry, type KeyGroup, keyDescription, tierDefault, writtenValue } from "./keys";
import { CONFIG_NAMESPACE, type ServerMode } from "./stack-settings-types";
import { loadStackSettings, stackFilePath } from "./stack-file";
import type { Tier } from "./tiers";

/**
 * The `config:` section of a stack file (`Pulumi.<stack>.yaml`) as dbpipe lays it out: every key
 * under a comment that is its description in the key table (`keys.ts`), in the sections `dbpipe env
 * new` writes. `dbpipe env new` writes a new file with it; `npm run settings:generate` rewrites the
 * comments and the commented lines of the project's stack files with it, keeping every value as its
 * owner wrote it (the item's lines verbatim), and a test fails when a checked-in stack file differs
 * from what it would write.
 *
 * What is generated: the comment lines of the config section (each key's description, the section
 * headings), the commented lines of migration policy (today's tier value) and of optional keys (the
 * key table's example), and the order of the items. What is kept: the file's text before `config:`
 * and after the section, and each set item's own lines.
 */

/** The AWS region key, which every stack file sets and dbpipe reads (`aws:region`). */
const REGION_KEY = "aws:region";

/** Groups whose keys only mean something in one server mode. */
const GROUP_SERVER: Partial<Record<KeyGroup, ServerMode>> = { rds: "rds", network: "rds", alarms: "rds", external: "external" };

/** Returns true when `entry` means something for a stack whose server is `server`. */
export function keyAppliesTo(entry: KeyEntry, server: ServerMode): boolean {
  const only = GROUP_SERVER[entry.group];
  return only === undefined || only === server;
}

/** What the config section is rendered from. */
export interface ConfigSectionInput {
  /** The stack's tier: the commented policy lines show its values. */
  tier: Tier;
  /** The stack's server mode: optional keys of the other mode are not offered. */
  server: ServerMode;
  /** The items that are set, by full key (`dbpipe:tier`, `aws:region`), each as its lines in the file (indentation included). */
  items: ReadonlyMap<string, readonly string[]>;
  /** The indentation of the section's items. Default two spaces. */
  indent?: string;
}

/** The widest a generated comment line gets, indentation included, before it wraps. */
const COMMENT_WIDTH = 100;

/** `text` as comment lines at `indent`, wrapped at word boundaries. */
function comment(text: string, indent: string): string[] {
  const prefix = `${indent}# `;
  const lines: string[] = [];
  let line = "";
  // A tier's values (`false / false / true`) stay on one line.
  const words = text.split(/(?<! \/) (?!\/ )/).filter((w) => w.trim() !== "");
  for (const word of words) {
    if (line !== "" && prefix.length + line.length + 1 + word.length > COMMENT_WIDTH) {
      lines.push(prefix + line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  lines.push(prefix + line);
  return lines;
}

/** One `key: value` line as YAML writes it. */
export function configLine(fullKey: string, value: unknown, indent = "  "): string {
  return `${indent}${fullKey}: ${stringify(value, { lineWidth: 0 }).trim()}`;
}

/** The lines of the config section after `config:`. */
export function configSectionLines(input: ConfigSectionInput): string[] {
  const indent = input.indent ?? "  ";
  const out: string[] = [];
  const written = new Set<string>();
  const fullKey = (entry: KeyEntry) => `${CONFIG_NAMESPACE}:${entry.name}`;
  const emit = (key: string, description: string | undefined) => {
    const lines = input.items.get(key);
    if (lines === undefined || written.has(key)) return false;
    if (description !== undefined) out.push(...comment(description, indent));
    out.push(...lines);
    written.add(key);
    return true;
  };
  const emitKey = (entry: KeyEntry) => emit(fullKey(entry), keyDescription(entry));
  const heading = (text: string) => {
    if (out.length > 0) out.push("");
    out.push(...comment(text, indent));
  };
  const isSet = (entry: KeyEntry) => input.items.has(fullKey(entry));
  const writtenByEnvNew = (entry: KeyEntry) => typeof entry.newStack === "object" && "written" in entry.newStack;

  // The environment's identity: region, other packages' keys, tier, server, database, network path.
  if (!emit(REGION_KEY, "AWS region of every resource of this environment.")) {
    out.push(...comment("AWS region of every resource (unset: the region of whoever runs pulumi up).", indent), `${indent}# ${REGION_KEY}: eu-west-1`);
  }
  for (const key of input.items.keys()) if (!key.startsWith(`${CONFIG_NAMESPACE}:`)) emit(key, undefined);
  for (const entry of KEYS) if (entry.newStack === "identity" || writtenByEnvNew(entry)) emitKey(entry);

  const resources = KEYS.filter((k) => k.newStack === "resource" && isSet(k));
  if (resources.length > 0) {
    heading("Resources: explicit values, the tier's defaults when this file was written.");
    for (const entry of resources) emitKey(entry);
  }
  const policy = KEYS.filter((k) => k.newStack === "policy");
  const others = KEYS.filter((k) => isSet(k) && !written.has(fullKey(k)) && !policy.includes(k));
  // Keys the table does not know (the parser refuses them) are kept too, never dropped.
  const unknown = [...input.items.keys()].filter((key) => !written.has(key) && !KEYS.some((k) => fullKey(k) === key));
  if (others.length > 0 || unknown.length > 0) {
    heading("Set for this environment.");
    for (const entry of others) emitKey(entry);
    for (const key of unknown) emit(key, undefined);
  }
  const shownPolicy = policy.filter((k) => isSet(k) || keyAppliesTo(k, input.server));
  if (shownPolicy.length > 0) {
    heading("Migration policy: follows the tier; uncomment a line to pin it.");
    for (const entry of shownPolicy) {
      if (emitKey(entry)) continue;
      out.push(...comment(keyDescription(entry), indent), `${indent}# ${configLine(fullKey(entry), writtenValue(entry, tierDefault(entry, input.tier)), "").trimStart()}`);
    }
  }
  const examples = KEYS.filter((k) => typeof k.newStack === "object" && "example" in k.newStack && !isSet(k) && keyAppliesTo(k, input.server));
  if (examples.length > 0) {
    heading("Optional: uncomment and edit what this environment needs.");
    for (const entry of examples) {
      const example = (entry.newStack as { example: string }).example;
      out.push(...comment(keyDescription(entry), indent), `${indent}# ${fullKey(entry)}: ${example}`);
    }
  }
  return out;
}

/** A stack file cut into what is kept (before and after the config section) and the section's items. */
export interface StackFileParts {
  /** The lines up to and including `config:`. */
  head: string[];
  /** The set items, by full key, each as its lines. */
  items: Map<string, string[]>;
  /** The indentation of the items. */
  indent: string;
  /** The lines after the config section (other top-level keys). */
  tail: string[];
}

/**
 * Cuts a stack file's text into its parts. Comment lines at the items' level inside the section are
 * dropped (they are regenerated); lines indented deeper belong to the item above them. Throws an
 * Error for a file without a `config:` line.
 */
export function stackFileParts(text: string): StackFileParts {
  const lines = text.replace(/\n$/, "").split("\n");
  const start = lines.findIndex((l) => /^config:\s*$/.test(l));
  if (start === -1) throw new Error("has no config: section");
  const head = lines.slice(0, start + 1);
  const found: string[][] = [];
  let indent: string | undefined;
  let current: string[] | undefined;
  let i = start + 1;
  for (; i < lines.length; i++) {
    const line = lines[i];
    const lead = /^ */.exec(line)![0];
    const isComment = line.trimStart().startsWith("#");
    if (line.trim() === "") {
      // A blank line inside a block value belongs to it when the value goes on below.
      const next = lines.slice(i + 1).find((l) => l.trim() !== "");
      if (current !== undefined && indent !== undefined && next !== undefined && /^ */.exec(next)![0].length > indent.length) current.push(line);
      continue;
    }
    if (lead.length === 0 && !isComment) break;
    if (current !== undefined && indent !== undefined && lead.length > indent.length) {
      current.push(line);
      continue;
    }
    if (isComment) {
      current = undefined;
      continue;
    }
    indent ??= lead;
    current = [line];
    found.push(current);
  }
  const items = new Map<string, string[]>();
  for (const lines of found) items.set(itemKey(lines, indent ?? "  "), lines);
  return { head, items, indent: indent ?? "  ", tail: lines.slice(i) };
}

/** The full key of an item (`lockTimeout:` is `dbpipe:lockTimeout`), as YAML reads its lines. */
function itemKey(lines: readonly string[], indent: string): string {
  const parsed = parse(lines.map((l) => l.slice(indent.length)).join("\n")) as Record<string, unknown>;
  const key = String(Object.keys(parsed)[0]);
  return key.includes(":") ? key : `${CONFIG_NAMESPACE}:${key}`;
}

/** A stack file's text with its config section laid out afresh: comments from the key table, values as they were. */
export function refreshedStackFileText(text: string, tier: Tier, server: ServerMode): string {
  const parts = stackFileParts(text);
  const section = configSectionLines({ tier, server, items: parts.items, indent: parts.indent });
  return `${[...parts.head, ...section, ...(parts.tail.length > 0 ? ["", ...parts.tail] : [])].join("\n")}\n`;
}

/** What {@link refreshStackFile} found. */
export interface RefreshedStackFile {
  /** The stack file. */
  file: string;
  /** Its text as it is. */
  before: string;
  /** Its text with the config section laid out afresh. */
  after: string;
}

/**
 * `Pulumi.<stack>.yaml` of `projectDir` and its text laid out afresh (see
 * {@link refreshedStackFileText}), for the stack's tier and server mode; writes nothing. Throws the
 * `SettingsError` of a stack file that does not validate: its tier decides the commented lines.
 */
export function refreshStackFile(projectDir: string, stack: string): RefreshedStackFile {
  const settings = loadStackSettings(projectDir, stack);
  const file = stackFilePath(projectDir, stack);
  const before = fs.readFileSync(file, "utf8");
  return { file, before, after: refreshedStackFileText(before, settings.tier, settings.infra.server) };
}
