import { randomInt } from "node:crypto";

/**
 * A seeded random generator, so that a failing reliability run can be replayed: the seed comes
 * from `RELIABILITY_SEED` when set, else it is drawn at random; the test prints it either way.
 */

/** A source of random numbers that replays the same sequence for the same seed. */
export interface Seeded {
  /** The seed it started from. */
  readonly seed: number;
  /** A number in [0, 1). */
  next(): number;
  /** A whole number in [min, max]. */
  int(min: number, max: number): number;
}

/** The seed to use: `RELIABILITY_SEED` (a whole number) when set, else a random one. */
export function reliabilitySeed(env: NodeJS.ProcessEnv = process.env): number {
  const given = env.RELIABILITY_SEED?.trim();
  if (given) {
    if (!/^\d+$/.test(given)) throw new Error(`RELIABILITY_SEED must be a whole number, got ${JSON.stringify(given)}`);
    return Number(given) >>> 0;
  }
  return randomInt(0, 2 ** 31);
}

/** A generator (mulberry32) from `seed`. */
export function seeded(seed: number): Seeded {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, next, int: (min, max) => min + Math.floor(next() * (max - min + 1)) };
}
