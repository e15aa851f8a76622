/**
 * Shared by the handler tests: our AWS emulator with short EC2 transitions, provisioned from the
 * committed config (queues, bucket, job log group, the GPU instance left stopped), handler deps
 * pointing at it, jobs enqueued the way the gateway does (its JobQueue), and EC2 helpers.
 */
import { randomUUID } from "node:crypto";
import { DescribeInstancesCommand, StartInstancesCommand, StopInstancesCommand } from "@aws-sdk/client-ec2";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { type Emulator, startEmulator } from "../../emulators/aws/server.ts";
import { JobQueue } from "../../services/gateway/job-queue.ts";
import { type HandlerDeps, handlerDeps, queueUrl } from "../../services/handlers/aws.ts";
import { readJob, writeJob } from "../../services/handlers/dead-letters.ts";
import { loadConfig, type PlatformConfig } from "../../services/lib/config.ts";
import { type Job, newJob, transition } from "../../services/lib/job.ts";
import { createLogger } from "../../services/lib/logger.ts";
import { provision } from "../../services/lib/provision.ts";

export const config: PlatformConfig = loadConfig();

export interface Aws {
  emulator: Emulator;
  deps: HandlerDeps;
  instanceId: string;
  jobs: JobQueue;
  /** The env a process needs to reach this emulator. */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startAws(ec2: { pendingMs?: number; stoppingMs?: number } = {}): Promise<Aws> {
  const emulator = await startEmulator({
    port: 0,
    settings: {
      ec2: {
        pendingMs: ec2.pendingMs ?? 200,
        stoppingMs: ec2.stoppingMs ?? 200,
        shuttingDownMs: 200,
        rebootMs: 200,
      },
    },
  });
  const aws = { endpoint: emulator.url, region: config.region };
  const deps = handlerDeps("test", {
    config,
    aws,
    logger: createLogger("test", { level: process.env.LOG_LEVEL ?? "silent" }),
  });
  const result = await provision({
    config,
    sqs: deps.sqs,
    s3: deps.s3,
    logs: deps.logs,
    ec2: deps.ec2,
    gpu: { pollMs: 20 },
  });
  const instanceId = result.gpuInstance?.instanceId;
  if (!instanceId) throw new Error("provisioning made no GPU instance");
  const jobs = new JobQueue({
    s3: deps.s3,
    sqs: deps.sqs,
    bucket: config.bucket,
    queueName: config.queues.jobs.name,
    idleTimeSeconds: config.gpu.idleStopSeconds,
  });
  return {
    emulator,
    deps,
    instanceId,
    jobs,
    env: {
      AWS_ENDPOINT_URL: emulator.url,
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_REGION: config.region,
    },
    close: () => emulator.close(),
  };
}

/** Enqueues a job as the gateway does (record in S3, message grouped by owner). */
export async function enqueue(aws: Aws, owner = "alice-sub", prompt = "hello"): Promise<Job> {
  const job = newJob({
    jobId: randomUUID(),
    owner,
    prompt,
    maxTokens: 16,
    model: config.gateway.model,
    now: Date.now(),
  });
  await aws.jobs.enqueue(job);
  return job;
}

/** Receives one job message (as the runtime would) and keeps it in flight for `seconds`. */
export async function receiveJob(aws: Aws, seconds: number) {
  const { Messages = [] } = await aws.deps.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: await queueUrl(aws.deps.sqs, config.queues.jobs.name),
      MaxNumberOfMessages: 1,
      VisibilityTimeout: seconds,
      MessageSystemAttributeNames: ["All"],
    }),
  );
  return Messages;
}

export async function stateOf(aws: Aws): Promise<string | undefined> {
  const out = await aws.deps.ec2.send(new DescribeInstancesCommand({ InstanceIds: [aws.instanceId] }));
  return out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
}

export async function waitForState(aws: Aws, state: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const now = await stateOf(aws);
    if (now === state) return;
    if (Date.now() > end) throw new Error(`instance is ${now}, not ${state}, after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function startInstance(aws: Aws): Promise<void> {
  await aws.deps.ec2.send(new StartInstancesCommand({ InstanceIds: [aws.instanceId] }));
  await waitForState(aws, "running");
}

export async function stopInstance(aws: Aws): Promise<void> {
  await aws.deps.ec2.send(new StopInstancesCommand({ InstanceIds: [aws.instanceId] }));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Plays the runtime failing the queue's only job a job maxReceiveCount times; the next receive moves it to the DLQ. */
export async function failUntilDeadLettered(a: Aws, job: Job, error = "CUDA error: out of memory") {
  const { sqs, s3 } = a.deps;
  const url = await queueUrl(sqs, config.queues.jobs.name);
  for (let attempt = 1; attempt <= config.queues.jobs.maxReceiveCount; attempt++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1, VisibilityTimeout: 0 }),
    );
    if (Messages.length !== 1) throw new Error(`attempt ${attempt}: no message`);
    const record = (await readJob(s3, config.bucket, job.jobId)) as Job;
    await writeJob(s3, config.bucket, transition(record, "queued", { attempts: attempt, error }, Date.now()));
  }
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1 }),
  );
  if (Messages.length !== 0) throw new Error("the job was delivered a fourth time instead of dead-lettered");
}
