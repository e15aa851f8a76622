/** Time source of the mock: tests inject a manual clock to expire codes and tokens without sleeping. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Seconds since the epoch, as JWT claims count time. */
export const epochSeconds = (clock: Clock): number => Math.floor(clock.now() / 1000);
