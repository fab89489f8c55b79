import { describe, expect, it } from "vitest";
import { formatDuration, formatElapsed, parseDuration } from "../../src/text/duration";

describe("parseDuration", () => {
  it("reads milliseconds and PostgreSQL's units", () => {
    expect(["500", "250ms", "1.5s", "2min", "1h", "1d", " 5 s "].map((t) => parseDuration(t))).toEqual([500, 250, 1500, 120_000, 3_600_000, 86_400_000, 5000]);
    expect(parseDuration(0)).toBe(0);
  });

  it("refuses text that is not a duration, a value that rounds to 0, and one above the limit", () => {
    expect(() => parseDuration("5 seconds")).toThrow('must be a duration such as 500ms, 5s, 2min or 1h, got "5 seconds"');
    expect(() => parseDuration("0.4ms")).toThrow("must be 0 (no limit) or at least 1ms, got 0.4ms, which rounds to 0 (no limit)");
    expect(() => parseDuration("25d")).toThrow("must be at most 2147483647ms (PostgreSQL's limit, about 24.9 days), got 25d");
    expect(() => parseDuration("3s", { maxMs: 2000, maxWhy: "a test's limit" })).toThrow("must be at most 2s (a test's limit), got 3s");
  });
});

describe("formatDuration", () => {
  it("writes the shortest exact form, which parseDuration reads back", () => {
    const values = [0, 500, 10_000, 1_800_000, 7_200_000, 86_400_000, 1500];
    expect(values.map(formatDuration)).toEqual(["0", "500ms", "10s", "30min", "2h", "1d", "1500ms"]);
    expect(values.map((ms) => parseDuration(formatDuration(ms)))).toEqual(values);
  });
});

describe("formatElapsed", () => {
  it("rounds to one decimal in the largest fitting unit", () => {
    expect([850, 1234, 90_000, 5_400_000].map(formatElapsed)).toEqual(["850ms", "1.2s", "1.5min", "1.5h"]);
  });
});
