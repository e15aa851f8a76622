/**
 * The waker against the emulator's real EC2 lifecycle (short transitions): it boots a stopped
 * instance only when jobs wait (visible or in flight), waits out `stopping` and then starts, or
 * leaves it to the next run when its budget is too short, and leaves pending/running alone.
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { wake, wakeOnEnqueue } from "../../services/handlers/waker.ts";
import {
  type Aws,
  enqueue,
  receiveJob,
  startAws,
  startInstance,
  stateOf,
  stopInstance,
  waitForState,
} from "./helpers.ts";

let aws: Aws;
const budget = { maxWaitMs: 5000, pollMs: 25 };

// A fresh emulator per test: a stopped instance and an empty queue.
beforeEach(async () => {
  aws = await startAws({ pendingMs: 200, stoppingMs: 600 });
});
afterEach(async () => {
  await aws?.close();
});

describe("waker", () => {
  it("leaves a stopped instance stopped when no job waits", async () => {
    const outcome = await wake(aws.deps, budget);
    expect(outcome).toMatchObject({ action: "none", reason: "no jobs wait", jobs: 0 });
    expect(await stateOf(aws)).toBe("stopped");
  });

  it("starts a stopped instance when a job waits", async () => {
    await enqueue(aws);
    const outcome = await wake(aws.deps, budget);
    expect(outcome).toMatchObject({
      action: "started",
      state: "stopped",
      jobs: 1,
      instanceId: aws.instanceId,
    });
    expect(await stateOf(aws)).toBe("pending");
    await waitForState(aws, "running");
  });

  it("counts a job in flight as waiting (a stopped runtime's job comes back)", async () => {
    await enqueue(aws);
    expect(await receiveJob(aws, 60)).toHaveLength(1);
    const outcome = await wake(aws.deps, budget);
    expect(outcome).toMatchObject({ action: "started", jobs: 1 });
  });

  it("after an enqueue it does not count the queue: the job waits, so a stopped instance starts", async () => {
    // The queue is empty here: a count would say "no jobs wait". The enqueue hook knows better.
    const outcome = await wake(aws.deps, { ...budget, afterEnqueue: true });
    expect(outcome).toMatchObject({ action: "started", reason: "a job was enqueued", state: "stopped" });
    expect(outcome).not.toHaveProperty("jobs");
    expect(await stateOf(aws)).toBe("pending");
  });

  it("does nothing while the instance is pending or running", async () => {
    await enqueue(aws);
    await wake(aws.deps, budget);
    const pending = await wake(aws.deps, budget);
    expect(pending).toMatchObject({ action: "none", state: "pending" });
    await waitForState(aws, "running");
    expect(await wake(aws.deps, budget)).toMatchObject({ action: "none", state: "running" });
  });

  it("starts a stopping instance once it is stopped, in the same invocation", async () => {
    await startInstance(aws);
    await stopInstance(aws);
    expect(await stateOf(aws)).toBe("stopping");
    await enqueue(aws);
    const outcome = await wake(aws.deps, budget);
    expect(outcome).toMatchObject({ action: "started", state: "stopping" });
    expect(outcome.waitedMs).toBeGreaterThan(100);
    expect(await stateOf(aws)).toBe("pending");
  });

  it("defers to the next run when the instance is still stopping at the end of its budget", async () => {
    await startInstance(aws);
    await stopInstance(aws);
    await enqueue(aws);
    const first = await wake(aws.deps, { maxWaitMs: 100, pollMs: 25 });
    expect(first).toMatchObject({ action: "deferred", state: "stopping" });
    await waitForState(aws, "stopped");
    expect(await wake(aws.deps, budget)).toMatchObject({ action: "started", state: "stopped" });
  });

  it("wakeOnEnqueue: a burst of enqueues starts the instance once and every call settles", async () => {
    const trigger = wakeOnEnqueue(aws.deps, budget);
    await enqueue(aws);
    const outcomes = await Promise.all([trigger(), trigger(), trigger(), trigger()]);
    expect(outcomes.filter((o) => o.action === "started")).toHaveLength(1);
    // One run plus one trailing run for the calls that arrived while it ran.
    expect(outcomes[1]).toBe(outcomes[3]);
    expect(["pending", "running"]).toContain(await stateOf(aws));
  });

  it("wakeOnEnqueue: enqueues within minIntervalMs of a wake share one trailing wake at the interval's end", async () => {
    const trigger = wakeOnEnqueue(aws.deps, { ...budget, minIntervalMs: 400 });
    const t0 = Date.now();
    const first = await trigger();
    expect(first).toMatchObject({ action: "started", state: "stopped" });
    const [a, b] = [trigger(), trigger()];
    expect(a).toBe(b);
    expect(await a).toMatchObject({ action: "none" }); // pending or running by then
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
  });
});
