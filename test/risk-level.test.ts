import { describe, expect, it } from "vitest";
import { RISK_LEVELS, RISK_THRESHOLDS, backupCanBeRequired, reaches, riskMatters, thresholdRank } from "../src/risk-level";

describe("risk thresholds", () => {
  it("a level reaches a threshold at or below it, and nothing reaches never", () => {
    expect(RISK_LEVELS.filter((l) => reaches(l, "low"))).toEqual(["low", "medium", "high"]);
    expect(RISK_LEVELS.filter((l) => reaches(l, "medium"))).toEqual(["medium", "high"]);
    expect(RISK_LEVELS.filter((l) => reaches(l, "high"))).toEqual(["high"]);
    expect(RISK_LEVELS.filter((l) => reaches(l, "never"))).toEqual([]);
  });

  it("ranks thresholds from the one that requires most (low) to never", () => {
    expect([...RISK_THRESHOLDS].sort((a, b) => thresholdRank(b) - thresholdRank(a))).toEqual(["never", "high", "medium", "low"]);
  });

  it("a backup can be required unless backupBefore is never", () => {
    expect(RISK_THRESHOLDS.filter((backupBefore) => backupCanBeRequired({ backupBefore }))).toEqual(["low", "medium", "high"]);
  });

  it("risk matters when a backup or an approval can be required, and not when both thresholds are never", () => {
    expect(riskMatters({ backupBefore: "never", requireApprovalAt: "never" })).toBe(false);
    expect(riskMatters({ backupBefore: "never", requireApprovalAt: "high" })).toBe(true);
    expect(riskMatters({ backupBefore: "low", requireApprovalAt: "never" })).toBe(true);
    expect(riskMatters({ backupBefore: "medium", requireApprovalAt: "high" })).toBe(true);
  });
});
