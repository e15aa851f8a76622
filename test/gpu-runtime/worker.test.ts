/**
 * The queue worker against our AWS emulator (real SQS FIFO semantics, S3 records, CloudWatch
 * Logs and metrics) with real inference on the generated tiny model. Failures and slow jobs are
 * injected with the same FaultyBackend the runtime uses for GPU_RUNTIME_FAULTS.
 */
import { randomUUID } from "node:crypto";
import { ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureModel } from "../../scripts/models/models.ts";
import { EngineBackend } from "../../services/gpu-runtime/engine-backend.ts";
import { type Faults, FaultyBackend } from "../../services/gpu-runtime/fault-injection.ts";
import { JobEvents } from "../../services/gpu-runtime/job-events.ts";
import { LlamaBackend } from "../../services/gpu-runtime/llama-backend.ts";
import { runJob } from "../../services/gpu-runtime/run-job.ts";
import { QueueWorker, type QueueWorkerOptions } from "../../services/gpu-runtime/worker.ts";
import { createS3Client, createSqsClient } from "../../services/lib/aws-clients.ts";
import { type Job, transition } from "../../services/lib/job.ts";
import { LogShipper } from "../../services/lib/log-shipper.ts";
import { MetricBatcher } from "../../services/lib/metric-batcher.ts";
import { captureLogger, type Stack, startStack, waitFor } from "./stack.ts";

const llama = new LlamaBackend({
  modelPath: ensureModel("tiny"),
  backend: "cpu",
  threads: 1,
  contextSize: 256,
});
beforeAll(async () => {
  await llama.load();
});
afterAll(() => llama.unload());

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function stack(options: Parameters<typeof startStack>[0] = {}): Promise<Stack> {
  const s = await startStack(options);
  cleanups.push(() => s.close());
  return s;
}

async function startWorker(s: Stack, faults: Faults = {}, options: Partial<QueueWorkerOptions> = {}) {
  const { logger, lines } = captureLogger();
  const shipper = new LogShipper({
    logs: s.logs,
    group: s.config.logs.jobLogGroup,
    stream: `test/${randomUUID()}`,
    logger,
  });
  await shipper.start();
  const metrics = new MetricBatcher({
    cloudwatch: s.cloudwatch,
    namespace: s.config.metricNamespace,
    logger,
  });
  const worker = new QueueWorker({
    sqs: s.sqs,
    s3: s.s3,
    bucket: s.config.bucket,
    queueUrl: s.queueUrl,
    backend: new FaultyBackend(llama, faults),
    events: new JobEvents({ shipper, logger }),
    metrics,
    logger,
    retryDelaySeconds: 0,
    // Short polls: the emulator's close() waits out a parked long poll (see stack.ts).
    waitTimeSeconds: 1,
    ...options,
  });
  await worker.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await worker.stop();
    await shipper.close();
    await metrics.close();
  };
  cleanups.push(stop);
  return { worker, lines, stop };
}

const byEvent = (events: Array<Record<string, unknown>>, name: string) =>
  events.filter((e) => e.event === name);

describe("queue worker", () => {
  it("takes a job running -> succeeded with output, usage and timings, and deletes the message only after the record is stored", async () => {
    const s = await stack();
    const calls: string[] = [];
    // Clients that note the moment the succeeded record is stored and the moment the message is deleted.
    const s3 = createS3Client(s.aws);
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        const body = (args.input as { Body?: unknown }).Body;
        const final =
          context.commandName === "PutObjectCommand" && String(body).includes('"status":"succeeded"');
        if (final) {
          calls.push("store succeeded: start");
          await new Promise((resolve) => setTimeout(resolve, 800));
        }
        const out = await next(args);
        if (final) calls.push("store succeeded: done");
        return out;
      },
      { step: "initialize" },
    );
    const sqs = createSqsClient(s.aws);
    sqs.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "DeleteMessageCommand") calls.push("delete message");
        return next(args);
      },
      { step: "initialize" },
    );
    const job = await s.submit("alice", "Write one line about queues", 24);
    const { stop } = await startWorker(s, { delayMs: 300 }, { s3, sqs });

    const running = await waitFor("running", async () => {
      const r = await s.record(job.jobId);
      return r.status === "running" && r;
    });
    expect(running).toMatchObject({ attempts: 1, timings: { queueWaitMs: expect.any(Number) } });
    expect(running.startedAt).toBeDefined();

    await waitFor("the succeeded record being stored", () => calls.includes("store succeeded: start"));
    // While it is being stored the message is still in flight, and the record still says running.
    expect(await s.queue()).toEqual({ visible: 0, inFlight: 1 });
    expect(calls).not.toContain("delete message");

    const done = await waitFor("succeeded", async () => {
      const r = await s.record(job.jobId);
      return r.status === "succeeded" && r;
    });
    await waitFor("the message deleted", async () => (await s.queue()).inFlight === 0);
    expect(calls).toEqual(["store succeeded: start", "store succeeded: done", "delete message"]);
    expect(await s.queue()).toEqual({ visible: 0, inFlight: 0 });

    const direct = await runJob(llama, { prompt: job.prompt, maxTokens: 24 });
    expect(done).toMatchObject({
      status: "succeeded",
      attempts: 1,
      output: direct.text,
      usage: { promptTokens: direct.tokens.prompt, completionTokens: direct.tokens.completion },
      backend: "cpu",
    });
    expect(done.error).toBeUndefined();
    const t = done.timings ?? {};
    expect(t.queueWaitMs).toBeGreaterThanOrEqual(0);
    expect(t.inferenceMs).toBeGreaterThanOrEqual(300);
    expect(t.tokensPerSecond).toBeGreaterThan(0);
    expect(Date.parse(done.finishedAt ?? "")).toBeGreaterThanOrEqual(Date.parse(done.startedAt ?? ""));

    await stop(); // flushes the job events and the metrics
    const events = await s.events(job.jobId);
    expect(events.map((e) => e.event)).toEqual(["delivered", "processed"]);
    expect(events[1]).toMatchObject({ status: "succeeded", attempts: 1, owner: "alice", backend: "cpu" });
    const [duration] = await s.metric("JobDurationMs");
    expect(duration).toMatchObject({ SampleCount: 1, Unit: "Milliseconds" });
    expect(duration?.Sum).toBeGreaterThanOrEqual(300);
    expect((await s.metric("TokensPerSecond"))[0]?.Sum).toBeGreaterThan(0);
    expect((await s.metric("QueueDepth")).length).toBeGreaterThan(0);
  });

  it("puts a failing job back with its error; after the third failure the queue's redrive moves it to the DLQ", async () => {
    const s = await stack();
    const job = await s.submit("alice", "boom: this prompt fails");
    await startWorker(s, { failPrompt: "^boom" });
    await waitFor("the job in the DLQ", async () => (await s.dlq()).visible === 1);
    expect(await s.queue()).toEqual({ visible: 0, inFlight: 0 });
    const record = await s.record(job.jobId);
    // queued, not dead-lettered: marking it is the DLQ handler's job.
    expect(record).toMatchObject({ status: "queued", attempts: 3 });
    expect(record.error).toMatch(/InjectedFailure: injected failure/);
    await waitFor(
      "three failed events",
      async () => byEvent(await s.events(job.jobId), "failed").length === 3,
    );
    const failed = byEvent(await s.events(job.jobId), "failed");
    expect(failed.map((e) => [e.attempts, e.retriesLeft, e.final])).toEqual([
      [1, 2, false],
      [2, 1, false],
      [3, 0, false],
    ]);

    // The user's group is free again: their next job runs.
    const next = await s.submit("alice", "and this one works");
    await waitFor("the next job", async () => (await s.record(next.jobId)).status === "succeeded");
  });

  it("a prompt that kills the inference engine fails each attempt and ends in the DLQ; the next job runs on a new engine", async () => {
    const s = await stack();
    const engine = new EngineBackend({
      modelPath: ensureModel("tiny"),
      backend: "cpu",
      threads: 1,
      contextSize: 256,
      crashPrompt: "^crash",
    });
    await engine.load();
    cleanups.push(() => engine.unload());
    const first = engine.pid;
    const job = await s.submit("alice", "crash: this prompt aborts the engine");
    await startWorker(s, {}, { backend: engine });
    await waitFor("the job in the DLQ", async () => (await s.dlq()).visible === 1, 30_000);
    const record = await s.record(job.jobId);
    expect(record).toMatchObject({ status: "queued", attempts: 3 });
    expect(record.error).toMatch(/EngineExitedError: the inference engine exited \(signal SIGABRT\)/);

    const next = await s.submit("alice", "and this one works");
    await waitFor("the next job", async () => (await s.record(next.jobId)).status === "succeeded", 30_000);
    expect(engine.pid).not.toBe(first);
  }, 60_000);

  it("keeps a long job invisible past the visibility timeout with heartbeats", async () => {
    const s = await stack({ visibilityTimeoutSeconds: 2 });
    const job = await s.submit("alice", "a slow one");
    const { lines } = await startWorker(s, { delayMs: 5000 });
    await waitFor("running", async () => (await s.record(job.jobId)).status === "running");
    // Another consumer polls for 4 s, past the 2-s visibility timeout: nothing to take.
    const other = await s.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: s.queueUrl, WaitTimeSeconds: 4, MaxNumberOfMessages: 10 }),
    );
    expect(other.Messages ?? []).toEqual([]);
    const done = await waitFor("succeeded", async () => {
      const r = await s.record(job.jobId);
      return r.status === "succeeded" && r;
    });
    expect(done.attempts).toBe(1);
    expect(done.timings?.inferenceMs).toBeGreaterThanOrEqual(5000);
    expect(lines.filter((l) => l.msg === "visibility extended").length).toBeGreaterThanOrEqual(4);
    expect(await s.queue()).toEqual({ visible: 0, inFlight: 0 });
  }, 30_000);

  it("keeps each user's order when two users' jobs interleave, with two workers", async () => {
    const s = await stack();
    const submitted: Job[] = [];
    for (let i = 1; i <= 3; i++)
      for (const user of ["alice", "bob"]) submitted.push(await s.submit(user, `${user} job ${i}`, 8));
    await startWorker(s, { delayMs: 200 });
    await startWorker(s, { delayMs: 200 });
    const records = await waitFor("all six jobs", async () => {
      const all = await Promise.all(submitted.map((j) => s.record(j.jobId)));
      return all.every((r) => r.status === "succeeded") && all;
    });
    for (const user of ["alice", "bob"]) {
      const mine = records.filter((r) => r.owner === user);
      expect(mine.map((r) => r.prompt)).toEqual([1, 2, 3].map((i) => `${user} job ${i}`));
      for (let i = 1; i < mine.length; i++) {
        // Each of a user's jobs starts after the previous one finished: one at a time, in order.
        expect(Date.parse(mine[i]?.startedAt ?? "")).toBeGreaterThanOrEqual(
          Date.parse(mine[i - 1]?.finishedAt ?? ""),
        );
      }
    }
  });

  it("deletes a redelivered message of a job already succeeded without running it again", async () => {
    const s = await stack();
    const job = await s.submit("alice", "done before");
    const stored = transition(job, "succeeded", { output: "the first answer", attempts: 1 }, Date.now());
    await s.jobs.enqueue(stored).catch(() => {}); // rewrites the record; the duplicate message is deduplicated
    const { lines } = await startWorker(s);
    await waitFor("the message deleted", async () => {
      const q = await s.queue();
      return q.visible === 0 && q.inFlight === 0;
    });
    expect(await s.record(job.jobId)).toMatchObject({ status: "succeeded", output: "the first answer" });
    expect(lines.some((l) => String(l.msg).startsWith("job was succeeded before this delivery"))).toBe(true);
    expect(lines.some((l) => l.msg === "job delivered")).toBe(false);
  });

  it("leaves a body that is not a job to the redrive", async () => {
    const s = await stack();
    await s.sqs.send(
      new SendMessageCommand({ QueueUrl: s.queueUrl, MessageBody: "not a job", MessageGroupId: "alice" }),
    );
    const { lines } = await startWorker(s);
    await waitFor("the message in the DLQ", async () => (await s.dlq()).visible === 1);
    const logged = lines.filter((l) => String(l.msg).startsWith("the message is not a job"));
    expect(logged).toHaveLength(3);
    expect(logged[0]).toMatchObject({ level: "error", problem: expect.stringMatching(/^not JSON/) });
  });

  it("cuts a maxTokens over the model's context to what fits, and fails outright a prompt that alone fills it", async () => {
    const s = await stack();
    const long = await s.submit("alice", "a gateway default of 512 tokens", 512); // the tiny model's context is 256
    const huge = await s.submit("bob", "word ".repeat(400).trim(), 16);
    await startWorker(s);
    const cut = await waitFor("the long job", async () => {
      const r = await s.record(long.jobId);
      return r.status === "succeeded" && r;
    });
    expect((cut.usage?.promptTokens ?? 0) + (cut.usage?.completionTokens ?? 0)).toBeLessThanOrEqual(256);
    const refused = await waitFor("the huge job", async () => {
      const r = await s.record(huge.jobId);
      return r.status === "failed" && r;
    });
    expect(refused).toMatchObject({ attempts: 1, error: expect.stringMatching(/^PromptTooLongError: /) });
    expect(await s.dlq()).toEqual({ visible: 0, inFlight: 0 });
    await waitFor("queue empty", async () => (await s.queue()).inFlight === 0);
  });

  it("gives a running job back on stop('release'), not as a failure", async () => {
    const s = await stack();
    const job = await s.submit("bob", "released midway");
    const { worker } = await startWorker(s, { delayMs: 5000 });
    await waitFor("running", async () => (await s.record(job.jobId)).status === "running");
    await worker.stop("release");
    const record = await s.record(job.jobId);
    expect(record).toMatchObject({ status: "queued", attempts: 1 });
    expect(record.error).toBeUndefined();
    expect(await s.queue()).toEqual({ visible: 1, inFlight: 0 });
  });
});
