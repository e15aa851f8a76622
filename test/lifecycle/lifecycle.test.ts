/**
 * The job lifecycle on the stack `make dev` runs (scripts/dev.ts as a process: the AWS emulator,
 * the mock Cognito, the trigger harness, the gateway and the GPU runtime with the tiny model),
 * driven through the gateway with a real Cognito token, watched through the same AWS APIs:
 *
 * cold start -> warm job -> instance type change refused while running -> a job that always
 * fails reaches the DLQ, is marked dead-lettered and the DLQ alarm notifies the alert topic ->
 * the watchdog stops the idle instance -> the instance type change goes through once stopped.
 *
 * Short timings: EC2 transitions 1 s, handlers every second, idle stop after 8 s, alarm period
 * 10 s (config override through TINYLLAMA_CONFIG), retry delay 1 s. The per-user throttle is
 * raised in the same override, since the test polls /ping and /jobs several times a second.
 */
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { ModifyInstanceAttributeCommand } from "@aws-sdk/client-ec2";
import { SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LaunchedStack, launchStack, waitUntil } from "../../scripts/lib/launch-stack.ts";
import type { Job } from "../../services/lib/job.ts";
import { jobEvents, names, watchInstance } from "./helpers.ts";

const IDLE_S = 8;
const FAIL_PROMPT = "boom: this prompt always fails";

let stack: LaunchedStack;
let gpu: ReturnType<typeof watchInstance>;
let token: string;
let cold: Job;
let warm: Job;

beforeAll(async () => {
  stack = await launchStack({
    idleStopSeconds: IDLE_S,
    config: (c) => ({
      ...c,
      alarms: { ...c.alarms, periodSeconds: 10 },
      limits: { ...c.limits, burstPerSecond: 1000, requestsPerMinute: 100_000 },
    }),
    env: {
      GPU_RUNTIME_FAULTS: JSON.stringify({ failPrompt: "^boom" }),
      GPU_RUNTIME_RETRY_DELAY_SECONDS: "1",
    },
  });
  gpu = watchInstance(stack);
  await waitUntil("the first DescribeInstances", () => gpu.state, 10_000);
  token = await stack.login("alice");
}, 90_000);

afterAll(async () => {
  await gpu?.close();
  await stack?.stop();
}, 30_000);

/** Polls the job (and /ping) until it ends; returns the record and each distinct phase seen. */
async function follow(jobId: string, timeoutMs = 30_000) {
  const seen: string[] = [];
  const job = await waitUntil(
    `job ${jobId} to end`,
    async () => {
      const [ping, job] = await Promise.all([stack.ping(token), stack.job(token, jobId)]);
      const phase = `${job.status}/${ping.gpu.state}`;
      if (seen.at(-1) !== phase) seen.push(phase);
      return ["succeeded", "failed", "dead-lettered"].includes(job.status) && job;
    },
    timeoutMs,
    50,
  );
  return { job, seen };
}

const elapsed = (job: Job) => Date.parse(job.finishedAt ?? "") - Date.parse(job.createdAt);

describe("the job lifecycle through make dev's stack", () => {
  it("cold path: a job on the stopped instance boots it (pending -> running), loads the model and succeeds with boot, load and inference timings", {
    timeout: 40_000,
  }, async () => {
    const before = await stack.ping(token);
    expect(before.gpu.state).toBe("stopped");
    expect(before.queue.depth).toBe(0);

    const t0 = Date.now();
    const accepted = await stack.call<{ jobId: string; status: string }>(token, "POST", "/infer", {
      prompt: "Once upon a time",
      maxTokens: 24,
    });
    expect(accepted.status).toBe(202);
    expect(accepted.body.status).toBe("queued");

    const { job, seen } = await follow(accepted.body.jobId);
    cold = job;
    expect(job).toMatchObject({ status: "succeeded", attempts: 1, backend: "cpu" });
    expect(job.output?.length).toBeGreaterThan(0);
    expect(job.usage?.completionTokens).toBeGreaterThan(0);
    // The instance went through pending to running (EC2 as the SDK sees it), and the record
    // splits the wait: the boot (~1 s here), the model load, then the run itself.
    expect(gpu.changes.filter((c) => c.at < t0).at(-1)?.state).toBe("stopped");
    expect(gpu.since(t0)).toEqual(["pending", "running"]);
    expect(job.timings?.bootMs).toBeGreaterThanOrEqual(500);
    expect(job.timings?.loadMs).toBeGreaterThan(0);
    expect(job.timings?.inferenceMs).toBeGreaterThan(0);
    expect(job.timings?.tokensPerSecond).toBeGreaterThan(0);
    // Through the API: queued while the GPU was not up, then done, and the instance running.
    // /ping shares one reading among callers for up to 1 s, so the last phase seen may still
    // say pending when a fast job ends within a second of the boot.
    expect(seen[0]).toMatch(/^queued\/(stopped|pending)$/);
    expect(seen.at(-1)).toMatch(/^succeeded\/(pending|running)$/);
    await waitUntil(
      "/ping to show the instance running",
      async () => (await stack.ping(token)).gpu.state === "running",
      3000,
    );
    expect(
      names(
        await waitUntil("the job's events", async () => {
          const events = await jobEvents(stack, job.jobId);
          return events.length >= 2 && events;
        }),
      ),
    ).toEqual(["delivered", "processed"]);
  });

  it("warm path: a second job while the instance runs needs no boot or load and ends sooner", async () => {
    expect(gpu.state).toBe("running");
    const t0 = Date.now();
    const { job } = await follow(await stack.infer(token, "Once upon a time", 24));
    warm = job;
    expect(job).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(job.timings?.bootMs).toBeUndefined();
    expect(job.timings?.loadMs).toBeUndefined();
    expect(job.timings?.inferenceMs).toBeGreaterThan(0);
    expect(gpu.since(t0)).toEqual([]); // no state change: it stayed running
    expect(elapsed(job)).toBeLessThan(elapsed(cold));
    // The difference is mostly the boot and the load the warm job did not wait for.
    expect(elapsed(cold) - elapsed(job)).toBeGreaterThan((cold.timings?.bootMs ?? 0) / 2);
  });

  it("changing the instance type while it runs is refused with IncorrectInstanceState", async () => {
    expect(gpu.state).toBe("running");
    const change = stack.aws.ec2.send(
      new ModifyInstanceAttributeCommand({
        InstanceId: gpu.instanceId,
        InstanceType: { Value: "g4dn.2xlarge" },
      }),
    );
    await expect(change).rejects.toMatchObject({
      name: "IncorrectInstanceState",
      message: expect.stringMatching(/is not in the 'stopped' state/),
    });
    expect((await stack.ping(token)).gpu.instanceType).toBe(stack.config.gpu.instanceType);
  });

  it("a job that always fails is received exactly 3 times, lands in the DLQ, is marked dead-lettered with the reason, and the DLQ alarm notifies the alert topic's SQS subscriber", {
    timeout: 60_000,
  }, async () => {
    const { sqs, sns } = stack.aws;
    // An SQS queue subscribed to the alert topic, as an on-call tool would be.
    const inbox =
      (await sqs.send(new CreateQueueCommand({ QueueName: "lifecycle-alerts-inbox" }))).QueueUrl ?? "";
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: inbox, AttributeNames: ["QueueArn"] }),
    );
    const topicArn = `arn:aws:sns:${stack.config.region}:${stack.config.accountId}:${stack.config.alertTopic}`;
    await sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: Attributes?.QueueArn }),
    );

    const jobId = await stack.infer(token, FAIL_PROMPT, 8);
    const { job } = await follow(jobId, 30_000);
    expect(job.status).toBe("dead-lettered");
    expect(job.attempts).toBe(3);
    expect(job.error).toMatch(/failed 3 times: .*injected failure/);

    const events = await waitUntil("the dead-lettered job's events", async () => {
      const events = await jobEvents(stack, jobId);
      return names(events).includes("dead-lettered") && events;
    });
    expect(names(events)).toEqual([
      "delivered",
      "failed",
      "delivered",
      "failed",
      "delivered",
      "failed",
      "dead-lettered",
    ]);
    expect(events.filter((e) => e.event === "delivered").map((e) => e.attempts)).toEqual([1, 2, 3]);

    const dlqUrl = (
      await sqs.send(new GetQueueUrlCommand({ QueueName: stack.config.queues.deadLetter.name }))
    ).QueueUrl;
    const dlq = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
    );
    expect(dlq.Attributes?.ApproximateNumberOfMessages).toBe("1");

    const alarmName = `${stack.config.queues.deadLetter.name}-has-messages`;
    const { MetricAlarms = [] } = await stack.aws.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: [alarmName] }),
    );
    expect(MetricAlarms[0]?.Period).toBe(10);
    // SQS publishes the DLQ's metrics, a 10-s evaluation sees ALARM, SNS delivers to the inbox.
    const notice = await waitUntil(
      "the DLQ alarm's notification in the subscribed queue",
      async () => {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: inbox, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
        );
        for (const m of Messages) {
          const envelope = JSON.parse(m.Body ?? "{}") as { TopicArn?: string; Message?: string };
          const alarm = JSON.parse(envelope.Message ?? "{}") as Record<string, unknown>;
          if (alarm.AlarmName === alarmName && alarm.NewStateValue === "ALARM") return { envelope, alarm };
        }
        return undefined;
      },
      45_000,
      0,
    );
    expect(notice.envelope.TopicArn).toBe(topicArn);
  });

  it("idle stop: the watchdog stops the instance once the queue is empty and no job finished for the idle time", {
    timeout: 40_000,
  }, async () => {
    const stopAt = await waitUntil(
      "the watchdog to stop the instance",
      () => gpu.changes.find((c) => c.state === "stopping" && c.at > Date.parse(warm.finishedAt ?? ""))?.at,
      30_000,
    );
    // Not before the idle time after the last finished job.
    expect(stopAt - Date.parse(warm.finishedAt ?? "")).toBeGreaterThanOrEqual(IDLE_S * 1000);
    await waitUntil("stopped", () => gpu.state === "stopped", 10_000);
    expect(stack.lines.some((l) => l.includes("idle: queue empty"))).toBe(true);
    expect((await stack.ping(token)).queue).toMatchObject({ depth: 0 });
  });

  it("changing the instance type goes through once the instance is stopped", async () => {
    expect(gpu.state).toBe("stopped");
    await stack.aws.ec2.send(
      new ModifyInstanceAttributeCommand({
        InstanceId: gpu.instanceId,
        InstanceType: { Value: "g4dn.2xlarge" },
      }),
    );
    await waitUntil("the new type", () => gpu.instanceType === "g4dn.2xlarge", 5000);
    await waitUntil(
      "the new type through /ping",
      async () => (await stack.ping(token)).gpu.instanceType === "g4dn.2xlarge",
      5000,
    );
  });
});
