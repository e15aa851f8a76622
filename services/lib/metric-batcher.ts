/**
 * Counts events into CloudWatch metrics in batches: `add(name)` bumps a counter for the current
 * second, and the counters are sent with PutMetricData (up to 1,000 data points a call) at most
 * `flushIntervalMs` after the first unsent count. A failed call keeps its counts and is retried
 * with backoff, `close()` flushes what is left, and nothing here throws into the caller, so a
 * counted event is never lost to a CloudWatch outage shorter than the process's life.
 *
 * Written by hand because the maintained alternative, EMF in the log stream, needs a log
 * metric filter to become a metric locally, and PutMetricData works the same on AWS and here.
 */
import {
  type CloudWatchClient,
  type Dimension,
  type MetricDatum,
  PutMetricDataCommand,
  type StandardUnit,
} from "@aws-sdk/client-cloudwatch";
import type { Logger } from "./logger.ts";

/** PutMetricData: at most 1,000 metrics a request (SDK PutMetricDataCommand documentation). */
export const MAX_DATUMS_PER_CALL = 1000;
const MAX_BACKOFF_MS = 30_000;

export interface MetricBatcherOptions {
  cloudwatch: CloudWatchClient;
  namespace: string;
  logger?: Logger;
  /** Longest time a count waits before it is sent. @defaultValue 5000 */
  flushIntervalMs?: number;
  /** @defaultValue Date.now */
  now?: () => number;
}

interface Pending {
  name: string;
  unit: StandardUnit;
  dimensions: Dimension[];
  /** Start of the second the values fell in, epoch ms. */
  second: number;
  /** The count, or the sum of the observed values. */
  value: number;
  /** Present for `observe()`: sent as a statistic set, so values are never added together. */
  stats?: { count: number; min: number; max: number };
}

export class MetricBatcher {
  readonly namespace: string;
  #cloudwatch: CloudWatchClient;
  #logger: Logger | undefined;
  #interval: number;
  #now: () => number;
  #pending = new Map<string, Pending>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #failures = 0;
  #closed = false;

  constructor(options: MetricBatcherOptions) {
    this.namespace = options.namespace;
    this.#cloudwatch = options.cloudwatch;
    this.#logger = options.logger;
    this.#interval = options.flushIntervalMs ?? 5000;
    this.#now = options.now ?? Date.now;
  }

  /** Adds `value` to metric `name` for the current second. Never throws. */
  add(name: string, value = 1, unit: StandardUnit = "Count", dimensions: Dimension[] = []): void {
    const second = Math.floor(this.#now() / 1000) * 1000;
    const key = JSON.stringify([name, unit, dimensions, second]);
    const entry = this.#pending.get(key);
    if (entry) entry.value += value;
    else this.#pending.set(key, { name, unit, dimensions, second, value });
    this.#arm(this.#interval);
  }

  /**
   * Records one measurement (a duration, a rate, a gauge such as a queue depth) for the current
   * second. Measurements of one second are sent as one statistic set (SampleCount, Sum, Minimum,
   * Maximum), so Average, Minimum and Maximum stay right where `add()` would sum them. Never throws.
   */
  observe(name: string, value: number, unit: StandardUnit = "None", dimensions: Dimension[] = []): void {
    if (!Number.isFinite(value)) return;
    const second = Math.floor(this.#now() / 1000) * 1000;
    const key = JSON.stringify(["observe", name, unit, dimensions, second]);
    const entry = this.#pending.get(key);
    if (entry?.stats) merge(entry, { value, stats: { count: 1, min: value, max: value } });
    else
      this.#pending.set(key, {
        name,
        unit,
        dimensions,
        second,
        value,
        stats: { count: 1, min: value, max: value },
      });
    this.#arm(this.#interval);
  }

  /** The unsent total of metric `name`, all seconds together (for tests and shutdown logs). */
  pendingTotal(name: string): number {
    let total = 0;
    for (const p of this.#pending.values()) if (p.name === name) total += p.value;
    return total;
  }

  /** Sends every unsent count now; on failure the counts stay for the next try. */
  flush(): Promise<void> {
    this.#flushing ??= this.#flushAll().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  /** Flushes, retrying for up to `timeoutMs`; later `add()` calls are still counted and flushed by the next close/flush. */
  async close(timeoutMs = 5000): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const deadline = this.#now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      await this.flush();
      if (this.#pending.size === 0 || this.#now() >= deadline) break;
      await sleep(Math.min(100 * 2 ** attempt, Math.max(0, deadline - this.#now())));
    }
    if (this.#pending.size > 0)
      this.#logger?.error(
        { namespace: this.namespace, unsent: [...this.#pending.values()] },
        "closing with metric data CloudWatch did not accept",
      );
  }

  #arm(delay: number): void {
    if (this.#closed || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, delay);
    this.#timer.unref();
  }

  async #flushAll(): Promise<void> {
    while (this.#pending.size > 0) {
      const batch = [...this.#pending.entries()].slice(0, MAX_DATUMS_PER_CALL);
      for (const [key] of batch) this.#pending.delete(key);
      const data: MetricDatum[] = batch.map(([, p]) => ({
        MetricName: p.name,
        Unit: p.unit,
        ...(p.stats
          ? {
              StatisticValues: {
                SampleCount: p.stats.count,
                Sum: p.value,
                Minimum: p.stats.min,
                Maximum: p.stats.max,
              },
            }
          : { Value: p.value }),
        Timestamp: new Date(p.second),
        ...(p.dimensions.length > 0 ? { Dimensions: p.dimensions } : {}),
      }));
      try {
        await this.#cloudwatch.send(
          new PutMetricDataCommand({ Namespace: this.namespace, MetricData: data }),
        );
        this.#failures = 0;
      } catch (err) {
        // Put the counts back, merged with anything added meanwhile.
        for (const [key, p] of batch) {
          const now = this.#pending.get(key);
          if (now) merge(now, p);
          else this.#pending.set(key, p);
        }
        this.#failures++;
        const wait = Math.min(MAX_BACKOFF_MS, 500 * 2 ** (this.#failures - 1));
        this.#logger?.warn(
          { err, namespace: this.namespace, retryInMs: wait },
          "PutMetricData failed; counts kept for the next try",
        );
        this.#arm(wait);
        return;
      }
    }
  }
}

/** Adds `more` into `into`: counts add up, statistic sets combine. */
function merge(into: Pending, more: Pick<Pending, "value" | "stats">): void {
  into.value += more.value;
  if (into.stats && more.stats)
    into.stats = {
      count: into.stats.count + more.stats.count,
      min: Math.min(into.stats.min, more.stats.min),
      max: Math.max(into.stats.max, more.stats.max),
    };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
