/**
 * Per-user throttling on express-rate-limit, keyed by the verified Cognito `sub` (never the IP):
 * at most `burstPerSecond` admitted requests in any 1 s and `requestsPerMinute` in any 60 s.
 * express-rate-limit supplies the middleware plumbing (skip, key, handler); the counting rule is
 * the sliding log of throttle-store.ts, plugged in through express-rate-limit's Store interface.
 * Refused requests get 429 `{"error":"rate_limited"}` with `Retry-After: 60` and call `onBreach`
 * (which counts the ApiRateLimitBreaches metric).
 */
import type { RequestHandler } from "express";
import { type IncrementResponse, rateLimit, type Store } from "express-rate-limit";
import { HttpError } from "./errors.ts";
import type { ThrottleStore } from "./throttle-store.ts";

export interface ThrottleOptions {
  store: ThrottleStore;
  /** The shortest window's limit; express-rate-limit compares the store's count with it. */
  burstLimit: number;
  /** Called once per 429. */
  onBreach?: () => void;
  /** @defaultValue Date.now */
  now?: () => number;
}

export const RETRY_AFTER_SECONDS = 60;

/**
 * Adapts a ThrottleStore to express-rate-limit: an admitted hit reports the shortest window's
 * count (at most `limit`), a refused one `limit + 1`, so express-rate-limit refuses exactly what
 * the store refused. Nothing is decremented: a refused hit was never recorded.
 */
export class ExpressRateLimitAdapter implements Store {
  readonly localKeys = false;
  readonly prefix = "throttle:";
  #store: ThrottleStore;
  #limit: number;
  #now: () => number;

  constructor(store: ThrottleStore, limit: number, now: () => number = Date.now) {
    this.#store = store;
    this.#limit = limit;
    this.#now = now;
  }

  async increment(key: string): Promise<IncrementResponse> {
    const decision = await this.#store.take(key, this.#now());
    return { totalHits: decision.admitted ? decision.count : this.#limit + 1, resetTime: undefined };
  }

  decrement(): void {}

  async resetKey(key: string): Promise<void> {
    await this.#store.reset(key);
  }
}

export function throttle({ store, burstLimit, onBreach, now }: ThrottleOptions): RequestHandler {
  return rateLimit({
    limit: burstLimit,
    windowMs: 1000,
    store: new ExpressRateLimitAdapter(store, burstLimit, now),
    standardHeaders: false,
    legacyHeaders: false,
    // Public routes (healthz) carry no caller and are not throttled per user.
    skip: (_req, res) => res.locals.caller === undefined,
    keyGenerator: (_req, res) => (res.locals.caller as { sub: string }).sub,
    handler: (_req, _res, next) => {
      onBreach?.();
      next(
        new HttpError(429, "rate_limited", "too many requests for this user", {
          exposeMessage: false,
          headers: { "Retry-After": String(RETRY_AFTER_SECONDS) },
        }),
      );
    },
  });
}
