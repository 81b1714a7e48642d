// A small seedable PRNG (mulberry32): the same seed gives the same outcomes and faults, so a
// benchmark or test run can be replayed exactly.
import type { Millis } from './options.js';

export type Rng = {
  /** Uniform in [0, 1). */
  next(): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** A value of a Millis option: the number itself, or a uniform integer in [min, max]. */
  millis(value: Millis): number;
  pick<T>(items: readonly T[]): T;
  weighted<K extends string>(weights: Record<K, number>): K;
};

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    // p = 0 draws nothing, so turning a fault off does not shift the other random sequences.
    chance: (p) => p > 0 && (p >= 1 || next() < p),
    millis: (value) => {
      if (typeof value === 'number') return value;
      const [min, max] = value;
      return min + Math.floor(next() * (max - min + 1));
    },
    pick: (items) => items[Math.floor(next() * items.length)]!,
    weighted: (weights) => {
      const entries = Object.entries(weights) as [keyof typeof weights, number][];
      const total = entries.reduce((sum, [, w]) => sum + w, 0);
      let roll = next() * total;
      for (const [key, weight] of entries) {
        if (roll < weight) return key;
        roll -= weight;
      }
      return entries.filter(([, w]) => w > 0).at(-1)![0];
    },
  };
}

/** A seed for a sub-stream (e.g. one call's durations), independent of what other streams drew. */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let hash = seed >>> 0;
  for (const part of parts) {
    hash = Math.imul(hash ^ (part >>> 0), 0x9e3779b1) >>> 0;
    hash = (hash ^ (hash >>> 16)) >>> 0;
  }
  return hash;
}
