// The worker and API take "now" from here, never from Date directly, so a test can run the
// whole system at a chosen instant.
export type Clock = { now(): Date };

export const systemClock: Clock = { now: () => new Date() };

/** A clock that runs from `start` at real speed: tests of "what happens at 09:00 on DST day". */
export function clockStartingAt(start: Date): Clock {
  const offset = start.getTime() - Date.now();
  return { now: () => new Date(Date.now() + offset) };
}

/** A clock that only moves when told to. */
export function manualClock(start: Date): Clock & { set(at: Date): void; advance(ms: number): void } {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    set: (at) => (current = at.getTime()),
    advance: (ms) => (current += ms),
  };
}
