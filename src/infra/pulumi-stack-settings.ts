import * as pulumi from "@pulumi/pulumi";
import { readStackFile } from "../settings/stack-file";
import { type RawStackConfig, SettingsError, type StackSettings, parseStackSettings } from "../settings/stack-settings";

/**
 * The Pulumi program's front end to the stack settings: the same {@link parseStackSettings} the CLI
 * uses, fed from the Pulumi runtime's config instead of the stack file. The runtime's config is what
 * `pulumi up` really runs with — the stack file's values decrypted, Pulumi.yaml's defaults applied,
 * ESC environments merged in — so it is the one to validate.
 */

/** Names the runtime's secret keys are listed under: `dbpipe:key`, or the older `dbpipe:config:key`. */
function secretKeyForms(key: string): string[] {
  const i = key.indexOf(":");
  return i > 0 ? [key, `${key.slice(0, i)}:config:${key.slice(i + 1)}`] : [key];
}

/**
 * Returns a predicate telling whether a config key holds a secret. The runtime knows, but only
 * through an internal function; where that is missing, the language host's environment variable
 * carries the same list.
 */
function secretKeyPredicate(): (key: string) => boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
  if (typeof runtime.isConfigSecret === "function") {
    const isConfigSecret = runtime.isConfigSecret;
    return (key) => secretKeyForms(key).some((k) => isConfigSecret(k));
  }
  let listed: unknown = [];
  try {
    listed = JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS ?? "[]");
  } catch {
    listed = [];
  }
  const keys = new Set(Array.isArray(listed) ? listed.filter((k): k is string => typeof k === "string") : []);
  return (key) => secretKeyForms(key).some((k) => keys.has(k));
}

/**
 * The raw config of the running stack, from the Pulumi runtime. When `Pulumi.<stack>.yaml` is in
 * `projectDir`, messages name it with line numbers; values still come from the runtime.
 */
export function rawStackConfigFromPulumi(projectDir: string = process.cwd()): RawStackConfig {
  const stack = pulumi.getStack();
  const values = pulumi.runtime.allConfig();
  const isSecret = secretKeyPredicate();
  const secretKeys = new Set(Object.keys(values).filter(isSecret));
  let source = `the config of stack ${stack}`;
  let lines: ReadonlyMap<string, number> | undefined;
  try {
    const file = readStackFile(projectDir, stack);
    if (file) {
      source = file.source;
      lines = file.lines;
    }
  } catch {
    // Pulumi has read the file already; one it accepted that we cannot read only costs line numbers.
  }
  return { stack, source, values, secretKeys, lines };
}

/**
 * Parses the running stack's settings. Invalid settings end the program with every problem listed,
 * each naming its key, and no stack trace (a `RunError`): the user's config is at fault, not the code.
 */
export function loadPulumiStackSettings(projectDir?: string): StackSettings {
  try {
    return parseStackSettings(rawStackConfigFromPulumi(projectDir), { deploy: true });
  } catch (error) {
    if (error instanceof SettingsError) throw new pulumi.RunError(error.message);
    throw error;
  }
}
