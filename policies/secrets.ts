import type { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES } from "./resources";
import { isUnderSecret, rawProps, secretPaths } from "./secret-paths";

/**
 * Secrets policies: connection strings and passwords travel as Pulumi secrets, so the state, the
 * preview and the logs only ever show them encrypted or masked.
 */

/** `migration-set-connection-secret`: the MigrationSet's database URL (it holds the migrator's password) is a secret. */
export const migrationSetConnectionSecret: ResourceValidationPolicy = {
  name: "migration-set-connection-secret",
  description: "The MigrationSet's databaseUrl holds the migrator's password: it must reach the state encrypted.",
  validateResource: (args, report) => {
    if (args.type !== TYPES.migrationSet) return;
    const paths = secretPaths(args.props);
    if (paths === undefined) {
      report("MigrationSet databaseUrl must be checked as a secret, but this policy SDK hides which properties are secrets.");
      return;
    }
    // Reading the value itself turns an unknown URL (a first preview) into "can't run during preview".
    const url = (args.props as Record<string, unknown>).databaseUrl;
    if (typeof url === "string" && !isUnderSecret(paths, "databaseUrl")) report("MigrationSet databaseUrl must be a secret.");
  },
};

/** Property names that hold a password or a whole credential. */
const PASSWORD_KEY = /(^|_|[a-z])(password|passwd|secretString|privateKey)$/i;
/** A URL with a password in it: `scheme://user:password@host`. */
const CREDENTIAL_URL = /^[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:[^\s/@]+@/i;
/** What the engine sends for a value unknown during preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Paths of `props` (outside `secret` paths) that hold a password in plain text. */
export function plaintextPasswordPaths(props: Record<string, unknown>, secret: ReadonlySet<string>): string[] {
  const found: string[] = [];
  const visit = (value: unknown, at: string, key: string): void => {
    if (isUnderSecret(secret, at)) return;
    if (typeof value === "string") {
      if (value === "" || value === UNKNOWN) return;
      if (CREDENTIAL_URL.test(value) || PASSWORD_KEY.test(key)) found.push(at);
      return;
    }
    if (Array.isArray(value)) value.forEach((item, i) => visit(item, `${at}.${i}`, key));
    else if (typeof value === "object" && value !== null) for (const [k, item] of Object.entries(value)) visit(item, `${at}.${k}`, k);
  };
  for (const [key, value] of Object.entries(props)) {
    // The serialized code of a dynamic provider is code, not a credential.
    if (key === "__provider") continue;
    visit(value, key, key);
  }
  return found;
}

/** `no-plaintext-password`: no resource carries a password outside a secret. */
export const noPlaintextPassword: ResourceValidationPolicy = {
  name: "no-plaintext-password",
  description: "No resource's properties hold a password (or a URL with one) in plain text: mark it with pulumi.secret() or config set --secret.",
  validateResource: (args, report) => {
    const paths = secretPaths(args.props);
    if (paths === undefined) return;
    for (const at of plaintextPasswordPaths(rawProps(args.props), paths)) {
      report(`Property ${at} of ${args.name} must be a secret: it holds a password.`);
    }
  },
};

/** The secrets policies, in the order the pack lists them. */
export const secretsPolicies: ResourceValidationPolicy[] = [migrationSetConnectionSecret, noPlaintextPassword];
