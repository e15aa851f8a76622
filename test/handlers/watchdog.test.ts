/**
 * The watchdog against the emulator: it stops a running instance that has been up for the idle
 * time with an empty queue and no recent JobDurationMs sample, and leaves it running when a job
 * waits, one is in flight, one finished within the idle time (whatever its dimensions), or the
 * instance booted less than the idle time ago.
 */
import { PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JOB_DURATION_METRIC, watch } from "../../services/handlers/watchdog.ts";
import {
  type Aws,
  config,
  enqueue,
  receiveJob,
  sleep,
  startAws,
  startInstance,
  stateOf,
  waitForState,
} from "./helpers.ts";

let aws: Aws;
const idle = { idleStopSeconds: 1 };

beforeEach(async () => {
  aws = await startAws({ pendingMs: 100, stoppingMs: 200 });
  await startInstance(aws);
});
afterEach(async () => {
  await aws?.close();
});

/** A finished job, as the runtime reports it. */
async function jobFinished(at: Date, dimensions = [{ Name: "Backend", Value: "cpu" }]) {
  await aws.deps.cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: config.metricNamespace,
      MetricData: [
        {
          MetricName: JOB_DURATION_METRIC,
          Dimensions: dimensions,
          Timestamp: at,
          Value: 850,
          Unit: "Milliseconds",
        },
      ],
    }),
  );
}

describe("watchdog", () => {
  it("stops an instance that has idled for the idle time", async () => {
    await sleep(1100);
    const outcome = await watch(aws.deps, idle);
    expect(outcome).toMatchObject({ action: "stopped", instanceId: aws.instanceId, recentJobs: 0 });
    expect(await stateOf(aws)).toBe("stopping");
    await waitForState(aws, "stopped");
  });

  it("uses config.gpu.idleStopSeconds by default: a fresh boot is not stopped", async () => {
    const outcome = await watch(aws.deps);
    expect(outcome).toMatchObject({ action: "none", idleStopSeconds: config.gpu.idleStopSeconds });
    expect(outcome.reason).toMatch(/^up for \d+ s, less than the idle time/);
    expect(await stateOf(aws)).toBe("running");
  });

  it("does not stop while a job waits", async () => {
    await enqueue(aws);
    await sleep(1100);
    const outcome = await watch(aws.deps, idle);
    expect(outcome.action).toBe("none");
    expect(outcome.reason).toContain("1 waiting");
    expect(await stateOf(aws)).toBe("running");
  });

  it("does not stop while a job is in flight", async () => {
    await enqueue(aws);
    expect(await receiveJob(aws, 60)).toHaveLength(1);
    await sleep(1100);
    const outcome = await watch(aws.deps, idle);
    expect(outcome.action).toBe("none");
    expect(outcome.reason).toContain("1 in flight");
    expect(await stateOf(aws)).toBe("running");
  });

  it("does not stop when a job finished within the idle time, whatever the metric's dimensions", async () => {
    await sleep(1100);
    await jobFinished(new Date(), [
      { Name: "Model", Value: "tiny" },
      { Name: "Backend", Value: "cuda" },
    ]);
    const recent = await watch(aws.deps, idle);
    expect(recent).toMatchObject({ action: "none", recentJobs: 1 });
    expect(recent.reason).toBe("1 job(s) finished in the last 1 s");
    expect(await stateOf(aws)).toBe("running");
  });

  it("stops when the last job finished before the idle window", async () => {
    await jobFinished(new Date(Date.now() - 5000));
    await sleep(1100);
    const outcome = await watch(aws.deps, { idleStopSeconds: 1 });
    expect(outcome).toMatchObject({ action: "stopped", recentJobs: 0 });
  });

  it("leaves an instance that is not running alone", async () => {
    await sleep(1100);
    await watch(aws.deps, idle);
    const again = await watch(aws.deps, idle);
    expect(again).toMatchObject({ action: "none", state: "stopping" });
  });
});
