/** The sliding-log rule with an injected clock: exact at window edges, refusals cost nothing. */
import { describe, expect, it } from "vitest";
import { MemorySlidingLogStore } from "../../services/gateway/throttle-store.ts";

const rules = [
  { windowMs: 1000, limit: 5 },
  { windowMs: 60_000, limit: 20 },
];
const admittedAt = (store: MemorySlidingLogStore, key: string, times: number[]) =>
  times.filter((t) => store.take(key, t).admitted);

describe("MemorySlidingLogStore (5 per 1 s, 20 per 60 s)", () => {
  it("admits 5 rapid hits and refuses the 6th", () => {
    const store = new MemorySlidingLogStore(rules);
    const decisions = [0, 1, 2, 3, 4, 5].map((t) => store.take("alice", t));
    expect(decisions.map((d) => d.admitted)).toEqual([true, true, true, true, true, false]);
    expect(decisions.map((d) => d.count)).toEqual([1, 2, 3, 4, 5, 5]);
  });

  it("frees a slot exactly 1000 ms after a hit, not a millisecond earlier", () => {
    const store = new MemorySlidingLogStore(rules);
    expect(admittedAt(store, "a", [0, 100, 200, 300, 400])).toHaveLength(5);
    expect(store.take("a", 999).admitted).toBe(false);
    expect(store.take("a", 1000).admitted).toBe(true);
    expect(store.take("a", 1000).admitted).toBe(false);
  });

  it("lets no more than 5 through across a 1 s window edge (fixed windows allow 10)", () => {
    const store = new MemorySlidingLogStore(rules);
    // 5 at the end of one second, 5 at the start of the next: a fixed window admits all 10.
    const admitted = admittedAt(store, "a", [990, 991, 992, 993, 994, 1000, 1001, 1002, 1003, 1004]);
    expect(admitted).toEqual([990, 991, 992, 993, 994]);
  });

  it("never admits more than 20 in any 60 s, across the minute edge too", () => {
    const store = new MemorySlidingLogStore(rules);
    // One hit every 250 ms for 3 minutes: 4/s passes the burst rule, so only the minute rule binds.
    const times = Array.from({ length: 720 }, (_, i) => i * 250);
    const admitted = admittedAt(store, "a", times);
    for (const t of admitted) {
      const inWindow = admitted.filter((u) => u > t - 60_000 && u <= t).length;
      expect(inWindow).toBeLessThanOrEqual(20);
    }
    expect(admitted).toHaveLength(60); // 20 per minute for 3 minutes
    expect(admitted[20]).toBe(60_000); // the 21st waits for the first to leave the window
  });

  it("does not count refused hits: a client hammering while limited keeps its full quota", () => {
    const store = new MemorySlidingLogStore(rules);
    expect(admittedAt(store, "a", [0, 1, 2, 3, 4])).toHaveLength(5);
    for (let t = 5; t < 1000; t++) store.take("a", t); // ~1000 refused hits
    expect(admittedAt(store, "a", [1000, 1001, 1002, 1003, 1004, 1005])).toHaveLength(5);
  });

  it("keeps users apart", () => {
    const store = new MemorySlidingLogStore(rules);
    expect(admittedAt(store, "alice", [0, 0, 0, 0, 0, 0])).toHaveLength(5);
    expect(admittedAt(store, "bob", [0, 0, 0, 0, 0, 0])).toHaveLength(5);
  });

  it("forgets a key on reset and sweeps idle keys", () => {
    const store = new MemorySlidingLogStore(rules);
    admittedAt(store, "a", [0, 0, 0, 0, 0]);
    store.reset("a");
    expect(store.take("a", 1).admitted).toBe(true);
    for (let i = 0; i < 1000; i++) store.take(`user-${i}`, 60_000);
    expect(store.size).toBeGreaterThan(1000);
    store.take("late", 120_000);
    expect(store.size).toBeLessThan(10);
  });

  it("rejects nonsense windows", () => {
    expect(() => new MemorySlidingLogStore([])).toThrow(/at least one window/);
    expect(() => new MemorySlidingLogStore([{ windowMs: 1000, limit: 0 }])).toThrow(/limit >= 1/);
  });
});
