import * as rpc from "@pulumi/pulumi/runtime/rpc";

/**
 * Which properties of a resource the engine sent as secrets. The engine marks secrets in what it
 * sends the pack (its `Analyze` requests keep them), but `@pulumi/policy` 1.21 unwraps them before a
 * validation sees the props, so a policy alone cannot tell a secret password from a plain one. The
 * pack therefore wraps the SDK's deserializer: it still builds the props, and the paths that were
 * secret are remembered beside them. This module must load before the pack's server handles a
 * request, which importing a policy that uses it guarantees.
 */

interface StructLike {
  toJavaScript(): Record<string, unknown>;
}

interface DeserializeModule {
  deserializeProperties(struct: StructLike, proxySecrets: boolean): object;
}

/** The secret paths of each props object the SDK built. */
const secretPathsOf = new WeakMap<object, ReadonlySet<string>>();

// The SDK calls its deserializer through the module object, so replacing the export reaches it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const deserializeModule = require("@pulumi/policy/deserialize") as DeserializeModule;
const WRAPPED = Symbol.for("dbpipe.policies.secretPaths");
const original = deserializeModule.deserializeProperties as DeserializeModule["deserializeProperties"] & { [WRAPPED]?: true };
if (!original[WRAPPED]) {
  const wrapped = Object.assign(
    (struct: StructLike, proxySecrets: boolean): object => {
      const props = original(struct, proxySecrets);
      secretPathsOf.set(props, collectSecretPaths(struct.toJavaScript()));
      return props;
    },
    { [WRAPPED]: true as const },
  );
  deserializeModule.deserializeProperties = wrapped;
}

/** True for a value the engine marked secret. */
function isSecretValue(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[rpc.specialSigKey] === rpc.specialSecretSig;
}

/** Dotted paths (`a.b.0.c`) of every secret in `props`, as the engine serialized them. */
export function collectSecretPaths(props: Record<string, unknown>): Set<string> {
  const paths = new Set<string>();
  const visit = (value: unknown, at: string): void => {
    if (isSecretValue(value)) {
      paths.add(at);
      return;
    }
    if (Array.isArray(value)) value.forEach((item, i) => visit(item, `${at}.${i}`));
    else if (typeof value === "object" && value !== null) for (const [key, item] of Object.entries(value)) visit(item, `${at}.${key}`);
  };
  for (const [key, value] of Object.entries(props)) visit(value, key);
  return paths;
}

/** The object under the policy SDK's unknown-checking proxy (the SDK's own escape hatch). */
export function rawProps(props: object): Record<string, unknown> {
  return ((props as Record<string, unknown>).__getSpecialProxyTarget ?? props) as Record<string, unknown>;
}

/**
 * The secret paths of a validation's props, or undefined when the props did not come through the
 * SDK's deserializer (then nothing can be said about secrets).
 */
export function secretPaths(props: object): ReadonlySet<string> | undefined {
  return secretPathsOf.get(rawProps(props));
}

/** True when `path` or one of its ancestors is secret. */
export function isUnderSecret(paths: ReadonlySet<string>, path: string): boolean {
  const parts = path.split(".");
  for (let i = 1; i <= parts.length; i++) if (paths.has(parts.slice(0, i).join("."))) return true;
  return false;
}
