/**
 * The local trigger harness: what EventBridge schedules and the Lambda service do for the
 * handlers on AWS, in one process. Each schedule fires its handler every `everyMs` (and once at
 * start, so a demo does not wait a whole period) with a scheduled event and a Lambda-like context
 * whose `getRemainingTimeInMillis` counts down from the function's timeout.
 *
 * Local adapter only: nothing in the handlers knows it exists. Like a Lambda with reserved
 * concurrency 1, a function does not overlap itself: a tick that finds the previous invocation
 * still running is skipped (and logged). A handler that throws, rejects or runs past its
 * timeout is logged as an error and the schedule goes on; the harness never dies of it. Every
 * invocation gets one line (like Lambda's REPORT line): function, request id, duration, outcome. AWS
 * retries a failed asynchronous invocation twice; here the next tick is the retry.
 *
 * No SQS event-source mapping is emulated: the job queue is consumed by the runtime on the GPU
 * instance, and the DLQ handler must leave its messages in place, which a mapping would not.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { Logger } from "../../lib/logger.ts";
import type { Handler, LambdaContext, ScheduledEvent } from "../lambda.ts";

export interface Schedule {
  /** Short name, e.g. `waker`; the Lambda-like function name is `<prefix><name>`. */
  name: string;
  everyMs: number;
  /** The function's timeout, as getRemainingTimeInMillis sees it. */
  timeoutMs: number;
  handler: Handler<ScheduledEvent>;
}

export interface HarnessOptions {
  schedules: Schedule[];
  logger: Logger;
  /** @defaultValue "us-east-1" */
  region?: string;
  /** @defaultValue "000000000000" */
  accountId?: string;
  /** @defaultValue "tinyllama-" */
  functionPrefix?: string;
  /** Fire each schedule once at start. @defaultValue true */
  runAtStart?: boolean;
}

export interface Invocation {
  name: string;
  requestId: string;
  startedAt: string;
  durationMs: number;
  outcome: "ok" | "error" | "timeout";
  error?: string;
  result?: unknown;
}

export interface ScheduleStats {
  name: string;
  everyMs: number;
  invocations: number;
  errors: number;
  timeouts: number;
  /** Ticks skipped because the previous invocation still ran. */
  skipped: number;
  running: boolean;
  last?: Invocation;
}

export interface Harness {
  start(): void;
  /** Stops the timers and waits for running invocations to settle. */
  stop(): Promise<void>;
  /** Runs one schedule's handler now (as a tick would, but never skipped). */
  invoke(name: string): Promise<Invocation>;
  stats(): ScheduleStats[];
}

export function createHarness(options: HarnessOptions): Harness {
  const { logger } = options;
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? "000000000000";
  const prefix = options.functionPrefix ?? "tinyllama-";
  const entries = options.schedules.map((schedule) => ({
    schedule,
    timer: undefined as NodeJS.Timeout | undefined,
    running: undefined as Promise<Invocation> | undefined,
    stats: {
      name: schedule.name,
      everyMs: schedule.everyMs,
      invocations: 0,
      errors: 0,
      timeouts: 0,
      skipped: 0,
      running: false,
    } as ScheduleStats,
  }));
  type Entry = (typeof entries)[number];

  const find = (name: string): Entry => {
    const entry = entries.find((e) => e.schedule.name === name);
    if (!entry)
      throw new Error(`no schedule ${name}: the harness runs ${entries.map((e) => e.schedule.name)}`);
    return entry;
  };

  function context(functionName: string, timeoutMs: number, requestId: string): LambdaContext {
    const deadline = Date.now() + timeoutMs;
    const day = new Date().toISOString().slice(0, 10).replaceAll("-", "/");
    return {
      awsRequestId: requestId,
      functionName,
      functionVersion: "$LATEST",
      invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
      memoryLimitInMB: "128",
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: `${day}/[$LATEST]${randomBytes(16).toString("hex")}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
  }

  function event(functionName: string): ScheduledEvent {
    return {
      version: "0",
      id: randomUUID(),
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: accountId,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      region,
      resources: [`arn:aws:events:${region}:${accountId}:rule/${functionName}-schedule`],
      detail: {},
    };
  }

  async function run(entry: Entry): Promise<Invocation> {
    const { schedule, stats } = entry;
    const functionName = `${prefix}${schedule.name}`;
    const requestId = randomUUID();
    const started = Date.now();
    const log = logger.child({ function: functionName, requestId });
    log.debug("invocation started");
    stats.invocations++;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), schedule.timeoutMs);
    });
    const call = Promise.resolve().then(() =>
      schedule.handler(event(functionName), context(functionName, schedule.timeoutMs, requestId)),
    );
    const base = { name: schedule.name, requestId, startedAt: new Date(started).toISOString() };
    let invocation: Invocation;
    try {
      const result = await Promise.race([call.then((value) => ({ value })), timedOut]);
      if (result === "timeout") {
        stats.timeouts++;
        invocation = { ...base, durationMs: Date.now() - started, outcome: "timeout" };
        log.error(
          { durationMs: invocation.durationMs },
          `Task timed out after ${(schedule.timeoutMs / 1000).toFixed(2)} seconds`,
        );
        // Like a killed Lambda it is over; unlike one it may still finish: wait for it before the next tick.
        await call.catch(() => {});
      } else {
        invocation = { ...base, durationMs: Date.now() - started, outcome: "ok", result: result.value };
        log.info({ durationMs: invocation.durationMs, result: brief(result.value) }, "invocation ok");
      }
    } catch (err) {
      stats.errors++;
      invocation = {
        ...base,
        durationMs: Date.now() - started,
        outcome: "error",
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      };
      log.error({ err, durationMs: invocation.durationMs }, `invocation failed: ${invocation.error}`);
    } finally {
      clearTimeout(timer);
    }
    stats.last = invocation;
    return invocation;
  }

  function tick(entry: Entry): Promise<Invocation> | undefined {
    if (entry.running) {
      entry.stats.skipped++;
      logger.warn(
        { function: `${prefix}${entry.schedule.name}` },
        "schedule fired while the previous invocation still runs: skipped",
      );
      return undefined;
    }
    return launch(entry);
  }

  function launch(entry: Entry): Promise<Invocation> {
    const p = run(entry).finally(() => {
      if (entry.running === p) {
        entry.running = undefined;
        entry.stats.running = false;
      }
    });
    entry.running = p;
    entry.stats.running = true;
    return p;
  }

  return {
    start() {
      for (const entry of entries) {
        if (entry.timer) continue;
        entry.timer = setInterval(() => void tick(entry), entry.schedule.everyMs);
        if (options.runAtStart ?? true) void tick(entry);
      }
      logger.info(
        { schedules: entries.map((e) => ({ name: e.schedule.name, everyMs: e.schedule.everyMs })) },
        "trigger harness started",
      );
    },
    async stop() {
      for (const entry of entries) {
        clearInterval(entry.timer);
        entry.timer = undefined;
      }
      await Promise.all(entries.map((e) => e.running?.catch(() => undefined)));
    },
    async invoke(name) {
      const entry = find(name);
      if (entry.running) await entry.running.catch(() => undefined);
      return launch(entry);
    },
    stats: () => entries.map((e) => ({ ...e.stats })),
  };
}

/** A result small enough for the invocation's log line, else its size. */
function brief(value: unknown): unknown {
  const text = JSON.stringify(value);
  if (text === undefined || text.length <= 500) return value;
  return `(${text.length} characters)`;
}
