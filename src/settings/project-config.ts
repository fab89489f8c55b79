import { KEY_SPECS, type KeySpec, unsetValue } from "./stack-settings";

/**
 * What `Pulumi.yaml`'s `config:` section must declare for each key, derived from {@link KEY_SPECS}
 * so the two cannot drift (a test compares them). Three Pulumi rules shape it:
 *
 * - A project key declared without `default` is required: Pulumi stops every stack that lacks it
 *   ("Stack 'dev' is missing configuration value"). So every key gets one — its fixed default, or,
 *   where the tier decides (or the key is optional), its unset value (`""`, `[]`, `{}`), which the
 *   settings parser reads as absent.
 * - A `type` is checked against the default and every stack's value. Pulumi knows string, integer,
 *   boolean and arrays of those; an unset value fits only `string` and lists of strings, so the other
 *   keys are declared without a type and checked by dbpipe's parser alone.
 * - `secret: true` would reject the unset default itself (a plain value where a secret is declared),
 *   so secret keys leave it out; the parser refuses a plain-text URL instead.
 */

/** One key's declaration in `Pulumi.yaml`, in the shape of Pulumi's project schema. */
export interface ProjectConfigDeclaration {
  /** Pulumi's type, where the declared default fits one. */
  type?: "string" | "integer" | "boolean" | "array";
  /** The item type of an `array`. */
  items?: { type: "string" };
  /** What the key means. */
  description: string;
  /** The fixed default, or the key's unset value. */
  default: unknown;
}

/** The declaration of one key. */
export function projectConfigDeclaration(spec: KeySpec): ProjectConfigDeclaration {
  const unset = unsetValue(spec);
  const defaultValue = unset === undefined ? spec.default : unset;
  const typed =
    unset === undefined
      ? spec.type !== "object" && (spec.type !== "array" || spec.items === "string")
      : spec.type === "string" || (spec.type === "array" && spec.items === "string");
  if (!typed) return { description: spec.description, default: defaultValue };
  if (spec.type === "array") return { type: "array", items: { type: "string" }, description: spec.description, default: defaultValue };
  return { type: spec.type as "string" | "integer" | "boolean", description: spec.description, default: defaultValue };
}

/** Every key's declaration, keyed as `Pulumi.yaml` writes project keys (without the `dbpipe:` namespace). */
export function projectConfigDeclarations(): Record<string, ProjectConfigDeclaration> {
  return Object.fromEntries(KEY_SPECS.map((spec) => [spec.name, projectConfigDeclaration(spec)]));
}

