/**
 * One structured event per job transition the runtime makes, as one JSON line to the job log
 * group (`config.logs.jobLogGroup`, through the batching `LogShipper`) and to stdout (pino).
 * The gateway emits `queued` and the DLQ handler `dead-lettered`; the runtime emits:
 *
 * | event       | transition              | when |
 * |-------------|-------------------------|------|
 * | `delivered` | queued -> running       | a message was received and the record says running |
 * | `processed` | running -> succeeded    | the record with the output is stored (the message is deleted after) |
 * | `failed`    | running -> queued/failed| an attempt failed: back to the queue (`final: false`) or refused outright (`final: true`) |
 * | `released`  | running -> queued       | the runtime gave the job back unfinished (its instance stopped, or it stopped): not a failure |
 *
 * An event that ends an attempt (`processed`, `failed`, `released`) is flushed at once, so a
 * process killed right after it has most likely shipped it. `delivered` waits for the next flush:
 * the shipper's timer (1 s), or the attempt's end, whichever comes first. A PutLogEvents call made
 * as the inference starts would compete with it for the event loop, which hands the model every
 * token (measured on the tiny model: see docs/benchmarks.md). stdout has every event at once.
 */
import type { Job } from "../lib/job.ts";
import type { LogShipper } from "../lib/log-shipper.ts";
import type { Logger } from "../lib/logger.ts";

export type JobEventName = "delivered" | "processed" | "failed" | "released";

export interface JobEvent {
  event: JobEventName;
  jobId: string;
  owner: string;
  status: Job["status"];
  attempts: number | undefined;
  at: string;
  [key: string]: unknown;
}

export interface JobEventsOptions {
  /** Absent: stdout only (e.g. the worker in a unit test). */
  shipper?: LogShipper;
  logger: Logger;
  /** @defaultValue Date.now */
  now?: () => number;
}

export class JobEvents {
  readonly #shipper: LogShipper | undefined;
  readonly #logger: Logger;
  readonly #now: () => number;

  constructor(options: JobEventsOptions) {
    this.#shipper = options.shipper;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
  }

  /** Emits `event` for `job` (the record after the transition) with `detail`. Never throws. */
  emit(event: JobEventName, job: Job, detail: Record<string, unknown> = {}): JobEvent {
    const now = this.#now();
    const entry: JobEvent = {
      event,
      jobId: job.jobId,
      owner: job.owner,
      status: job.status,
      attempts: job.attempts,
      at: new Date(now).toISOString(),
      ...detail,
    };
    const level = event === "failed" ? "warn" : "info";
    this.#logger[level]({ jobEvent: entry }, `job ${event}`);
    if (this.#shipper) {
      this.#shipper.push(JSON.stringify(entry), now);
      if (event !== "delivered") void this.#shipper.flush();
    }
    return entry;
  }
}
