/**
 * Creates what the platform needs in AWS from config/platform.json: the dead-letter queue, the
 * job queue redriving to it, the job bucket, and, given their clients, the alert topic, the access
 * log group with its retention, and the GPU instance, left stopped so the waker boots it when jobs
 * arrive. Idempotent: a resource that exists is left
 * alone when its attributes match the config and brought in line when they do not, so running it
 * twice changes nothing. Uses only SDK calls, so it works on our emulator, LocalStack and AWS.
 */

import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
} from "@aws-sdk/client-cloudwatch";
import {
  type CloudWatchLogsClient,
  CreateLogGroupCommand,
  DescribeLogGroupsCommand,
  PutRetentionPolicyCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  type _InstanceType,
  DescribeInstancesCommand,
  type EC2Client,
  type Instance,
  RunInstancesCommand,
  StopInstancesCommand,
} from "@aws-sdk/client-ec2";
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  HeadBucketCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { CreateTopicCommand, ListTopicsCommand, type SNSClient } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type QueueAttributeName,
  SetQueueAttributesCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { PlatformConfig } from "./config.ts";
import type { Logger } from "./logger.ts";

/** created: it was missing; updated: it existed with other settings; found: it matched. */
export type Outcome = "created" | "updated" | "found";

export interface ProvisionedQueue {
  name: string;
  url: string;
  arn: string;
  outcome: Outcome;
}

export interface ProvisionResult {
  deadLetterQueue: ProvisionedQueue;
  jobQueue: ProvisionedQueue;
  bucket: { name: string; outcome: Outcome };
  /** Present when an SNS client was given. */
  alertTopic?: { name: string; arn: string; outcome: Exclude<Outcome, "updated"> };
  /** Present when a Logs client was given. */
  accessLogGroup?: { name: string; retentionDays: number; outcome: Outcome };
  /** Present when a Logs client was given. */
  jobLogGroup?: { name: string; retentionDays: number; outcome: Outcome };
  /** Present when CloudWatch and SNS clients were given. */
  alarms?: Array<{ name: string; outcome: Exclude<Outcome, "updated"> }>;
  /** Present when an EC2 client was given. */
  gpuInstance?: ProvisionedInstance;
}

export interface ProvisionedInstance {
  name: string;
  instanceId: string;
  instanceType: string;
  /** Its state when provisioning finished: `stopped` when created here. */
  state: string;
  outcome: Exclude<Outcome, "updated">;
}

/**
 * The AMI a new GPU instance boots from. Locally any well-formed id does; on AWS pass a real
 * one (e.g. a Deep Learning AMI of the region).
 */
export const LOCAL_GPU_IMAGE_ID = "ami-0000000000000000a";

export interface ProvisionDeps {
  config: PlatformConfig;
  sqs: SQSClient;
  s3: S3Client;
  /** Without it the alert topic step is skipped. */
  sns?: SNSClient;
  /** Without it the log group steps are skipped. */
  logs?: CloudWatchLogsClient;
  /** Without it (or without `sns`) the alarm step is skipped. */
  cloudwatch?: CloudWatchClient;
  /** Without it the GPU instance step is skipped. */
  ec2?: EC2Client;
  gpu?: {
    imageId?: string;
    /** How often to poll DescribeInstances while the new instance boots and stops. Default 1000. */
    pollMs?: number;
    /** Give up waiting after this long. Default 10 minutes. */
    timeoutMs?: number;
  };
  logger?: Logger;
}

export async function provision({
  config,
  sqs,
  s3,
  sns,
  logs,
  cloudwatch,
  ec2,
  gpu,
  logger,
}: ProvisionDeps): Promise<ProvisionResult> {
  const { jobs, deadLetter } = config.queues;
  const deadLetterQueue = await ensureQueue(sqs, deadLetter.name, {
    FifoQueue: "true",
    MessageRetentionPeriod: String(deadLetter.messageRetentionSeconds),
  });
  logger?.info(
    { queue: deadLetterQueue.name, url: deadLetterQueue.url },
    `dead-letter queue ${deadLetterQueue.outcome}`,
  );

  const jobQueue = await ensureQueue(sqs, jobs.name, {
    FifoQueue: "true",
    ContentBasedDeduplication: String(jobs.contentBasedDeduplication),
    VisibilityTimeout: String(jobs.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(jobs.messageRetentionSeconds),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: deadLetterQueue.arn,
      maxReceiveCount: jobs.maxReceiveCount,
    }),
  });
  logger?.info({ queue: jobQueue.name, url: jobQueue.url }, `job queue ${jobQueue.outcome}`);

  const bucket = { name: config.bucket, outcome: await ensureBucket(s3, config.bucket, config.region) };
  logger?.info({ bucket: bucket.name }, `job bucket ${bucket.outcome}`);
  const result: ProvisionResult = { deadLetterQueue, jobQueue, bucket };

  if (sns) {
    result.alertTopic = await ensureTopic(sns, config.alertTopic);
    logger?.info({ topic: result.alertTopic.arn }, `alert topic ${result.alertTopic.outcome}`);
  }
  if (logs) {
    const { accessLogGroup: name, accessLogRetentionDays: retentionDays } = config.logs;
    result.accessLogGroup = { name, retentionDays, outcome: await ensureLogGroup(logs, name, retentionDays) };
    logger?.info({ logGroup: name, retentionDays }, `access log group ${result.accessLogGroup.outcome}`);
    const { jobLogGroup: jobs, jobLogRetentionDays: jobDays } = config.logs;
    result.jobLogGroup = {
      name: jobs,
      retentionDays: jobDays,
      outcome: await ensureLogGroup(logs, jobs, jobDays),
    };
    logger?.info({ logGroup: jobs, retentionDays: jobDays }, `job log group ${result.jobLogGroup.outcome}`);
  }
  if (cloudwatch && result.alertTopic) {
    result.alarms = await ensureAlarms(cloudwatch, config, result.alertTopic.arn);
    for (const a of result.alarms) logger?.info({ alarm: a.name }, `alarm ${a.outcome}`);
  }
  if (ec2) {
    result.gpuInstance = await ensureGpuInstance(ec2, config.gpu, gpu ?? {});
    logger?.info(
      { instance: result.gpuInstance.instanceId, state: result.gpuInstance.state },
      `GPU instance ${result.gpuInstance.name} ${result.gpuInstance.outcome}`,
    );
  }
  return result;
}

/**
 * The two alarms of the platform, both notifying the alert topic. The DLQ alarm watches
 * ApproximateNumberOfMessagesVisible (AWS does not count redriven messages in the DLQ's
 * NumberOfMessagesSent, which the seed's alarm used); FIFO queue names keep `.fifo` in the
 * QueueName dimension. PutMetricAlarm replaces an alarm whole, so re-running keeps them as configured.
 */
async function ensureAlarms(
  cw: CloudWatchClient,
  config: PlatformConfig,
  topicArn: string,
): Promise<NonNullable<ProvisionResult["alarms"]>> {
  const { jobs, deadLetter } = config.queues;
  const wanted = [
    {
      AlarmName: `${deadLetter.name}-has-messages`,
      AlarmDescription: "A job failed maxReceiveCount times and is in the dead-letter queue.",
      QueueName: deadLetter.name,
      Threshold: 0,
    },
    {
      AlarmName: `${jobs.name}-depth`,
      AlarmDescription: `More than ${config.alarms.queueDepthThreshold} jobs are waiting.`,
      QueueName: jobs.name,
      Threshold: config.alarms.queueDepthThreshold,
    },
  ];
  const { MetricAlarms = [] } = await cw.send(
    new DescribeAlarmsCommand({ AlarmNames: wanted.map((w) => w.AlarmName) }),
  );
  const existing = new Set(MetricAlarms.map((a) => a.AlarmName));
  for (const w of wanted) {
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: w.AlarmName,
        AlarmDescription: w.AlarmDescription,
        Namespace: "AWS/SQS",
        MetricName: "ApproximateNumberOfMessagesVisible",
        Dimensions: [{ Name: "QueueName", Value: w.QueueName }],
        Statistic: "Maximum",
        Period: config.alarms.periodSeconds,
        EvaluationPeriods: 1,
        Threshold: w.Threshold,
        ComparisonOperator: "GreaterThanThreshold",
        TreatMissingData: "notBreaching",
        AlarmActions: [topicArn],
        OKActions: [topicArn],
      }),
    );
  }
  return wanted.map((w) => ({ name: w.AlarmName, outcome: existing.has(w.AlarmName) ? "found" : "created" }));
}

/** CreateTopic is idempotent on AWS; listing first only tells created from found. */
async function ensureTopic(
  sns: SNSClient,
  name: string,
): Promise<NonNullable<ProvisionResult["alertTopic"]>> {
  let found = false;
  let NextToken: string | undefined;
  do {
    const page = await sns.send(new ListTopicsCommand({ NextToken }));
    found ||= (page.Topics ?? []).some((t) => t.TopicArn?.endsWith(`:${name}`));
    NextToken = page.NextToken;
  } while (NextToken && !found);
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
  if (!TopicArn) throw new Error(`CreateTopic ${name} returned no TopicArn`);
  return { name, arn: TopicArn, outcome: found ? "found" : "created" };
}

async function ensureLogGroup(
  logs: CloudWatchLogsClient,
  name: string,
  retentionDays: number,
): Promise<Outcome> {
  const { logGroups = [] } = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
  const existing = logGroups.find((g) => g.logGroupName === name);
  if (!existing) await logs.send(new CreateLogGroupCommand({ logGroupName: name }));
  if (existing?.retentionInDays === retentionDays) return "found";
  await logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: retentionDays }));
  return existing ? "updated" : "created";
}

/** States of an instance that still exists (not shutting down or terminated). */
const LIVE_STATES = ["pending", "running", "stopping", "stopped"];

/**
 * Finds the instance tagged `Name=<nameTag>` that is not terminated, or launches one and stops
 * it once it runs (EC2 refuses to stop an instance that never reached `running`), waiting until
 * it is `stopped`.
 */
async function ensureGpuInstance(
  ec2: EC2Client,
  wanted: PlatformConfig["gpu"],
  options: NonNullable<ProvisionDeps["gpu"]>,
): Promise<ProvisionedInstance> {
  const name = wanted.nameTag;
  const view = (i: Instance, outcome: ProvisionedInstance["outcome"]): ProvisionedInstance => ({
    name,
    instanceId: i.InstanceId ?? "",
    instanceType: i.InstanceType ?? wanted.instanceType,
    state: i.State?.Name ?? "unknown",
    outcome,
  });
  const { Reservations = [] } = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: "tag:Name", Values: [name] },
        { Name: "instance-state-name", Values: LIVE_STATES },
      ],
    }),
  );
  const existing = Reservations.flatMap((r) => r.Instances ?? [])[0];
  if (existing) return view(existing, "found");

  const { Instances = [] } = await ec2.send(
    new RunInstancesCommand({
      ImageId: options.imageId ?? LOCAL_GPU_IMAGE_ID,
      InstanceType: wanted.instanceType as _InstanceType,
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Name", Value: name }] }],
    }),
  );
  const instanceId = Instances[0]?.InstanceId;
  if (!instanceId) throw new Error(`RunInstances for ${name} returned no instance`);
  await waitForState(ec2, instanceId, "running", options);
  await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
  return view(await waitForState(ec2, instanceId, "stopped", options), "created");
}

async function waitForState(
  ec2: EC2Client,
  instanceId: string,
  state: string,
  { pollMs = 1000, timeoutMs = 600_000 }: NonNullable<ProvisionDeps["gpu"]>,
): Promise<Instance> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Reservations = [] } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const instance = Reservations[0]?.Instances?.[0];
    const now = instance?.State?.Name;
    if (instance && now === state) return instance;
    if (now === "shutting-down" || now === "terminated")
      throw new Error(`instance ${instanceId} is ${now} while waiting for ${state}`);
    if (Date.now() >= deadline)
      throw new Error(`instance ${instanceId} did not reach ${state} in ${timeoutMs} ms (it is ${now})`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

type Attributes = Partial<Record<QueueAttributeName, string>>;

async function ensureQueue(sqs: SQSClient, name: string, wanted: Attributes): Promise<ProvisionedQueue> {
  const existing = await queueUrl(sqs, name);
  if (!existing) {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: wanted }));
    if (!QueueUrl) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
    return { name, url: QueueUrl, arn: await queueArn(sqs, QueueUrl), outcome: "created" };
  }
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: existing, AttributeNames: ["All"] }),
  );
  const current: Record<string, string | undefined> = Attributes ?? {};
  // FifoQueue cannot change after creation; a non-FIFO queue of a .fifo name cannot exist.
  const { FifoQueue: _fifo, ...settable } = wanted;
  const drift = Object.fromEntries(
    Object.entries(settable).filter(([key, value]) => !sameAttribute(key, current[key], value)),
  );
  const arn = current.QueueArn ?? (await queueArn(sqs, existing));
  if (Object.keys(drift).length === 0) return { name, url: existing, arn, outcome: "found" };
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: existing, Attributes: drift }));
  return { name, url: existing, arn, outcome: "updated" };
}

async function queueUrl(sqs: SQSClient, name: string): Promise<string | undefined> {
  try {
    return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (err) {
    if (
      (err as Error).name === "QueueDoesNotExist" ||
      (err as Error).name === "AWS.SimpleQueueService.NonExistentQueue"
    )
      return undefined;
    throw err;
  }
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
  );
  if (!Attributes?.QueueArn) throw new Error(`GetQueueAttributes returned no QueueArn for ${url}`);
  return Attributes.QueueArn;
}

/** RedrivePolicy comes back as JSON whose maxReceiveCount may be a string or a number. */
function sameAttribute(key: string, current: string | undefined, wanted: string): boolean {
  if (current === undefined) return false;
  if (key !== "RedrivePolicy") return current === wanted;
  try {
    const a = JSON.parse(current) as Record<string, unknown>;
    const b = JSON.parse(wanted) as Record<string, unknown>;
    return (
      a.deadLetterTargetArn === b.deadLetterTargetArn &&
      String(a.maxReceiveCount) === String(b.maxReceiveCount)
    );
  } catch {
    return false;
  }
}

async function ensureBucket(s3: S3Client, name: string, region: string): Promise<Outcome> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: name }));
    return "found";
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw err;
  }
  try {
    await s3.send(
      new CreateBucketCommand({
        Bucket: name,
        // us-east-1 is the one region that must not be named as a location constraint.
        ...(region === "us-east-1"
          ? {}
          : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
      }),
    );
    return "created";
  } catch (err) {
    if ((err as Error).name === "BucketAlreadyOwnedByYou") return "found"; // created concurrently
    throw err;
  }
}
