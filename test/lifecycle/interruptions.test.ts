/**
 * Interrupted jobs on the stack `make dev` runs, through the gateway: `POST /stop` in the middle
 * of a job, and kill -9 of the GPU runtime in the middle of a job followed by a restart of the
 * stack on the same data folder (the launcher stops everything when a part dies, as `make dev`
 * does; state lives in the emulator's journal). Neither loses the job, and it completes once.
 *
 * Jobs are made slow (GPU_RUNTIME_FAULTS delayMs) so there is a "middle"; the job queue's
 * visibility timeout is 8 s (config override) so a message held by the killed runtime comes back
 * quickly after the restart.
 */
import { GetQueueAttributesCommand, GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { afterAll, describe, expect, it } from "vitest";
import {
  type LaunchedStack,
  type LaunchOptions,
  launchStack,
  waitUntil,
} from "../../scripts/lib/launch-stack.ts";
import type { PlatformConfig } from "../../services/lib/config.ts";
import type { Job } from "../../services/lib/job.ts";
import { jobEvents, names, watchInstance } from "./helpers.ts";

const config = (c: PlatformConfig): PlatformConfig => ({
  ...c,
  queues: { ...c.queues, jobs: { ...c.queues.jobs, visibilityTimeoutSeconds: 8 } },
  limits: { ...c.limits, burstPerSecond: 1000, requestsPerMinute: 100_000 },
});
const slow: LaunchOptions = { config, env: { GPU_RUNTIME_FAULTS: JSON.stringify({ delayMs: 2500 }) } };

const stacks: LaunchedStack[] = [];
afterAll(async () => {
  for (const s of stacks.reverse()) await s.stop({ keepData: false });
}, 30_000);

async function launch(options: LaunchOptions): Promise<LaunchedStack> {
  const stack = await launchStack(options);
  stacks.push(stack);
  return stack;
}

async function until(
  stack: LaunchedStack,
  token: string,
  jobId: string,
  status: Job["status"],
  timeoutMs = 30_000,
) {
  return waitUntil(
    `job ${jobId} ${status}`,
    async () => {
      const job = await stack.job(token, jobId);
      return job.status === status && job;
    },
    timeoutMs,
    50,
  );
}

async function queueCounts(stack: LaunchedStack, name: string) {
  const { sqs } = stack.aws;
  const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  const { Attributes: a = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible);
}

describe("interrupted jobs through make dev's stack", () => {
  it("POST /stop during a job: the job goes back to the queue and completes once after the next start", {
    timeout: 90_000,
  }, async () => {
    const stack = await launch(slow);
    const gpu = watchInstance(stack);
    try {
      const token = await stack.login("alice");
      const jobId = await stack.infer(token, "Stop me if you can", 16);
      await until(stack, token, jobId, "running");
      const stopped = await stack.call<{ state: string; previousState: string }>(token, "POST", "/stop");
      expect(stopped.status).toBe(202);
      expect(stopped.body).toMatchObject({ previousState: "running", state: "stopping" });

      // Released (back to queued) while the instance stops; the waker starts it again for the
      // waiting job; it runs to the end on the next power cycle.
      const t0 = Date.now();
      const job = await until(stack, token, jobId, "succeeded");
      expect(gpu.changes.map((c) => c.state)).toEqual(
        expect.arrayContaining(["running", "stopping", "stopped", "pending", "running"]),
      );
      const after = gpu.changes.filter((c) => c.at >= t0 - 10_000).map((c) => c.state);
      // `stopped` may last less than the watcher's 100-ms poll: a waker run that found the instance
      // stopping with a job waiting starts it the moment it has stopped (EC2 goes stopping ->
      // stopped -> pending only, so pending after stopping means it stopped).
      expect(after.join(",")).toMatch(/stopping,(stopped,)?pending,running/);
      expect(job.timings?.bootMs).toBeGreaterThan(0); // it waited for the second boot
      const events = await waitUntil("events", async () => {
        const events = await jobEvents(stack, jobId);
        return names(events).includes("processed") && events;
      });
      expect(names(events)).toEqual(["delivered", "released", "delivered", "processed"]);
      expect(await queueCounts(stack, stack.config.queues.jobs.name)).toBe(0);
      expect(await queueCounts(stack, stack.config.queues.deadLetter.name)).toBe(0);
    } finally {
      await gpu.close();
      await stack.stop(); // frees the CPU for the next test
    }
  });

  it("kill -9 of the GPU runtime during a job, then a restart of the stack: the job completes exactly once", {
    timeout: 120_000,
  }, async () => {
    const first = await launch(slow);
    const token = await first.login("bob");
    const jobId = await first.infer(token, "Survive a crash", 16);
    await until(first, token, jobId, "running");
    // Its first delivery is on record (the event is shipped just after the record is written).
    await waitUntil("the first delivered event", async () =>
      names(await jobEvents(first, jobId)).includes("delivered"),
    );
    process.kill(first.pid("gpu-runtime"), "SIGKILL");
    // make dev stops the rest when a part dies on its own.
    expect((await first.exited).code).toBe(1);
    expect(first.lines.some((l) => l.includes("gpu-runtime exited on its own (SIGKILL)"))).toBe(true);

    const second = await launch({ config, dataDir: first.dataDir, urls: first.urls });
    const again = await second.login("bob");
    const job = await until(second, again, jobId, "succeeded", 45_000);
    expect(job.attempts).toBe(2);
    expect(job.output?.length).toBeGreaterThan(0);

    const events = await waitUntil("events", async () => {
      const events = await jobEvents(second, jobId);
      return names(events).includes("processed") && events;
    });
    expect(names(events)).toEqual(["delivered", "delivered", "processed"]);
    // Nothing left to run it again, nothing dead-lettered.
    await waitUntil(
      "an empty queue",
      async () => (await queueCounts(second, second.config.queues.jobs.name)) === 0,
    );
    expect(await queueCounts(second, second.config.queues.deadLetter.name)).toBe(0);
    // Still exactly one result a few heartbeats later.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(names(await jobEvents(second, jobId)).filter((n) => n === "processed")).toHaveLength(1);
    expect((await second.job(again, jobId)).finishedAt).toBe(job.finishedAt);
  });
});
