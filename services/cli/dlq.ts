/**
 * `tinyllama dlq list | redrive`: the dead-letter queue for operators.
 *
 * Unlike the other commands these talk to AWS (SQS, S3) directly with the AWS credentials of the
 * shell, not to the API with a Cognito token: the API has no DLQ routes, and a Cognito-group check
 * in a client would protect nothing. Who may run them is who may read the DLQ and the job bucket
 * and start a message move task: on AWS grant that (sqs:ReceiveMessage, sqs:ChangeMessageVisibility,
 * sqs:StartMessageMoveTask, sqs:ListMessageMoveTasks, s3:GetObject/PutObject on jobs/*) to the
 * operators' role only, since dead letters hold every user's prompts. Locally AWS_ENDPOINT_URL
 * points at the emulator and any credentials do.
 *
 * `list` peeks (receive, then visibility 0: nothing is consumed). `redrive` moves every message
 * back to the job queue with StartMessageMoveTask, sets the moved jobs' records from
 * `dead-lettered` back to `queued`, and follows ListMessageMoveTasks until the task ends.
 */

import { parseArgs } from "node:util";
import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { queueUrl } from "../handlers/aws.ts";
import { type DeadLetter, peekDeadLetters, readJob, writeJob } from "../handlers/dead-letters.ts";
import { createS3Client, createSqsClient, endpointFromEnv } from "../lib/aws-clients.ts";
import { loadConfig, type PlatformConfig } from "../lib/config.ts";
import { type Job, transition } from "../lib/job.ts";
import { CliError, EXIT, unreachable } from "./errors.ts";
import type { Io } from "./io.ts";

interface Row {
  jobId: string | undefined;
  owner: string | undefined;
  status: string | undefined;
  attempts: number;
  /** Seconds since the job was created. */
  ageSeconds: number | undefined;
  reason: string;
  messageId: string;
}

export async function dlq(args: string[], io: Io, config?: PlatformConfig): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined)
    throw new CliError("which dlq command? `tinyllama dlq list` or `tinyllama dlq redrive`", { usage: true });
  if (sub !== "list" && sub !== "redrive")
    throw new CliError(
      `unknown dlq command ${sub}: use \`tinyllama dlq list\` or \`tinyllama dlq redrive\``,
      {
        usage: true,
      },
    );
  const cfg = config ?? loadConfig(undefined, io.env);
  const sqs = createSqsClient({ env: io.env });
  const endpoint = endpointFromEnv("SQS", io.env) ?? "the AWS default endpoint";
  try {
    return sub === "list" ? await list(rest, io, cfg, sqs) : await redrive(rest, io, cfg, sqs);
  } catch (err) {
    throw awsError(err, endpoint, cfg);
  } finally {
    sqs.destroy();
  }
}

async function list(args: string[], io: Io, config: PlatformConfig, sqs: SQSClient): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean" } },
  });
  if (positionals.length) throw new CliError(`unexpected argument ${positionals[0]}`, { usage: true });
  const s3 = createS3Client({ env: io.env });
  const peek = await peekDeadLetters(sqs, config, { visibilitySeconds: 15 });
  let rows: Row[];
  try {
    rows = await Promise.all(peek.messages.map((m) => row(m, config, s3, io.now())));
  } finally {
    await peek.release();
    s3.destroy();
  }
  const { inFlight } = await counts(sqs, config.queues.deadLetter.name);
  const queue = config.queues.deadLetter.name;
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ queue, jobs: rows, heldElsewhere: inFlight }, null, 2)}\n`);
    return EXIT.ok;
  }
  const lines: string[] = [];
  if (rows.length === 0) lines.push(`The dead-letter queue ${queue} is empty.`);
  else {
    lines.push(`${rows.length} job(s) in ${queue}:`);
    lines.push(`${"JOB".padEnd(36)}  ${"OWNER".padEnd(36)}  ATTEMPTS  ${"AGE".padEnd(8)}  REASON`);
    for (const r of rows)
      lines.push(
        `${(r.jobId ?? "(not a job)").padEnd(36)}  ${(r.owner ?? "?").padEnd(36)}  ${String(r.attempts).padEnd(8)}  ${age(r.ageSeconds).padEnd(8)}  ${r.reason}`,
      );
  }
  if (inFlight > 0)
    lines.push(`(${inFlight} more held for a moment by another reader, e.g. the DLQ handler: run it again)`);
  io.stdout.write(`${lines.join("\n")}\n`);
  return EXIT.ok;
}

async function row(
  m: DeadLetter,
  config: PlatformConfig,
  s3: ReturnType<typeof createS3Client>,
  now: number,
) {
  const job = m.jobId ? await readJob(s3, config.bucket, m.jobId) : undefined;
  const created = job ? Date.parse(job.createdAt) : m.sentAt;
  return {
    jobId: m.jobId,
    owner: job?.owner,
    status: job?.status,
    attempts: job?.attempts ?? config.queues.jobs.maxReceiveCount,
    ageSeconds: created === undefined ? undefined : Math.max(0, Math.round((now - created) / 1000)),
    reason: reasonOf(m, job),
    messageId: m.messageId,
  } satisfies Row;
}

function reasonOf(m: DeadLetter, job: Job | undefined): string {
  if (!m.jobId) return "the message is not a job";
  if (!job) return "the job has no record in the job bucket";
  if (job.status === "dead-lettered") return job.error ?? "dead-lettered";
  const last = job.error ? `; last error: ${job.error}` : "";
  return `not marked yet (record says ${job.status})${last}`;
}

function age(seconds: number | undefined): string {
  if (seconds === undefined) return "?";
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

async function redrive(args: string[], io: Io, config: PlatformConfig, sqs: SQSClient): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: "boolean" },
      "max-per-second": { type: "string" },
      "no-wait": { type: "boolean" },
      timeout: { type: "string" },
    },
  });
  if (positionals.length) throw new CliError(`unexpected argument ${positionals[0]}`, { usage: true });
  const rate = wholeNumber("--max-per-second", values["max-per-second"]);
  const timeoutS = wholeNumber("--timeout", values.timeout) ?? 300;
  const json = values.json ?? false;
  const { deadLetter, jobs } = config.queues;
  const [sourceArn, destinationArn] = await Promise.all([arn(sqs, deadLetter.name), arn(sqs, jobs.name)]);

  // Which jobs are about to move, so their records can say `queued` again.
  const peek = await peekDeadLetters(sqs, config, { visibilitySeconds: 15 });
  await peek.release(); // a move task skips messages that are in flight
  const waiting = await counts(sqs, deadLetter.name);
  if (waiting.visible + waiting.inFlight === 0) {
    const body = { status: "EMPTY", moved: 0, queue: deadLetter.name };
    io.stdout.write(
      json ? `${JSON.stringify(body, null, 2)}\n` : `Nothing to redrive: ${deadLetter.name} is empty.\n`,
    );
    return EXIT.ok;
  }

  let handle: string | undefined;
  try {
    ({ TaskHandle: handle } = await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: sourceArn,
        DestinationArn: destinationArn,
        ...(rate === undefined ? {} : { MaxNumberOfMessagesPerSecond: rate }),
      }),
    ));
  } catch (err) {
    if (
      (err as Error).name === "UnsupportedOperation" ||
      /already a task running/i.test((err as Error).message)
    )
      throw new CliError(
        `a redrive of ${deadLetter.name} is already running: wait for it (\`tinyllama dlq list\` shows what is left)`,
        { cause: err, code: "busy" },
      );
    throw err;
  }
  const requeued = await requeue(peek.messages, config, io);
  if (!json)
    io.stderr.write(
      `Redrive started: ${deadLetter.name} -> ${jobs.name}; ${requeued.length} job record(s) set back to queued.\n`,
    );

  let task = await latestTask(sqs, sourceArn);
  const started = io.now();
  let shown = "";
  while (!values["no-wait"] && task?.Status === "RUNNING" && io.now() - started < timeoutS * 1000) {
    const progress = `moved ${task.ApproximateNumberOfMessagesMoved ?? 0} of ${task.ApproximateNumberOfMessagesToMove ?? "?"}`;
    if (!json && progress !== shown) io.stderr.write(`${progress}\n`);
    shown = progress;
    await io.sleep(500);
    task = await latestTask(sqs, sourceArn);
  }
  const result = {
    taskHandle: handle,
    status: task?.Status ?? "UNKNOWN",
    moved: task?.ApproximateNumberOfMessagesMoved ?? 0,
    toMove: task?.ApproximateNumberOfMessagesToMove,
    from: deadLetter.name,
    to: jobs.name,
    requeued,
    ...(task?.FailureReason ? { failureReason: task.FailureReason } : {}),
  };
  io.stdout.write(
    json
      ? `${JSON.stringify(result, null, 2)}\n`
      : `Redrive ${result.status}: moved ${result.moved} of ${result.toMove ?? "?"} message(s) to ${jobs.name}` +
          `${result.failureReason ? ` (${result.failureReason})` : ""}.${result.status === "RUNNING" ? " It goes on in the background." : ""}\n`,
  );
  return result.status === "FAILED" || result.status === "CANCELLED" ? EXIT.failed : EXIT.ok;
}

/** Sets the records of dead-lettered jobs back to queued; returns their ids. */
async function requeue(messages: DeadLetter[], config: PlatformConfig, io: Io): Promise<string[]> {
  const s3 = createS3Client({ env: io.env });
  const done: string[] = [];
  try {
    for (const m of messages) {
      if (!m.jobId) continue;
      const job = await readJob(s3, config.bucket, m.jobId);
      if (job?.status !== "dead-lettered") continue;
      await writeJob(s3, config.bucket, transition(job, "queued", {}, io.now()));
      done.push(job.jobId);
    }
  } finally {
    s3.destroy();
  }
  return done;
}

async function latestTask(sqs: SQSClient, sourceArn: string) {
  const { Results = [] } = await sqs.send(
    new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }),
  );
  return Results[0];
}

async function arn(sqs: SQSClient, name: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: await queueUrl(sqs, name), AttributeNames: ["QueueArn"] }),
  );
  if (!Attributes?.QueueArn) throw new Error(`GetQueueAttributes returned no QueueArn for ${name}`);
  return Attributes.QueueArn;
}

async function counts(sqs: SQSClient, name: string): Promise<{ visible: number; inFlight: number }> {
  const { Attributes: a = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: await queueUrl(sqs, name),
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return {
    visible: Number(a.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

function wholeNumber(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < 1)
    throw new CliError(`${name} ${raw} must be a whole number of at least 1`, { usage: true });
  return value;
}

/** AWS failures said plainly: no stack, no queue, no credentials. */
function awsError(err: unknown, endpoint: string, config: PlatformConfig): unknown {
  if (err instanceof CliError) return err;
  const e = err as Error & {
    $metadata?: { httpStatusCode?: number };
    cause?: { code?: string };
    code?: string;
  };
  const name = e.name ?? "";
  if (name === "QueueDoesNotExist" || name === "AWS.SimpleQueueService.NonExistentQueue")
    return new CliError(
      `the queues ${config.queues.deadLetter.name} / ${config.queues.jobs.name} do not exist at ${endpoint}: provision them (make dev, or npm run provision)`,
      { cause: err, code: "not_found" },
    );
  if (name === "CredentialsProviderError")
    return new CliError(
      "no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or AWS_ENDPOINT_URL for the local stack)",
      { cause: err, code: "auth" },
    );
  if (
    !e.$metadata?.httpStatusCode &&
    /ECONNREFUSED|ENOTFOUND|fetch failed|socket/i.test(`${e.code} ${e.cause?.code} ${e.message}`)
  )
    return unreachable("AWS endpoint", endpoint, err, "start the stack (make dev) or set AWS_ENDPOINT_URL");
  return new CliError(`AWS refused the request: ${name}: ${e.message}`, { cause: err });
}
