import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

/**
 * The config a Pulumi program receives for a stack, built the way the engine builds it: the stack
 * file's values over Pulumi.yaml's declared defaults (Pulumi's `mergeConfig`), every value handed
 * over as a string (lists and maps JSON-encoded), and the stack file's `secure:` values replaced by
 * their plain text (which the engine decrypts; here the test supplies it).
 */

/** The repository, where Pulumi.yaml and the stack files are. */
export const PROJECT_DIR = path.resolve(__dirname, "../../..");

/** A stack's config as the program gets it. */
export interface EngineConfig {
  /** Full key (`dbpipe:tier`) to string value. */
  config: Record<string, string>;
  /** Full keys whose values are secrets. */
  secretKeys: string[];
}

/** Options of {@link engineConfig}. */
export interface EngineConfigOptions {
  /** Project folder. Default: the repository. */
  projectDir?: string;
  /** Plain text of the stack file's secure values, and further secrets (set with `pulumi config set --secret`). */
  secrets?: Record<string, string>;
  /** Values set on the stack besides the file (`undefined` removes one), as `pulumi config set` would. */
  overrides?: Record<string, unknown>;
}

/** Pulumi.yaml, parsed. */
export function readProjectFile(projectDir: string = PROJECT_DIR): {
  name: string;
  main?: string;
  runtime: { name: string; options?: Record<string, unknown> };
  config: Record<string, { type?: string; items?: { type: string }; description?: string; default?: unknown; secret?: boolean }>;
} {
  return parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8"));
}

/** The full key of a config key as written in Pulumi.yaml or a stack file. */
export function fullKey(projectName: string, key: string): string {
  return key.includes(":") ? key : `${projectName}:${key}`;
}

/** Builds `stack`'s config like the engine. A stack without a file gets Pulumi.yaml's defaults only. */
export function engineConfig(stack: string, options: EngineConfigOptions = {}): EngineConfig {
  const projectDir = options.projectDir ?? PROJECT_DIR;
  const project = readProjectFile(projectDir);
  const merged = new Map<string, unknown>();
  const secretKeys = new Set<string>();
  for (const [key, declaration] of Object.entries(project.config ?? {})) {
    if (declaration.default !== undefined) merged.set(fullKey(project.name, key), declaration.default);
  }
  const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (fs.existsSync(stackFile)) {
    const doc = (parse(fs.readFileSync(stackFile, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    for (const [key, value] of Object.entries(doc.config ?? {})) {
      const full = fullKey(project.name, key);
      if (value !== null && typeof value === "object" && "secure" in value) {
        const plain = options.secrets?.[full];
        if (plain === undefined) throw new Error(`${stackFile}: ${full} is a secure value; give its plain text in options.secrets`);
        merged.set(full, plain);
        secretKeys.add(full);
      } else {
        merged.set(full, value);
      }
    }
  }
  for (const [key, value] of Object.entries(options.secrets ?? {})) {
    merged.set(key, value);
    secretKeys.add(key);
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value === undefined) merged.delete(key);
    else merged.set(key, value);
  }
  const config: Record<string, string> = {};
  for (const [key, value] of merged) config[key] = typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  return { config, secretKeys: [...secretKeys] };
}

/**
 * Pulumi's check of a stack value against a typed declaration (`ValidateConfigValue` in the Pulumi
 * CLI): stack files hold primitives as strings, so integers may be numeric strings and booleans the
 * strings "true"/"false"; lists are checked item by item.
 */
export function fitsPulumiType(declaration: { type?: string; items?: { type: string } }, value: unknown): boolean {
  if (declaration.type === undefined) return true;
  if (declaration.type === "array") {
    const items = declaration.items;
    return Array.isArray(value) && items !== undefined && value.every((item) => fitsItem(items.type, item));
  }
  // A stack file's primitive values reach the check as strings.
  return fitsItem(declaration.type, typeof value === "number" || typeof value === "boolean" ? String(value) : value);
}

/** Pulumi's check of one JSON value against a simple type. */
function fitsItem(type: string, value: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      return (typeof value === "number" && Number.isInteger(value)) || (typeof value === "string" && /^[+-]?\d+$/.test(value));
    case "boolean":
      return typeof value === "boolean" || value === "true" || value === "false";
    default:
      return false;
  }
}

/**
 * The config a test runs the program with: nothing listens at a tunnel's local end in a test, and a
 * run that is not a preview would wait dbpipe:tunnelWait (Pulumi.yaml's 15 minutes) for it, so a
 * config that leaves the key at its default gets 0 (no wait). Tests of that wait set the key.
 */
export function withoutTunnelWait(config: EngineConfig, projectDir: string = PROJECT_DIR): EngineConfig {
  const declared = readProjectFile(projectDir).config?.tunnelWait?.default;
  if (config.config["dbpipe:tunnelWait"] !== undefined && config.config["dbpipe:tunnelWait"] !== String(declared)) return config;
  return { ...config, config: { ...config.config, "dbpipe:tunnelWait": "0" } };
}
