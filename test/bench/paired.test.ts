import { describe, expect, it } from "vitest";
import { roundOrder } from "../../bench/migrate/contenders";
import { formatRounds, pairedFigure, quartiles } from "../../bench/part";

// The benchmark report's ratios: a goal is judged on the median of per-round ratios, and the
// pairs that make a goal run back to back in every round.

describe("the migrate benchmark's order of a round", () => {
  const history = ["floor1", "floor3", "floor_proc", "lib", "cli", "postgrator", "postgrator_proc"].map((id) => ({ id }));
  const wide = ["floor1", "floor_proc", "lib", "cli", "postgrator_proc"].map((id) => ({ id }));

  it("runs every contender once per round, each goal's pair back to back, the pair's order flipping", () => {
    for (const contenders of [history, wide]) {
      const firsts = new Set<string>();
      for (let round = 0; round < 8; round++) {
        const order = roundOrder(contenders, round).map((c) => c.id);
        expect([...order].sort()).toEqual(contenders.map((c) => c.id).sort());
        for (const [a, b] of [["floor1", "lib"], ["floor_proc", "cli"]]) {
          expect(Math.abs(order.indexOf(a) - order.indexOf(b))).toBe(1);
        }
        expect(order.indexOf("floor_proc") < order.indexOf("cli")).toBe(round % 2 === 0);
        firsts.add(order[0]);
      }
      // Rotated: not always the same contender first.
      expect(firsts.size).toBeGreaterThan(2);
    }
  });

  it("keeps a pair's member that runs alone (--only) in the rotation", () => {
    const order = roundOrder([{ id: "cli" }, { id: "postgrator_proc" }], 1).map((c) => c.id);
    expect(order.sort()).toEqual(["cli", "postgrator_proc"]);
  });
});

describe("a figure measured against its peer in every round", () => {
  const atMost = (limit: number) => ({ text: `≤ ${limit}×`, met: (ratio: number) => ratio <= limit });

  it("takes the median of the per-round ratios, not the ratio of the medians", () => {
    // The machine slows down in rounds 3 and 4: both contenders slow with it.
    const rounds = [
      { value: 1.0, peerValue: 1.0 },
      { value: 1.05, peerValue: 1.0 },
      { value: 2.1, peerValue: 2.0 },
      { value: 2.0, peerValue: 2.0 },
      { value: 1.3, peerValue: 0.95 },
    ];
    const f = pairedFigure("x", "x", "s", "peer", rounds, atMost(1.1));
    expect(f.value).toBe(1.3);
    expect(f.peerValue).toBe(1.0);
    expect(f.ratio).toBe(1.05);
    expect(f.met).toBe(true);
    expect(f.rounds).toMatchObject({ n: 5, min: 1, median: 1.05, max: 1.3684 });
    expect(f.rounds?.straddles).toBeUndefined();
  });

  it("says when the goal lies inside the middle half of the rounds", () => {
    const f = pairedFigure("x", "x", "s", "peer", [0.9, 1.08, 1.16, 1.3].map((value) => ({ value, peerValue: 1 })), atMost(1.1));
    expect(f.met).toBe(false);
    expect(f.rounds?.straddles).toBe(true);
    expect(formatRounds(f.rounds)).toBe("0.90–1.30× (middle half 1.03–1.20×), 4 rounds");
  });

  it("has no goal verdict without a goal, and skips rounds whose peer read 0", () => {
    const f = pairedFigure("x", "x", "s", "peer", [{ value: 1, peerValue: 0 }, { value: 2, peerValue: 1 }]);
    expect(f.met).toBeNull();
    expect(f.ratio).toBe(2);
    expect(f.rounds?.n).toBe(1);
    expect(quartiles([])).toBeUndefined();
  });
});
