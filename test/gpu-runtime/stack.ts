/**
 * The slice of the platform the runtime's lifecycle tests need: our AWS emulator on a free port
 * with short EC2 transitions, provisioned from config/platform.json (queues, bucket, job log
 * group, the stopped GPU instance), the gateway's own JobQueue to submit jobs, and readers for
 * records, queue counts, job events and metrics.
 */

import { GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeInstancesCommand, StartInstancesCommand, StopInstancesCommand } from "@aws-sdk/client-ec2";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { type Emulator, startEmulator } from "../../emulators/aws/server.ts";
import { waitUntil } from "../../scripts/lib/launch-stack.ts";
import { JobQueue } from "../../services/gateway/job-queue.ts";
import {
  createCloudWatchClient,
  createEc2Client,
  createLogsClient,
  createS3Client,
  createSqsClient,
} from "../../services/lib/aws-clients.ts";
import { loadConfig, type PlatformConfig } from "../../services/lib/config.ts";
import { type Job, newJob } from "../../services/lib/job.ts";
import { createLogger, type Logger } from "../../services/lib/logger.ts";
import { provision } from "../../services/lib/provision.ts";

export interface StackOptions {
  visibilityTimeoutSeconds?: number;
  /** EC2 pending/stopping time. @defaultValue 300 */
  ec2Ms?: number;
  /** An emulator already running (e.g. as a process); otherwise one starts in this process. */
  url?: string;
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

export async function startStack(options: StackOptions = {}) {
  const base = loadConfig();
  const config: PlatformConfig = {
    ...base,
    queues: {
      ...base.queues,
      jobs: {
        ...base.queues.jobs,
        visibilityTimeoutSeconds:
          options.visibilityTimeoutSeconds ?? base.queues.jobs.visibilityTimeoutSeconds,
      },
    },
  };
  const ms = options.ec2Ms ?? 300;
  // Note: the emulator's close() spins until a parked long poll's wait time is over, so tests
  // keep their polls short, or run the emulator as a process and kill it.
  const emulator: Emulator | undefined = options.url
    ? undefined
    : await startEmulator({
        port: 0,
        settings: { ec2: { pendingMs: ms, stoppingMs: ms, shuttingDownMs: ms, rebootMs: ms } },
      });
  const url = options.url ?? emulator?.url ?? "";
  const aws = { endpoint: url, region: config.region };
  const sqs = createSqsClient(aws);
  const s3 = createS3Client(aws);
  const logs = createLogsClient(aws);
  const ec2 = createEc2Client(aws);
  const cloudwatch = createCloudWatchClient(aws);
  const provisioned = await provision({ config, sqs, s3, logs, ec2, gpu: { pollMs: 50 } });
  const queueUrl = provisioned.jobQueue.url;
  const dlqUrl = provisioned.deadLetterQueue.url;
  const instanceId = provisioned.gpuInstance?.instanceId ?? "";
  const jobs = new JobQueue({
    s3,
    sqs,
    bucket: config.bucket,
    queueName: config.queues.jobs.name,
    idleTimeSeconds: 300,
  });
  let n = 0;

  const counts = async (url: string) => {
    const { Attributes: a = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return {
      visible: Number(a.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  };

  const instanceState = async () => {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    return out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
  };

  return {
    config,
    url,
    aws,
    sqs,
    s3,
    logs,
    ec2,
    cloudwatch,
    queueUrl,
    dlqUrl,
    instanceId,
    jobs,
    /** Accepts a job as the gateway does: record to S3, message to the FIFO queue in the owner's group. */
    async submit(owner: string, prompt: string, maxTokens = 16): Promise<Job> {
      const job = newJob({
        jobId: `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
        owner,
        prompt,
        maxTokens,
        model: config.gateway.model,
        now: Date.now(),
      });
      await jobs.enqueue(job);
      return job;
    },
    record: async (jobId: string) => {
      const job = await jobs.get(jobId);
      if (!job) throw new Error(`no record for ${jobId}`);
      return job;
    },
    queue: () => counts(queueUrl),
    dlq: () => counts(dlqUrl),
    instanceState,
    async startInstance(): Promise<void> {
      await ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
    },
    async stopInstance(): Promise<void> {
      await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    },
    /** The job events in the job log group, oldest first. */
    async events(jobId?: string): Promise<Array<Record<string, unknown>>> {
      const out = await logs.send(new FilterLogEventsCommand({ logGroupName: config.logs.jobLogGroup }));
      return (out.events ?? [])
        .map((e) => JSON.parse(e.message ?? "{}") as Record<string, unknown>)
        .filter((e) => jobId === undefined || e.jobId === jobId);
    },
    async metric(name: string) {
      const out = await cloudwatch.send(
        new GetMetricStatisticsCommand({
          Namespace: config.metricNamespace,
          MetricName: name,
          StartTime: new Date(Date.now() - 600_000),
          EndTime: new Date(Date.now() + 60_000),
          Period: 60,
          Statistics: ["SampleCount", "Sum", "Minimum", "Maximum"],
        }),
      );
      return out.Datapoints ?? [];
    },
    close: async () => emulator?.close(),
  };
}

/** Polls `check` until it returns a value that is not undefined/false (the stack helper's
 * `waitUntil`, with the shorter limits these part-level tests use). */
export function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<T> {
  return waitUntil(what, check, timeoutMs, everyMs);
}

/** A pino logger whose JSON lines are kept (and not printed), for assertions. */
export function captureLogger(name = "gpu-runtime"): {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
} {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger(name, {
    level: "debug",
    destination: {
      write(line: string) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
  return { logger, lines };
}
