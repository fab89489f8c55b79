/**
 * Durations as people write them in settings and read them in messages. One module for parsing
 * (`5s`, `2min`), for the exact form a stack file writes, for the `SET` form PostgreSQL reads, and
 * for the approximate form of elapsed times.
 */

/** Milliseconds per unit, as PostgreSQL spells its time units. */
export const DURATION_UNITS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * The milliseconds a duration's text stands for, exactly (not rounded), as PostgreSQL reads a time
 * setting: a number, in ms without a unit, or with one of {@link DURATION_UNITS}. Undefined for
 * other text.
 */
export function durationTextMs(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$/.exec(text);
  return m ? Number(m[1]) * DURATION_UNITS[m[2] ?? "ms"] : undefined;
}

/**
 * The largest timeout PostgreSQL accepts (`lock_timeout`, `statement_timeout`: an int of
 * milliseconds, INT_MAX), about 24.8 days. Also the longest timer Node.js can set.
 */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/** A duration's text that is not a duration, or is outside the allowed range; the message completes "… must be …" style sentences. */
export class DurationError extends Error {}

/** Limits of {@link parseDuration}. */
export interface DurationLimits {
  /** The largest value accepted, in ms. Default {@link MAX_TIMEOUT_MS}. */
  maxMs?: number;
  /** What the value is, for the message about the maximum. Default `PostgreSQL's limit`. */
  maxWhy?: string;
}

/**
 * Parses a duration into whole milliseconds: a whole number of milliseconds (`500`), or a number
 * with a unit (`250ms`, `1.5s`, `2min`, `1h`, `1d`; `us` too). `0` means "no limit". Throws
 * {@link DurationError} for other text, for a value above `limits.maxMs`, and for a value that is
 * not 0 but would round to 0 ms (`0.4ms`): PostgreSQL would read that as "no limit".
 */
export function parseDuration(value: string | number, limits: DurationLimits = {}): number {
  const maxMs = limits.maxMs ?? MAX_TIMEOUT_MS;
  let exact: number;
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw new DurationError(`must be a duration such as 500ms, 5s, 2min or 1h, got ${value}`);
    exact = value;
  } else {
    const ms = durationTextMs(value);
    if (ms === undefined) throw new DurationError(`must be a duration such as 500ms, 5s, 2min or 1h, got ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`);
    exact = ms;
  }
  const ms = Math.round(exact);
  if (ms === 0 && exact !== 0) throw new DurationError(`must be 0 (no limit) or at least 1ms, got ${String(value).trim()}, which rounds to 0 (no limit)`);
  if (ms > maxMs) {
    const about = maxMs >= DURATION_UNITS.d && maxMs % DURATION_UNITS.d !== 0 ? `, about ${(maxMs / DURATION_UNITS.d).toFixed(1)} days` : "";
    throw new DurationError(`must be at most ${formatDuration(maxMs)} (${limits.maxWhy ?? "PostgreSQL's limit"}${about}), got ${String(value).trim()}`);
  }
  return ms;
}

/**
 * A duration in its shortest exact form, as a stack file writes it and {@link parseDuration}
 * reads it back: `0`, `500ms`, `10s`, `30min`, `2h`, `1d`.
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0";
  for (const unit of ["d", "h", "min", "s"]) {
    if (ms % DURATION_UNITS[unit] === 0) return `${ms / DURATION_UNITS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

/** A duration as PostgreSQL reads it in `SET lock_timeout = '…'`: whole milliseconds (`5000ms`). */
export function pgDuration(ms: number): string {
  return `${ms}ms`;
}

/** An elapsed time for messages, rounded to one decimal: `850ms`, `1.2s`, `3.5min`, `2h`. */
export function formatElapsed(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  if (ms < 3_600_000) return `${Number((ms / 60_000).toFixed(1))}min`;
  return `${Number((ms / 3_600_000).toFixed(1))}h`;
}
