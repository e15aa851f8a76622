/**
 * The dead-letter queue's jobs (LAM-004, TL-004): a job the runtime failed `maxReceiveCount`
 * times lands in the DLQ, whose alarm (ApproximateNumberOfMessagesVisible > 0, provisioned) tells
 * the alert topic. This module marks such a job's record `dead-lettered` with the reason and
 * writes one structured `dead-lettered` event to the job log group; the message itself stays in
 * the DLQ for inspection and redrive (`tinyllama dlq list|redrive`).
 *
 * Why not an SQS event-source mapping on the DLQ: a mapping deletes every record the function
 * does not report as failed, and the messages must stay. So the handler runs on a schedule and
 * peeks: ReceiveMessage holds the messages for a short visibility timeout while it works, and
 * ChangeMessageVisibility 0 hands them back at once (in `finally`, so a failure never hides them
 * for long). The job record's status makes a second pass a no-op: a record already
 * `dead-lettered` (or final: `succeeded`, `failed`) is left alone.
 *
 * FIFO limit: a receive locks a message group until its messages are visible again, so one pass
 * sees at most the messages of each group (user) that the first receive touching it returns (up
 * to 10). More than that from one user waits until the first ones are redriven or deleted.
 */
import {
  type CloudWatchLogsClient,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  ChangeMessageVisibilityBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { PlatformConfig } from "../lib/config.ts";
import { type Job, jobKey, jobSchema, transition } from "../lib/job.ts";
import { type HandlerDeps, queueUrl } from "./aws.ts";

/** One DLQ message and, when it parses, the job it carries. */
export interface DeadLetter {
  messageId: string;
  receiptHandle: string;
  /** The job id from the body, or undefined when the body is not a job. */
  jobId: string | undefined;
  /** When the message was first sent (SentTimestamp), epoch ms. */
  sentAt: number | undefined;
  /** Receives so far, counting those on the job queue (SQS keeps the count when it dead-letters). */
  receiveCount: number;
  body: string;
}

export interface Peek {
  messages: DeadLetter[];
  /** Makes every peeked message visible again. Safe to call twice. */
  release(): Promise<void>;
}

export interface PeekOptions {
  /** How long the messages stay hidden while they are looked at. @defaultValue 30 */
  visibilitySeconds?: number;
  /** Stop after this many. @defaultValue 1000 */
  limit?: number;
}

/** Receives everything visible in the DLQ without consuming it; call `release()` when done. */
export async function peekDeadLetters(
  sqs: SQSClient,
  config: PlatformConfig,
  options: PeekOptions = {},
): Promise<Peek> {
  const url = await queueUrl(sqs, config.queues.deadLetter.name);
  const limit = options.limit ?? 1000;
  const messages: DeadLetter[] = [];
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    for (let i = 0; i < messages.length; i += 10) {
      const batch = messages.slice(i, i + 10);
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: url,
          Entries: batch.map((m, n) => ({
            Id: String(n),
            ReceiptHandle: m.receiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
  };
  try {
    while (messages.length < limit) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: Math.min(10, limit - messages.length),
          VisibilityTimeout: options.visibilitySeconds ?? 30,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ["All"],
        }),
      );
      if (Messages.length === 0) break;
      messages.push(...Messages.flatMap(toDeadLetter));
    }
  } catch (err) {
    await release().catch(() => {});
    throw err;
  }
  return { messages, release };
}

function toDeadLetter(m: Message): DeadLetter[] {
  if (!m.MessageId || !m.ReceiptHandle) return [];
  const body = m.Body ?? "";
  let jobId: string | undefined;
  try {
    const parsed = jobSchema.pick({ jobId: true }).safeParse(JSON.parse(body));
    if (parsed.success) jobId = parsed.data.jobId;
  } catch {
    // not JSON: reported as not a job
  }
  const sent = Number(m.Attributes?.SentTimestamp);
  return [
    {
      messageId: m.MessageId,
      receiptHandle: m.ReceiptHandle,
      jobId,
      sentAt: Number.isFinite(sent) ? sent : undefined,
      receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
      body,
    },
  ];
}

/** The job record, or undefined when there is none. */
export async function readJob(s3: S3Client, bucket: string, jobId: string): Promise<Job | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: jobKey(jobId) }));
    return jobSchema.parse(JSON.parse((await out.Body?.transformToString("utf8")) ?? ""));
  } catch (err) {
    if ((err as Error).name === "NoSuchKey") return undefined;
    throw err;
  }
}

export async function writeJob(s3: S3Client, bucket: string, job: Job): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: jobKey(job.jobId),
      Body: JSON.stringify(job),
      ContentType: "application/json",
    }),
  );
}

/** "failed 3 times: <the last attempt's error>". */
export function deadLetterReason(job: Job, attempts: number): string {
  const last = job.error?.trim();
  return `failed ${attempts} times: ${last || "no error was recorded (the worker may have crashed or run out of time)"}`;
}

export interface MarkOutcome {
  /** Messages looked at. */
  seen: number;
  /** Jobs marked dead-lettered in this pass. */
  marked: string[];
  /** Dead-lettered by an earlier pass. (Not "already...": make dev's readiness is the word `ready` in its output.) */
  markedBefore: number;
  /** Records in a final state (succeeded, failed): left as they are. */
  final: number;
  /** Message bodies that are not jobs, or jobs without a record. */
  unknown: number;
}

export interface MarkOptions extends PeekOptions {
  /** The log stream for the events. @defaultValue `dlq-handler/<date>` */
  logStream?: string;
}

/** Marks every DLQ job not yet marked; the messages stay in the DLQ. */
export async function markDeadLetters(deps: HandlerDeps, options: MarkOptions = {}): Promise<MarkOutcome> {
  const { config, sqs, s3, logger } = deps;
  const now = deps.now ?? Date.now;
  const outcome: MarkOutcome = { seen: 0, marked: [], markedBefore: 0, final: 0, unknown: 0 };
  const peek = await peekDeadLetters(sqs, config, options);
  outcome.seen = peek.messages.length;
  const events: Array<{ timestamp: number; message: string }> = [];
  try {
    for (const m of peek.messages) {
      const job = m.jobId ? await readJob(s3, config.bucket, m.jobId) : undefined;
      if (!job) {
        outcome.unknown++;
        logger.warn(
          { messageId: m.messageId, jobId: m.jobId },
          m.jobId ? "a DLQ message whose job has no record" : "a DLQ message that is not a job",
        );
        continue;
      }
      if (job.status === "dead-lettered") {
        outcome.markedBefore++;
        continue;
      }
      if (job.status === "succeeded" || job.status === "failed") {
        outcome.final++;
        logger.warn(
          { jobId: job.jobId, status: job.status, messageId: m.messageId },
          "a DLQ message whose job has ended: its record is left as it is",
        );
        continue;
      }
      const attempts = Math.max(job.attempts ?? 0, config.queues.jobs.maxReceiveCount);
      const reason = deadLetterReason(job, attempts);
      const at = now();
      await writeJob(s3, config.bucket, transition(job, "dead-lettered", { attempts, error: reason }, at));
      outcome.marked.push(job.jobId);
      events.push({
        timestamp: at,
        message: JSON.stringify({
          event: "dead-lettered",
          jobId: job.jobId,
          owner: job.owner,
          attempts,
          reason,
          messageId: m.messageId,
          queue: config.queues.deadLetter.name,
          createdAt: job.createdAt,
          at: new Date(at).toISOString(),
        }),
      });
      logger.info({ jobId: job.jobId, attempts, reason }, "job dead-lettered");
    }
  } finally {
    await peek.release();
    if (events.length > 0) {
      const day = new Date(now()).toISOString().slice(0, 10);
      await putEvents(deps.logs, config.logs.jobLogGroup, options.logStream ?? `dlq-handler/${day}`, events);
    }
  }
  return outcome;
}

/** Writes events to the stream, creating it the first time. */
async function putEvents(
  logs: CloudWatchLogsClient,
  group: string,
  stream: string,
  events: Array<{ timestamp: number; message: string }>,
): Promise<void> {
  const put = () =>
    logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: events }));
  try {
    await put();
  } catch (err) {
    if ((err as Error).name !== "ResourceNotFoundException") throw err;
    await logs
      .send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }))
      .catch((e: unknown) => {
        if ((e as Error).name !== "ResourceAlreadyExistsException") throw e;
      });
    await put();
  }
}
