import { EXAMPLE_URL } from "../redact";
import { ruleIdProblem } from "../sql/rules/ids";
import { didYouMean } from "../text/did-you-mean";
import { RDS_INSTANCE_CLASS_MEMORY_GIB } from "./rds-instance-classes";
import type { Approval, HostPort, ReadContext, SecretValue } from "./stack-settings-types";
import { RULE_SEVERITIES, type RiskLevel } from "../risk-level";
import { ValueProblem, describe, readChoice, readMap, readNonEmptyString, readString, readStringList, readStructured } from "./values";
import { databaseHost, isPostgresUrl, parseDatabaseUrl } from "../database-url";

/** Readers of the keys whose values have a shape of their own (ids, URLs, approvals); see ./values.ts for the generic ones. */

/** Reads a non-empty string matching `pattern`; `what` completes "must be …". */
export function readMatching(value: unknown, pattern: RegExp, what: string): string {
  const text = readNonEmptyString(value);
  if (!pattern.test(text)) throw new ValueProblem(`must be ${what}, got ${describe(text)}`);
  return text;
}

/** Reads a lower-case PostgreSQL identifier of at most 50 characters (role names are built from it). */
export function readIdentifier(value: unknown): string {
  return readMatching(value, /^[a-z_][a-z0-9_]{0,49}$/, "a lower-case PostgreSQL identifier (letters, digits, _; at most 50 characters)");
}

/** Reads an RDS instance class (`db.t4g.micro`) whose memory dbpipe knows (the connections alarm follows it). */
export function readInstanceClass(value: unknown): string {
  const name = readMatching(value, /^db\.[a-z0-9]+\.[a-z0-9]+$/, "an RDS instance class such as db.t4g.micro");
  if (RDS_INSTANCE_CLASS_MEMORY_GIB[name] === undefined) {
    const families = [...new Set(Object.keys(RDS_INSTANCE_CLASS_MEMORY_GIB).map((c) => c.split(".")[1]))].join(", ");
    throw new ValueProblem(`${name} is not an instance class dbpipe knows the memory of (families ${families})${didYouMean(name, Object.keys(RDS_INSTANCE_CLASS_MEMORY_GIB))}`);
  }
  return name;
}

/** Reads a list of extension names, each at most 63 characters. */
export function readExtensions(value: unknown): string[] {
  const list = readStringList(value);
  list.forEach((name, i) => {
    if (!/^[a-z_][a-z0-9_-]*$/.test(name)) throw new ValueProblem(`[${i}] must be an extension name such as pgcrypto, got ${describe(name)}`);
    // PostgreSQL truncates longer names (NAMEDATALEN - 1), so the extension created would not be the one named.
    if (name.length > 63) throw new ValueProblem(`[${i}] must be at most 63 characters (PostgreSQL's limit for names), got ${name.length}`);
  });
  return list;
}

/** Reads a list of IPv4 CIDR blocks. */
export function readCidrs(value: unknown): string[] {
  const list = readStringList(value);
  list.forEach((cidr, i) => {
    if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr)) throw new ValueProblem(`[${i}] must be a CIDR block such as 10.0.0.0/16, got ${describe(cidr)}`);
  });
  return list;
}

/** Reads the schema name: an identifier that is not one of the server's own schemas. */
export function readSchemaName(value: unknown): string {
  const name = readIdentifier(value);
  // dbpipe creates this schema and hands it to <db>_owner; taking over (and on destroy dropping) a
  // schema the server made itself would be a surprise.
  if (name === "public" || name === "information_schema" || name.startsWith("pg_")) {
    throw new ValueProblem(`cannot be ${name}: dbpipe creates and owns this schema, so it must be one of its own (the default is the database name)`);
  }
  return name;
}

/** Reads a list of AWS ids matching `pattern` (`example` shows one). */
export function readIdList(value: unknown, pattern: RegExp, example: string): string[] {
  const list = readStringList(value);
  list.forEach((id, i) => {
    if (!pattern.test(id)) throw new ValueProblem(`[${i}] must be an id such as ${example}, got ${describe(id)}`);
  });
  return list;
}

/** Reads at least two subnet ids. */
export function readSubnetIds(value: unknown): string[] {
  const list = readIdList(value, /^subnet-[0-9a-f]+$/, "subnet-0abc123");
  // An RDS subnet group must span two availability zones; one subnet cannot.
  if (list.length < 2) throw new ValueProblem(`must list at least two subnets in different availability zones, got ${list.length}`);
  return list;
}

/** Reads a list of security group ids. */
export function readSecurityGroupIds(value: unknown): string[] {
  return readIdList(value, /^sg-[0-9a-f]+$/, "sg-0abc123");
}

/** Reads `host:port` (an IPv6 host in brackets). */
export function readHostPort(value: unknown): HostPort {
  const text = readNonEmptyString(value);
  const m = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) throw new ValueProblem(`must be host:port, such as localhost:15432, got ${describe(text)}`);
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}

/**
 * Why `text` is not a usable PostgreSQL URL, or undefined when it is; a Unix-socket folder is a host
 * (see {@link databaseHost}). Never quotes the URL: it holds a password.
 */
export function postgresUrlProblem(text: string): string | undefined {
  if (!isPostgresUrl(text)) return `must be a postgres:// or postgresql:// URL such as ${EXAMPLE_URL}`;
  let url: URL;
  try {
    url = parseDatabaseUrl(text);
  } catch {
    return "is not a valid URL (a password with @, : or / in it must be percent-encoded)";
  }
  const { host, socket } = databaseHost(url);
  if (host === "") return `must name a host (${EXAMPLE_URL})`;
  // Over a socket, libpq's default user (the system user's name) is what peer authentication expects.
  if (url.username === "" && !url.searchParams.get("user") && !socket) return `must name a user (${EXAMPLE_URL})`;
  return undefined;
}

/** Reads `dbpipe:approvals`: a list of { version, checksum, reason, approvedBy? }. */
export function readApprovals(value: unknown): Approval[] {
  const list = readStructured(value);
  if (!Array.isArray(list)) throw new ValueProblem(`must be a list of { version, checksum, reason }, got ${describe(list)}`);
  return list.map((item, i) => {
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      throw new ValueProblem(`[${i}] must be a map with version, checksum and reason, got ${describe(item)}`);
    }
    const entry = item as Record<string, unknown>;
    const unknown = Object.keys(entry).filter((k) => !["version", "checksum", "reason", "approvedBy"].includes(k));
    if (unknown.length > 0) throw new ValueProblem(`[${i}] has unknown field ${unknown.join(", ")} (allowed: version, checksum, reason, approvedBy)`);
    const field = (name: string): string => {
      try {
        return readNonEmptyString(entry[name]);
      } catch (error) {
        throw new ValueProblem(`[${i}].${name} ${(error as Error).message === "must not be empty" || entry[name] === undefined ? "is required" : (error as Error).message}`);
      }
    };
    // An unquoted version is a YAML number: 0005 arrives as 5, and some YAML readers take a leading
    // 0 for octal (0010 as 8). What the reviewer approved must be what dbpipe reads: refuse it.
    if (typeof entry.version === "number") {
      throw new ValueProblem(`[${i}].version must be quoted, as in version: "0005": unquoted, YAML reads it as the number ${entry.version}, which drops leading zeros (some YAML readers even take a leading 0 for octal)`);
    }
    const version = field("version");
    if (!/^\d+$/.test(version)) throw new ValueProblem(`[${i}].version must be a migration version (digits), got ${describe(version)}`);
    const checksum = field("checksum");
    if (!/^[0-9a-f]{64}$/.test(checksum)) throw new ValueProblem(`[${i}].checksum must be the 64-character sha256 that \`dbpipe plan --json\` prints, got ${describe(checksum)}`);
    const reason = field("reason");
    const approvedBy = entry.approvedBy === undefined ? undefined : readString(entry.approvedBy);
    return { version, checksum, reason, ...(approvedBy ? { approvedBy } : {}) };
  });
}

/** Reads `dbpipe:ruleSeverity`: rule ids of the registry to a severity or `off`; every unknown id is reported, with a did-you-mean. */
export function readRuleSeverity(value: unknown): Record<string, RiskLevel | "off"> {
  const map = readMap(value);
  const out: Record<string, RiskLevel | "off"> = {};
  const parts: { suffix: string; message: string }[] = [];
  for (const [rule, level] of Object.entries(map)) {
    const unknown = ruleIdProblem(rule);
    if (unknown !== undefined) {
      parts.push({ suffix: `.${rule}`, message: unknown });
      continue;
    }
    try {
      out[rule] = readChoice(level, RULE_SEVERITIES);
    } catch (error) {
      if (!(error instanceof ValueProblem)) throw error;
      parts.push({ suffix: `.${rule}`, message: error.message });
    }
  }
  if (parts.length > 0) throw new ValueProblem(parts[0].message, parts);
  return out;
}

/**
 * Reads a key that must be a secret URL. A plain-text value is refused, and a value is never
 * echoed: it carries a password. The CLI sees `secure: v1:...` and cannot decrypt it: a secret it
 * cannot check is still a secret.
 */
export function readSecretUrl(value: unknown, context: ReadContext): SecretValue {
  const name = context.fullKey.slice(context.fullKey.indexOf(":") + 1);
  if (!context.secret) {
    throw new ValueProblem(`must be a secret, not plain text: remove it and run \`pulumi config set --secret ${name} <url> --stack ${context.stack}\``);
  }
  if (value === undefined || value === null || typeof value === "object") return { secret: true };
  const why = typeof value === "string" ? postgresUrlProblem(value) : `must be a postgres:// or postgresql:// URL such as ${EXAMPLE_URL}`;
  if (why !== undefined) throw new ValueProblem(why);
  return { secret: true, value: value as string };
}
