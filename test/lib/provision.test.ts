import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeLogGroupsCommand, PutRetentionPolicyCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeInstancesCommand, TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import { GetQueueAttributesCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { startFauxqs } from "fauxqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulators/aws/server.ts";
import {
  createCloudWatchClient,
  createEc2Client,
  createLogsClient,
  createS3Client,
  createSnsClient,
  createSqsClient,
} from "../../services/lib/aws-clients.ts";
import { loadConfig } from "../../services/lib/config.ts";
import { provision } from "../../services/lib/provision.ts";

const config = loadConfig();

/** Ours is the target; fauxqs shows the module relies on nothing but the AWS API. */
const targets: Array<[string, () => Promise<{ url: string; close(): Promise<void> }>]> = [
  ["our emulator", () => startEmulator({ port: 0 })],
  [
    "fauxqs",
    async () => {
      const server = await startFauxqs({ port: 0, logger: false });
      return { url: server.address, close: () => server.stop() };
    },
  ],
];

describe.each(targets)("provision against %s", (_name, start) => {
  let target: { url: string; close(): Promise<void> };
  let deps: Parameters<typeof provision>[0];
  beforeAll(async () => {
    target = await start();
    const env = { AWS_ENDPOINT_URL: target.url };
    deps = { config, sqs: createSqsClient({ env }), s3: createS3Client({ env }) };
  });
  afterAll(() => target.close());

  it("creates the DLQ, the job queue and the bucket the first time", async () => {
    const result = await provision(deps);
    expect(result.deadLetterQueue).toMatchObject({
      name: "failed-tinyllama-jobs-dlq.fifo",
      outcome: "created",
    });
    expect(result.jobQueue).toMatchObject({ name: "tinyllama-job-queue.fifo", outcome: "created" });
    expect(result.bucket).toEqual({ name: "tinyllama-jobs", outcome: "created" });
    expect(result.deadLetterQueue.arn).toMatch(/:failed-tinyllama-jobs-dlq\.fifo$/);
  });

  it("gives the job queue the configured attributes and redrive policy", async () => {
    const { jobQueue, deadLetterQueue } = await provision(deps);
    const { Attributes: a = {} } = await deps.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: jobQueue.url, AttributeNames: ["All"] }),
    );
    expect(a.FifoQueue).toBe("true");
    expect(a.ContentBasedDeduplication).toBe("true");
    expect(a.VisibilityTimeout).toBe(String(config.queues.jobs.visibilityTimeoutSeconds));
    expect(a.MessageRetentionPeriod).toBe(String(config.queues.jobs.messageRetentionSeconds));
    const redrive = JSON.parse(a.RedrivePolicy ?? "{}");
    expect(redrive.deadLetterTargetArn).toBe(deadLetterQueue.arn);
    expect(Number(redrive.maxReceiveCount)).toBe(3);

    const { Attributes: d = {} } = await deps.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: deadLetterQueue.url, AttributeNames: ["All"] }),
    );
    expect(d.FifoQueue).toBe("true");
    expect(d.MessageRetentionPeriod).toBe(String(config.queues.deadLetter.messageRetentionSeconds));
  });

  it("changes nothing when run again", async () => {
    const again = await provision(deps);
    expect([again.deadLetterQueue.outcome, again.jobQueue.outcome, again.bucket.outcome]).toEqual([
      "found",
      "found",
      "found",
    ]);
  });

  it("brings a drifted queue back to the config", async () => {
    const { jobQueue } = await provision(deps);
    await deps.sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: jobQueue.url, Attributes: { VisibilityTimeout: "5" } }),
    );
    expect((await provision(deps)).jobQueue.outcome).toBe("updated");
    const { Attributes } = await deps.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: jobQueue.url, AttributeNames: ["VisibilityTimeout"] }),
    );
    expect(Attributes?.VisibilityTimeout).toBe(String(config.queues.jobs.visibilityTimeoutSeconds));
  });
});

describe("provision: the GPU instance (our emulator, 50 ms transitions)", () => {
  let target: { url: string; close(): Promise<void> };
  let deps: Parameters<typeof provision>[0];
  let ec2: ReturnType<typeof createEc2Client>;
  beforeAll(async () => {
    const ms = 50;
    target = await startEmulator({
      port: 0,
      settings: { ec2: { pendingMs: ms, stoppingMs: ms, shuttingDownMs: ms, rebootMs: ms } },
    });
    const env = { AWS_ENDPOINT_URL: target.url };
    ec2 = createEc2Client({ env });
    deps = {
      config,
      sqs: createSqsClient({ env }),
      s3: createS3Client({ env }),
      ec2,
      gpu: { pollMs: 10, timeoutMs: 5000 },
    };
  });
  afterAll(() => target.close());

  const tagged = async () => {
    const { Reservations = [] } = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: "tag:Name", Values: [config.gpu.nameTag] }] }),
    );
    return Reservations.flatMap((r) => r.Instances ?? []);
  };

  it("creates the instance tagged Name=<gpu.nameTag> with the configured type, left stopped", async () => {
    const { gpuInstance } = await provision(deps);
    expect(gpuInstance).toMatchObject({
      name: "tinyllama-gpu",
      instanceType: config.gpu.instanceType,
      state: "stopped",
      outcome: "created",
    });
    const instances = await tagged();
    expect(instances).toHaveLength(1);
    expect(instances[0]?.InstanceId).toBe(gpuInstance?.instanceId);
    expect(instances[0]?.State?.Name).toBe("stopped");
  });

  it("finds it the second time", async () => {
    const { gpuInstance } = await provision(deps);
    expect(gpuInstance?.outcome).toBe("found");
    expect(await tagged()).toHaveLength(1);
  });

  it("creates a new one when the tagged instance was terminated", async () => {
    const [old] = await tagged();
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [old?.InstanceId ?? ""] }));
    const { gpuInstance } = await provision(deps);
    expect(gpuInstance?.outcome).toBe("created");
    expect(gpuInstance?.instanceId).not.toBe(old?.InstanceId);
  });

  it("skips the GPU step without an EC2 client", async () => {
    const { ec2: _ec2, ...rest } = deps;
    expect((await provision(rest)).gpuInstance).toBeUndefined();
  });
});

describe("provision: alert topic and access log group", () => {
  let target: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    target = await startEmulator({ port: 0 });
  });
  afterAll(() => target.close());

  it("creates the topic, the log groups with their retention and the alarms once, then finds them", async () => {
    const env = { AWS_ENDPOINT_URL: target.url };
    const logs = createLogsClient({ env });
    const cloudwatch = createCloudWatchClient({ env });
    const deps = {
      config,
      sqs: createSqsClient({ env }),
      s3: createS3Client({ env }),
      sns: createSnsClient({ env }),
      logs,
      cloudwatch,
    };
    const first = await provision(deps);
    expect(first.alertTopic).toMatchObject({ name: "tinyllama-alerts", outcome: "created" });
    expect(first.alertTopic?.arn).toMatch(/^arn:aws:sns:us-east-1:\d{12}:tinyllama-alerts$/);
    expect(first.accessLogGroup).toEqual({
      name: "/apigw/tinyllama-access",
      retentionDays: 30,
      outcome: "created",
    });

    const second = await provision(deps);
    expect(second.alertTopic).toMatchObject({ outcome: "found", arn: first.alertTopic?.arn });
    expect(second.accessLogGroup?.outcome).toBe("found");
    expect(first.jobLogGroup).toEqual({ name: "/tinyllama/jobs", retentionDays: 30, outcome: "created" });
    expect(second.jobLogGroup?.outcome).toBe("found");
    expect(first.alarms?.map((a) => a.outcome)).toEqual(["created", "created"]);
    expect(second.alarms?.map((a) => a.outcome)).toEqual(["found", "found"]);
    const { MetricAlarms = [] } = await cloudwatch.send(new DescribeAlarmsCommand({}));
    const dlqAlarm = MetricAlarms.find((a) => a.AlarmName === "failed-tinyllama-jobs-dlq.fifo-has-messages");
    expect(dlqAlarm).toMatchObject({
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [{ Name: "QueueName", Value: "failed-tinyllama-jobs-dlq.fifo" }],
      Threshold: 0,
      ComparisonOperator: "GreaterThanThreshold",
      AlarmActions: [first.alertTopic?.arn],
    });

    // Drift is brought back in line.
    await logs.send(
      new PutRetentionPolicyCommand({ logGroupName: "/apigw/tinyllama-access", retentionInDays: 7 }),
    );
    expect((await provision(deps)).accessLogGroup?.outcome).toBe("updated");
    const { logGroups = [] } = await logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: "/apigw/" }),
    );
    expect(logGroups.find((g) => g.logGroupName === "/apigw/tinyllama-access")?.retentionInDays).toBe(30);
  });
});
