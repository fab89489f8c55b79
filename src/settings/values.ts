import { redactText } from "../redact";
import { type DurationLimits, DurationError, parseDuration } from "../text/duration";

/**
 * Readers for config values. A value arrives either structured (read from `Pulumi.<stack>.yaml`)
 * or as a string (Pulumi hands every value to the program as a string, objects and lists
 * JSON-encoded), so each reader accepts both. A reader throws {@link ValueProblem} with a
 * sentence that completes "dbpipe:<key> ...".
 */

/** A value that does not fit its key; the message completes "dbpipe:<key> ...". */
export class ValueProblem extends Error {
  constructor(
    message: string,
    /** Several problems inside one value (a map's entries), each under its own key suffix (`.drop-tabel`). Default: just `message`, under the key. */
    readonly parts?: readonly { suffix: string; message: string }[],
  ) {
    super(message);
  }
}

/** Reads a string. */
export function readString(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new ValueProblem(`must be a string, got ${describe(value)}`);
}

/** Reads a non-empty string. */
export function readNonEmptyString(value: unknown): string {
  const text = readString(value).trim();
  if (text === "") throw new ValueProblem("must not be empty");
  return text;
}

/** Reads a boolean: true/false, or the strings "true"/"false". */
export function readBoolean(value: unknown): boolean {
  if (typeof value === "boolean") return value;
  if (value === "true") return true;
  if (value === "false") return false;
  throw new ValueProblem(`must be true or false, got ${describe(value)}`);
}

/** Reads a whole number within [min, max]. */
export function readInteger(value: unknown, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n)) throw new ValueProblem(`must be a whole number, got ${describe(value)}`);
  if (n < min || n > max) throw new ValueProblem(`must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** Reads one of `choices`. */
export function readChoice<T extends string>(value: unknown, choices: readonly T[]): T {
  if (typeof value === "string" && (choices as readonly string[]).includes(value)) return value as T;
  throw new ValueProblem(`must be one of ${choices.join(", ")}, got ${describe(value)}`);
}

/**
 * Reads a duration in whole milliseconds (see {@link parseDuration}): `500`, `250ms`, `5s`, `2min`,
 * `1h`. `0` means no limit; a value that would round to 0, or is above `limits.maxMs` (default:
 * PostgreSQL's INT_MAX milliseconds), is refused here, before anything runs.
 */
export function readDuration(value: unknown, limits?: DurationLimits): number {
  if (typeof value !== "string" && typeof value !== "number") throw new ValueProblem(`must be a duration such as 500ms, 5s, 2min or 1h, got ${describe(value)}`);
  try {
    return parseDuration(value, limits);
  } catch (error) {
    if (error instanceof DurationError) throw new ValueProblem(error.message);
    throw error;
  }
}

/** Reads a structured value: as is from YAML, JSON-decoded from a string. */
export function readStructured(value: unknown, what: "list" | "map" | "list or map" = "list or map"): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    throw new ValueProblem(`must be a YAML ${what} (or the JSON text of one), got ${describe(value)}`);
  }
}

/** Reads a list of strings. */
export function readStringList(value: unknown): string[] {
  const list = readStructured(value, "list");
  if (!Array.isArray(list)) throw new ValueProblem(`must be a list, got ${describe(list)}`);
  return list.map((item, i) => {
    if (typeof item !== "string" || item.trim() === "") throw new ValueProblem(`[${i}] must be a non-empty string, got ${describe(item)}`);
    return item.trim();
  });
}

/** Reads a map (a plain object). */
export function readMap(value: unknown): Record<string, unknown> {
  const map = readStructured(value, "map");
  if (map === null || typeof map !== "object" || Array.isArray(map)) throw new ValueProblem(`must be a map, got ${describe(map)}`);
  return map as Record<string, unknown>;
}

/** A short description of a value for messages; never prints a long value whole. */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "string") {
    const safe = redactText(value);
    return JSON.stringify(safe.length > 40 ? `${safe.slice(0, 37)}...` : safe);
  }
  return String(value);
}

/**
 * `message` about a value set with `pulumi config set --secret`, without the value: each string in
 * it (as {@link describe} shows it, and verbatim) gives way to "a secret value (not shown)". A
 * secret's problem says what is wrong with it, never what it is.
 */
export function withoutSecretValue(message: string, value: unknown): string {
  const strings: string[] = [];
  const collect = (v: unknown): void => {
    if (typeof v === "string") {
      // A list or map given as JSON text (how Pulumi hands one over) holds the strings to hide.
      if (/^\s*[[{]/.test(v)) {
        try {
          collect(JSON.parse(v));
        } catch {
          // Not JSON: the text itself is the secret.
        }
      }
      strings.push(v, v.trim());
    } else if (typeof v === "number" || typeof v === "boolean") strings.push(String(v));
    else if (v !== null && typeof v === "object") for (const item of Object.values(v)) collect(item);
  };
  collect(value);
  const hidden = "a secret value (not shown)";
  const unique = [...new Set(strings)].filter((s) => s !== "").sort((a, b) => b.length - a.length);
  let out = message;
  for (const s of unique) out = out.split(describe(s)).join(hidden);
  // Written into a sentence as it is (`db.x.y is not an instance class ...`), or cut short; not the
  // shortest strings, which would match ordinary words.
  for (const s of unique.flatMap((s) => [s, s.slice(0, 37)]).filter((s) => s.length >= 4)) out = out.split(s).join(hidden);
  return out;
}
