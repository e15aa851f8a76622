/**
 * The queue worker: takes jobs from the SQS FIFO job queue, one at a time, and runs them on the
 * inference backend.
 *
 * - **Receive.** A long poll (WaitTimeSeconds 20, MaxNumberOfMessages 1). One user's jobs keep
 *   their order: their message group stays locked while one of its messages is in flight.
 * - **Record, then delete.** The job record in S3 goes `running` (attempts = the message's
 *   ApproximateReceiveCount, startedAt, the phase timings so far), the backend runs the job, and
 *   the record goes `succeeded` with output, usage, timings, backend and finishedAt. Only after
 *   that record is stored is the message deleted. A process that dies in between leaves the
 *   message to come back; the redelivery finds the record already `succeeded` and only deletes
 *   it. So a job's result is stored exactly once even across kill -9.
 * - **Heartbeat.** While a job runs, its message's visibility is extended every half visibility
 *   timeout, so a long inference is never handed to a second consumer. If SQS says the message
 *   is no longer ours, the job is aborted and its record left alone.
 * - **Failure.** An inference error puts the record back to `queued` with the error and makes
 *   the message visible again after `retryDelaySeconds`; the queue's redrive moves it to the
 *   dead-letter queue on the receive after maxReceiveCount (the DLQ handler marks the record
 *   `dead-lettered`). A job the model can never run (a prompt longer than the context) is
 *   `failed` at once and its message deleted. A body that is not a job is logged and left to
 *   the redrive.
 * - **Release.** `pause("release")` (the power gate, when the instance stops) or
 *   `stop("release")` aborts the running job, puts its record back to `queued` (no error: not a
 *   failure) and makes its message visible at once.
 * - **Metrics** (batched, CloudWatch namespace from config): `JobDurationMs` (delivered to
 *   processed, per job), `TokensPerSecond` (decode speed, per job), `QueueDepth` (visible
 *   messages, sampled when consuming starts and every `queueDepthIntervalMs` after, not per job:
 *   a call made beside a starting inference slows it).
 *
 * Phase timings of a record: `bootMs` is how long the job waited for its GPU instance to boot,
 * `loadMs` how long it waited for the model to load, `queueWaitMs` the rest of its time in the
 * queue, and `inferenceMs` the run itself, so together they make createdAt to finishedAt.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { type Job, jobKey, jobSchema, transition } from "../lib/job.ts";
import type { Logger } from "../lib/logger.ts";
import type { MetricBatcher } from "../lib/metric-batcher.ts";
import { type InferenceBackend, PromptTooLongError } from "./backend.ts";
import type { JobEvents } from "./job-events.ts";
import { type JobResult, runJob } from "./run-job.ts";

/** Moments of the current power cycle, epoch ms; absent ones did not happen (or are unknown). */
export interface PowerTimeline {
  /** The instance's last start (EC2 LaunchTime). */
  bootStartedAt?: number;
  /** When the instance was seen `running`. */
  runningAt?: number;
  loadStartedAt?: number;
  loadedAt?: number;
}

/** What happens to a job that is running when the worker pauses or stops. */
export type InFlight = "finish" | "release";

export interface QueueWorkerOptions {
  sqs: SQSClient;
  s3: S3Client;
  bucket: string;
  queueUrl: string;
  backend: InferenceBackend;
  events: JobEvents;
  metrics?: MetricBatcher;
  logger: Logger;
  /** Seconds a failed job waits before its next attempt. @defaultValue 5 */
  retryDelaySeconds?: number;
  /** @defaultValue 20 */
  waitTimeSeconds?: number;
  /** @defaultValue the queue's VisibilityTimeout */
  visibilityTimeoutSeconds?: number;
  /** @defaultValue half the visibility timeout */
  heartbeatMs?: number;
  /** How often QueueDepth is sampled while consuming. @defaultValue 15000 */
  queueDepthIntervalMs?: number;
  /** The power cycle's moments, for bootMs and loadMs. */
  timeline?: () => PowerTimeline;
  /** @defaultValue Date.now */
  now?: () => number;
}

interface Current {
  message: Message;
  abort: AbortController;
  /** Set when the job is to be given back rather than failed. */
  release: boolean;
}

/** Jobs in these states are done: a message for one is deleted without running it again. */
const FINAL_STATUSES: ReadonlySet<Job["status"]> = new Set(["succeeded", "failed", "dead-lettered"]);
/** SQS errors that mean the receipt handle no longer holds the message. */
const LEASE_LOST = new Set(["MessageNotInflight", "ReceiptHandleIsInvalid", "InvalidParameterValue"]);

export class QueueWorker {
  readonly #o: QueueWorkerOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  #visibilitySeconds = 30;
  #maxReceiveCount: number | undefined;
  #consuming = false;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #current: Current | undefined;
  #idleWaiters: Array<() => void> = [];
  #resumeWaiters: Array<() => void> = [];
  #pollAbort: AbortController | undefined;
  readonly #stopAbort = new AbortController();
  #receiveFailures = 0;
  #depthTimer: NodeJS.Timeout | undefined;

  constructor(options: QueueWorkerOptions) {
    this.#o = options;
    this.#log = options.logger;
    this.#now = options.now ?? Date.now;
  }

  /** True while the worker takes new jobs. */
  get consuming(): boolean {
    return this.#consuming;
  }

  /** True while a received message is being handled. */
  get busy(): boolean {
    return this.#current !== undefined;
  }

  /**
   * Reads the queue's visibility timeout and redrive policy, then runs the receive loop;
   * `paused` starts it without consuming until `resume()`.
   */
  async start({ paused = false }: { paused?: boolean } = {}): Promise<void> {
    if (this.#loop) throw new Error("the worker is already started");
    const { Attributes: a = {} } = await this.#o.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.#o.queueUrl,
        AttributeNames: ["VisibilityTimeout", "RedrivePolicy"],
      }),
    );
    this.#visibilitySeconds = this.#o.visibilityTimeoutSeconds ?? Number(a.VisibilityTimeout ?? 30);
    if (a.RedrivePolicy) {
      const policy = JSON.parse(a.RedrivePolicy) as { maxReceiveCount?: number | string };
      this.#maxReceiveCount = Number(policy.maxReceiveCount) || undefined;
    }
    this.#consuming = !paused;
    this.#loop = this.#run();
    this.#log.info(
      {
        queueUrl: this.#o.queueUrl,
        visibilityTimeoutSeconds: this.#visibilitySeconds,
        heartbeatMs: this.#heartbeatMs(),
        maxReceiveCount: this.#maxReceiveCount,
        consuming: this.#consuming,
      },
      "queue worker started",
    );
    if (this.#consuming) this.#sampleDepthEvery();
  }

  /** Starts (or goes on) taking jobs. */
  resume(): void {
    if (this.#stopped || this.#consuming) return;
    this.#consuming = true;
    for (const wake of this.#resumeWaiters.splice(0)) wake();
    this.#sampleDepthEvery();
    this.#log.info("queue worker consuming");
  }

  /**
   * Stops taking jobs; resolves once no job is in flight. `release` gives the running job back
   * (record `queued`, message visible now), `finish` lets it complete. A long poll already
   * waiting is left to end (aborting it could lose a message to the closed connection until its
   * visibility timeout); whatever it brings is given back at once.
   */
  async pause(inFlight: InFlight = "release"): Promise<void> {
    if (this.#consuming) this.#log.info({ inFlight }, "queue worker paused");
    this.#consuming = false;
    clearInterval(this.#depthTimer);
    const current = this.#current;
    if (current && inFlight === "release") {
      current.release = true;
      current.abort.abort(new Error("the job was released"));
    }
    await this.#idle();
  }

  /** Pauses, aborts the long poll, and ends the loop. */
  async stop(inFlight: InFlight = "release"): Promise<void> {
    this.#stopped = true;
    this.#stopAbort.abort();
    this.#pollAbort?.abort();
    for (const wake of this.#resumeWaiters.splice(0)) wake();
    await this.pause(inFlight);
    await this.#loop;
    this.#log.info("queue worker stopped");
  }

  #idle(): Promise<void> {
    if (!this.#current) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #heartbeatMs(): number {
    return this.#o.heartbeatMs ?? Math.max(500, (this.#visibilitySeconds * 1000) / 2);
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      if (!this.#consuming) {
        await new Promise<void>((resolve) => this.#resumeWaiters.push(resolve));
        continue;
      }
      for (const message of await this.#receive()) await this.#handle(message);
    }
  }

  async #receive(): Promise<Message[]> {
    const abort = new AbortController();
    this.#pollAbort = abort;
    try {
      const out = await this.#o.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.#o.queueUrl,
          MaxNumberOfMessages: 1,
          WaitTimeSeconds: this.#o.waitTimeSeconds ?? 20,
          MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp", "MessageGroupId"],
        }),
        { abortSignal: abort.signal },
      );
      this.#receiveFailures = 0;
      return out.Messages ?? [];
    } catch (err) {
      if (abort.signal.aborted) return [];
      const wait = Math.min(30_000, 500 * 2 ** this.#receiveFailures++);
      this.#log.warn({ err, retryInMs: wait }, "ReceiveMessage failed; trying again");
      await sleep(wait, this.#stopAbort.signal);
      return [];
    } finally {
      this.#pollAbort = undefined;
    }
  }

  async #handle(message: Message): Promise<void> {
    const current: Current = { message, abort: new AbortController(), release: false };
    this.#current = current;
    try {
      await this.#process(current);
    } catch (err) {
      // Only S3/SQS calls outside the job's own handling get here: leave the message to come back.
      this.#log.error(
        { err, messageId: message.MessageId },
        "job handling failed; the message will come back",
      );
    } finally {
      this.#current = undefined;
      for (const done of this.#idleWaiters.splice(0)) done();
    }
  }

  async #process(current: Current): Promise<void> {
    const { message } = current;
    const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
    const given = current.abort.signal;
    if (!this.#consuming) return this.#giveBack(message, 0, "received while paused");

    const parsed = parseBody(message.Body);
    if (!parsed.ok) {
      this.#log.error(
        {
          messageId: message.MessageId,
          receiveCount,
          problem: parsed.problem,
          body: message.Body?.slice(0, 500),
        },
        "the message is not a job: left to the queue's redrive (dead-letter queue after maxReceiveCount receives)",
      );
      return this.#giveBack(message, this.#retryDelay(), "not a job");
    }
    let record: Job;
    try {
      record = (await this.#read(parsed.job.jobId)) ?? parsed.job;
    } catch (err) {
      this.#log.error({ err, jobId: parsed.job.jobId }, "cannot read the job record; the message comes back");
      return this.#giveBack(message, this.#retryDelay(), "record unreadable");
    }
    if (FINAL_STATUSES.has(record.status)) {
      this.#log.info(
        { jobId: record.jobId, status: record.status, receiveCount },
        `job was ${record.status} before this delivery: its message is deleted, the job is not run again`,
      );
      return this.#delete(message, record.jobId);
    }
    if (given.aborted) return this.#giveBack(message, 0, "released before it started");

    const startedAt = this.#now();
    const phases = this.#phases(record, startedAt);
    const running = transition(
      record,
      "running",
      {
        attempts: receiveCount,
        startedAt: iso(startedAt),
        timings: phases,
        output: undefined,
        usage: undefined,
        finishedAt: undefined,
      },
      startedAt,
    );
    try {
      await this.#write(running);
    } catch (err) {
      this.#log.error(
        { err, jobId: record.jobId },
        "cannot store the running record; the message comes back",
      );
      return this.#giveBack(message, this.#retryDelay(), "record unwritable");
    }
    this.#o.events.emit("delivered", running, {
      messageId: message.MessageId,
      queueWaitMs: phases.queueWaitMs,
      ...(phases.bootMs === undefined ? {} : { bootMs: phases.bootMs }),
      ...(phases.loadMs === undefined ? {} : { loadMs: phases.loadMs }),
    });

    const heartbeat = this.#heartbeat(current, running.jobId);
    const t0 = performance.now();
    let result: JobResult;
    try {
      given.throwIfAborted();
      result = await this.#infer(running, given);
    } catch (err) {
      heartbeat.stop();
      if (current.release) return this.#release(current, running);
      if (heartbeat.lost) {
        this.#log.error(
          { jobId: running.jobId },
          "the job's message is no longer ours (visibility lapsed): aborted, record left to whoever holds it",
        );
        return;
      }
      return this.#fail(current, running, err, receiveCount);
    }
    heartbeat.stop();
    const inferenceMs = Math.round(performance.now() - t0);
    const finishedAt = this.#now();
    const succeeded = transition(
      running,
      "succeeded",
      {
        output: result.text,
        usage: { promptTokens: result.tokens.prompt, completionTokens: result.tokens.completion },
        timings: {
          ...running.timings,
          inferenceMs,
          tokensPerSecond: result.timings.decodeTokensPerSecond,
        },
        backend: result.backend,
        finishedAt: iso(finishedAt),
        error: undefined,
      },
      finishedAt,
    );
    try {
      await this.#write(succeeded);
    } catch (err) {
      return this.#fail(
        current,
        running,
        new Error(`the result could not be stored: ${errorText(err)}`, { cause: err }),
        receiveCount,
      );
    }
    const durationMs = finishedAt - startedAt;
    this.#o.events.emit("processed", succeeded, {
      durationMs,
      finishReason: result.finishReason,
      usage: succeeded.usage,
      timings: succeeded.timings,
      backend: result.backend,
    });
    this.#o.metrics?.observe("JobDurationMs", durationMs, "Milliseconds");
    this.#o.metrics?.observe("TokensPerSecond", result.timings.decodeTokensPerSecond, "Count/Second");
    await this.#delete(message, succeeded.jobId);
  }

  /** runJob; a maxTokens that does not fit next to the prompt is cut to what fits, as llama.cpp does. */
  async #infer(job: Job, signal: AbortSignal): Promise<JobResult> {
    const input = { prompt: job.prompt, maxTokens: job.maxTokens };
    try {
      return await runJob(this.#o.backend, input, signal);
    } catch (err) {
      if (!(err instanceof PromptTooLongError) || err.promptTokens >= err.contextSize) throw err;
      const maxTokens = err.contextSize - err.promptTokens;
      this.#log.info(
        { jobId: job.jobId, asked: job.maxTokens, maxTokens, contextSize: err.contextSize },
        "maxTokens cut to what fits the model's context",
      );
      return runJob(this.#o.backend, { ...input, maxTokens }, signal);
    }
  }

  async #fail(current: Current, running: Job, err: unknown, receiveCount: number): Promise<void> {
    const error = errorText(err);
    const now = this.#now();
    // The prompt alone fills the context: no attempt can ever succeed.
    const final = err instanceof PromptTooLongError;
    if (final) {
      const failed = transition(running, "failed", { error, finishedAt: iso(now) }, now);
      await this.#write(failed).catch((e: unknown) =>
        this.#log.error({ err: e, jobId: running.jobId }, "cannot store the failed record"),
      );
      this.#o.events.emit("failed", failed, { error, final: true });
      return this.#delete(current.message, running.jobId);
    }
    const queued = transition(running, "queued", { error }, now);
    await this.#write(queued).catch((e: unknown) =>
      this.#log.error({ err: e, jobId: running.jobId }, "cannot store the record back as queued"),
    );
    const retriesLeft =
      this.#maxReceiveCount === undefined ? undefined : Math.max(0, this.#maxReceiveCount - receiveCount);
    this.#o.events.emit("failed", queued, {
      error,
      final: false,
      retryInSeconds: this.#retryDelay(),
      ...(retriesLeft === undefined ? {} : { retriesLeft }),
    });
    await this.#giveBack(current.message, this.#retryDelay(), "attempt failed");
  }

  /** Back to the queue unfinished, not as a failure: record first, then the message (so no one else sees it running). */
  async #release(current: Current, running: Job): Promise<void> {
    const now = this.#now();
    const queued = transition(running, "queued", {}, now);
    await this.#write(queued).catch((e: unknown) =>
      this.#log.error({ err: e, jobId: running.jobId }, "cannot store the released record back as queued"),
    );
    this.#o.events.emit("released", queued, { reason: "the runtime stopped consuming" });
    await this.#giveBack(current.message, 0, "released");
  }

  #heartbeat(current: Current, jobId: string): { stop(): void; readonly lost: boolean } {
    let lost = false;
    const receipt = current.message.ReceiptHandle;
    const timer = setInterval(() => {
      this.#o.sqs
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: this.#o.queueUrl,
            ReceiptHandle: receipt,
            VisibilityTimeout: this.#visibilitySeconds,
          }),
        )
        .then(
          () => this.#log.debug({ jobId, seconds: this.#visibilitySeconds }, "visibility extended"),
          (err: unknown) => {
            if (!LEASE_LOST.has((err as Error).name)) {
              this.#log.warn({ err, jobId }, "visibility extension failed; trying again at the next beat");
              return;
            }
            lost = true;
            clearInterval(timer);
            current.abort.abort(err);
          },
        );
    }, this.#heartbeatMs());
    timer.unref();
    return {
      stop: () => clearInterval(timer),
      get lost() {
        return lost;
      },
    };
  }

  #phases(job: Job, startedAt: number): NonNullable<Job["timings"]> {
    const created = Date.parse(job.createdAt);
    const t = this.#o.timeline?.() ?? {};
    const waited = (from: number | undefined, to: number | undefined) =>
      from !== undefined && to !== undefined && created < to
        ? Math.max(0, to - Math.max(created, from))
        : undefined;
    const bootMs = waited(t.bootStartedAt, t.runningAt);
    const loadMs = waited(t.loadStartedAt, t.loadedAt);
    const queueWaitMs = Math.max(0, startedAt - created - (bootMs ?? 0) - (loadMs ?? 0));
    return {
      queueWaitMs,
      ...(bootMs === undefined ? {} : { bootMs }),
      ...(loadMs === undefined ? {} : { loadMs }),
    };
  }

  #retryDelay(): number {
    return this.#o.retryDelaySeconds ?? 5;
  }

  async #read(jobId: string): Promise<Job | undefined> {
    try {
      const out = await this.#o.s3.send(new GetObjectCommand({ Bucket: this.#o.bucket, Key: jobKey(jobId) }));
      return jobSchema.parse(JSON.parse((await out.Body?.transformToString("utf8")) ?? ""));
    } catch (err) {
      if ((err as Error).name === "NoSuchKey") return undefined;
      throw err;
    }
  }

  async #write(job: Job): Promise<void> {
    await this.#o.s3.send(
      new PutObjectCommand({
        Bucket: this.#o.bucket,
        Key: jobKey(job.jobId),
        Body: JSON.stringify(job),
        ContentType: "application/json",
      }),
    );
  }

  async #delete(message: Message, jobId: string): Promise<void> {
    try {
      await this.#o.sqs.send(
        new DeleteMessageCommand({ QueueUrl: this.#o.queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
    } catch (err) {
      this.#log.warn(
        { err, jobId },
        "DeleteMessage failed: the record is final, so a redelivery only deletes the message",
      );
    }
  }

  /** Makes the message visible after `seconds` (0: now). */
  async #giveBack(message: Message, seconds: number, why: string): Promise<void> {
    try {
      await this.#o.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.#o.queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: seconds,
        }),
      );
      this.#log.debug({ messageId: message.MessageId, seconds, why }, "message given back");
    } catch (err) {
      this.#log.warn(
        { err, messageId: message.MessageId, why },
        "could not give the message back; it comes back after its visibility timeout",
      );
    }
  }

  #sampleDepthEvery(): void {
    clearInterval(this.#depthTimer);
    void this.#sampleDepth();
    this.#depthTimer = setInterval(() => void this.#sampleDepth(), this.#o.queueDepthIntervalMs ?? 15_000);
    this.#depthTimer.unref();
  }

  async #sampleDepth(): Promise<void> {
    if (!this.#o.metrics) return;
    try {
      const { Attributes: a = {} } = await this.#o.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.#o.queueUrl,
          AttributeNames: ["ApproximateNumberOfMessages"],
        }),
      );
      this.#o.metrics.observe("QueueDepth", Number(a.ApproximateNumberOfMessages ?? 0), "Count");
    } catch (err) {
      this.#log.debug({ err }, "QueueDepth not sampled");
    }
  }
}

function parseBody(body: string | undefined): { ok: true; job: Job } | { ok: false; problem: string } {
  let data: unknown;
  try {
    data = JSON.parse(body ?? "");
  } catch (err) {
    return { ok: false, problem: `not JSON: ${(err as Error).message}` };
  }
  const parsed = jobSchema.safeParse(data);
  if (parsed.success) return { ok: true, job: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, problem: `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}` };
}

const iso = (ms: number) => new Date(ms).toISOString();
const errorText = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
