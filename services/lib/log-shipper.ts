/**
 * Ships log lines to a CloudWatch Logs stream in batches, the way the CloudWatch agent does: lines
 * are buffered, and a flush (every `flushIntervalMs`, or on `flush()`/`close()`) sends them with
 * PutLogEvents in chronological batches within AWS's limits (10,000 events, 1,048,576 bytes
 * counting 26 bytes per event, 24 hours per batch). A failed call keeps its events and is
 * retried with backoff; nothing here throws into the caller. The stream is created on `start()`;
 * a missing log group is a set-up error and fails `start()` with the fix, while any other error
 * (CloudWatch Logs unreachable) is retried in the background.
 *
 * Written by hand because no maintained library ships to a given stream with these limits
 * without also replacing the logger (pino transports run in worker threads and drop on exit).
 */
import {
  type CloudWatchLogsClient,
  CreateLogStreamCommand,
  type InputLogEvent,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import type { Logger } from "./logger.ts";

/** PutLogEvents limits, from the SDK's PutLogEventsCommand documentation. */
export const PUT_LOG_EVENTS_LIMITS = {
  maxEvents: 10_000,
  maxBytes: 1_048_576,
  perEventOverheadBytes: 26,
  maxEventBytes: 1_048_576 - 26,
  maxSpanMs: 24 * 60 * 60 * 1000,
} as const;

export interface LogShipperOptions {
  logs: CloudWatchLogsClient;
  group: string;
  stream: string;
  /** Where the shipper reports its own trouble. */
  logger?: Logger;
  /** @defaultValue 1000 */
  flushIntervalMs?: number;
  /** Events held while CloudWatch Logs is unreachable; past this the oldest are dropped (and counted). @defaultValue 100000 */
  maxBufferedEvents?: number;
  /** @defaultValue Date.now */
  now?: () => number;
}

export class LogGroupMissingError extends Error {
  readonly group: string;
  constructor(group: string, options?: ErrorOptions) {
    super(
      `log group ${group} does not exist: provision it (npm run provision, or make dev) before starting`,
      options,
    );
    this.name = "LogGroupMissingError";
    this.group = group;
  }
}

const MAX_BACKOFF_MS = 30_000;

export class LogShipper {
  readonly group: string;
  readonly stream: string;
  #logs: CloudWatchLogsClient;
  #logger: Logger | undefined;
  #interval: number;
  #maxBuffered: number;
  #now: () => number;
  #buffer: InputLogEvent[] = [];
  #streamReady = false;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #failures = 0;
  #nextTryAt = 0;
  #dropped = 0;
  #closed = false;

  constructor(options: LogShipperOptions) {
    this.group = options.group;
    this.stream = options.stream;
    this.#logs = options.logs;
    this.#logger = options.logger;
    this.#interval = options.flushIntervalMs ?? 1000;
    this.#maxBuffered = options.maxBufferedEvents ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  /** Creates the stream; throws LogGroupMissingError when the group is absent. */
  async start(): Promise<void> {
    try {
      await this.#createStream();
    } catch (err) {
      if (err instanceof LogGroupMissingError) throw err;
      this.#logger?.warn(
        { err, group: this.group, stream: this.stream },
        "cannot create the log stream yet; lines are buffered and it is retried",
      );
    }
    this.#schedule();
  }

  /** Buffers one line; `timestamp` defaults to now. Never throws. */
  push(message: string, timestamp = this.#now()): void {
    const text = truncate(message, PUT_LOG_EVENTS_LIMITS.maxEventBytes);
    this.#buffer.push({ message: text, timestamp });
    if (this.#buffer.length > this.#maxBuffered) {
      const over = this.#buffer.length - this.#maxBuffered;
      this.#buffer.splice(0, over);
      this.#dropped += over;
      this.#logger?.error(
        { dropped: this.#dropped, group: this.group },
        "log buffer full while CloudWatch Logs is unreachable: oldest lines dropped (they are still on stdout)",
      );
    }
  }

  get pending(): number {
    return this.#buffer.length;
  }

  /** Sends everything buffered now; resolves when done or when a call failed (events kept). */
  flush(): Promise<void> {
    this.#flushing ??= this.#flushAll().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  /** Stops the timer and flushes, retrying for up to `timeoutMs`. */
  async close(timeoutMs = 5000): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const deadline = this.#now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      this.#nextTryAt = 0;
      await this.flush();
      if (this.#buffer.length === 0 || this.#now() >= deadline) break;
      await sleep(Math.min(100 * 2 ** attempt, Math.max(0, deadline - this.#now())));
    }
    if (this.#buffer.length > 0)
      this.#logger?.error(
        { unsent: this.#buffer.length, group: this.group, stream: this.stream },
        "closing with log lines CloudWatch Logs did not accept (they are on stdout)",
      );
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      void this.flush().finally(() => this.#schedule());
    }, this.#interval);
    this.#timer.unref();
  }

  async #flushAll(): Promise<void> {
    if (this.#buffer.length === 0 || this.#now() < this.#nextTryAt) return;
    try {
      if (!this.#streamReady) await this.#createStream();
      while (this.#buffer.length > 0) {
        const batch = takeBatch(this.#buffer);
        try {
          await this.#logs.send(
            new PutLogEventsCommand({
              logGroupName: this.group,
              logStreamName: this.stream,
              logEvents: batch,
            }),
          );
        } catch (err) {
          this.#buffer.unshift(...batch);
          throw err;
        }
      }
      this.#failures = 0;
    } catch (err) {
      this.#failures++;
      const wait = Math.min(MAX_BACKOFF_MS, 500 * 2 ** (this.#failures - 1));
      this.#nextTryAt = this.#now() + wait;
      if (err instanceof LogGroupMissingError) this.#streamReady = false;
      this.#logger?.warn(
        { err, group: this.group, pending: this.#buffer.length, retryInMs: wait },
        "PutLogEvents failed; lines kept for the next try",
      );
    }
  }

  async #createStream(): Promise<void> {
    try {
      await this.#logs.send(
        new CreateLogStreamCommand({ logGroupName: this.group, logStreamName: this.stream }),
      );
    } catch (err) {
      const name = (err as Error).name;
      if (name === "ResourceNotFoundException") throw new LogGroupMissingError(this.group, { cause: err });
      if (name !== "ResourceAlreadyExistsException") throw err;
    }
    this.#streamReady = true;
  }
}

/** Removes and returns the longest chronological prefix of `buffer` that fits one PutLogEvents call. */
export function takeBatch(buffer: InputLogEvent[]): InputLogEvent[] {
  // Lines are pushed in time order from one process; sort anyway so a batch is never rejected.
  buffer.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));
  const first = buffer[0]?.timestamp ?? 0;
  let bytes = 0;
  let count = 0;
  for (const event of buffer) {
    const size = Buffer.byteLength(event.message ?? "") + PUT_LOG_EVENTS_LIMITS.perEventOverheadBytes;
    if (count >= PUT_LOG_EVENTS_LIMITS.maxEvents) break;
    if (bytes + size > PUT_LOG_EVENTS_LIMITS.maxBytes) break;
    if ((event.timestamp ?? 0) - first > PUT_LOG_EVENTS_LIMITS.maxSpanMs) break;
    bytes += size;
    count++;
  }
  return buffer.splice(0, count);
}

function truncate(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  return Buffer.from(text)
    .subarray(0, maxBytes)
    .toString("utf8")
    .replace(/\uFFFD$/, "");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
