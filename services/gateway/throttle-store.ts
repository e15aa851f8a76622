/**
 * Per-key admission under several sliding windows at once ("at most 5 in any 1 s and at most 20
 * in any 60 s"), as a sliding log: each key keeps the times of its admitted hits, and a hit is
 * admitted only when every window would still hold at most its limit. A refused hit is not
 * recorded, so hammering while limited costs no future quota. Unlike fixed windows (what
 * express-rate-limit's MemoryStore and rate-limiter-flexible implement) there is no window edge
 * that lets 2x the limit through.
 *
 * `ThrottleStore` is the seam for more than one gateway instance: a shared implementation (Redis
 * ZSET + Lua, DynamoDB conditional writes) only has to make `take` atomic per key.
 */

export interface ThrottleWindow {
  windowMs: number;
  limit: number;
}

export interface ThrottleDecision {
  admitted: boolean;
  /** Admitted hits in the shortest window, this one included when admitted. */
  count: number;
}

export interface ThrottleStore {
  /** Admits and records a hit for `key` at `now` (epoch ms) if every window allows it. Atomic per key. */
  take(key: string, now: number): ThrottleDecision | Promise<ThrottleDecision>;
  /** Forgets `key`'s hits. */
  reset(key: string): void | Promise<void>;
}

/** In one process; at most max(limit) timestamps per key; idle keys are swept once per longest window. */
export class MemorySlidingLogStore implements ThrottleStore {
  readonly windows: readonly ThrottleWindow[];
  #logs = new Map<string, number[]>();
  #longest: number;
  #keep: number;
  #lastSweep = 0;

  constructor(windows: readonly ThrottleWindow[]) {
    if (windows.length === 0) throw new Error("MemorySlidingLogStore needs at least one window");
    for (const w of windows)
      if (!(w.windowMs > 0 && Number.isInteger(w.limit) && w.limit >= 1))
        throw new Error(`bad throttle window ${JSON.stringify(w)}: windowMs > 0 and an integer limit >= 1`);
    this.windows = [...windows].sort((a, b) => a.windowMs - b.windowMs);
    this.#longest = Math.max(...windows.map((w) => w.windowMs));
    this.#keep = Math.max(...windows.map((w) => w.limit));
  }

  take(key: string, now: number): ThrottleDecision {
    if (now - this.#lastSweep >= this.#longest) this.#sweep(now);
    const log = this.#logs.get(key) ?? [];
    // A hit at t counts in the window ending at now when t > now - windowMs.
    const counts = this.windows.map((w) => log.length - firstAfter(log, now - w.windowMs));
    const admitted = this.windows.every((w, i) => (counts[i] ?? 0) < w.limit);
    if (admitted) {
      log.push(now);
      // Drop what no window can see any more (in bulk, so each hit is moved O(1) times on average).
      const stale = firstAfter(log, now - this.#longest);
      const over = log.length - this.#keep;
      const drop = Math.max(over, stale >= 64 && stale * 2 >= log.length ? stale : 0);
      if (drop > 0) log.splice(0, drop);
      this.#logs.set(key, log);
    }
    return { admitted, count: (counts[0] ?? 0) + (admitted ? 1 : 0) };
  }

  reset(key: string): void {
    this.#logs.delete(key);
  }

  /** Keys with hits on record (for tests). */
  get size(): number {
    return this.#logs.size;
  }

  #sweep(now: number): void {
    this.#lastSweep = now;
    for (const [key, log] of this.#logs) {
      const last = log[log.length - 1];
      if (last === undefined || last <= now - this.#longest) this.#logs.delete(key);
    }
  }
}

/** Index of the first hit in `log` (ascending) later than `after`: a binary search, so huge limits stay cheap. */
function firstAfter(log: readonly number[], after: number): number {
  let lo = 0;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((log[mid] as number) > after) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
