/**
 * The DLQ handler against the emulator: a job the "runtime" (this test) fails three times is
 * redriven to the DLQ by SQS on the fourth receive; the handler marks its record dead-lettered
 * with the reason, writes one `dead-lettered` event to the job log group, and leaves the message
 * visible in the DLQ. A second pass changes nothing; a job that already ended is left alone.
 */
import { FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { queueUrl } from "../../services/handlers/aws.ts";
import { markDeadLetters, readJob, writeJob } from "../../services/handlers/dead-letters.ts";
import { type Job, transition } from "../../services/lib/job.ts";
import { type Aws, config, enqueue, failUntilDeadLettered, startAws } from "./helpers.ts";

let aws: Aws;

beforeEach(async () => {
  aws = await startAws();
});
afterEach(async () => {
  await aws?.close();
});

async function dlqCounts() {
  const { Attributes = {} } = await aws.deps.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: await queueUrl(aws.deps.sqs, config.queues.deadLetter.name),
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
  };
}

async function jobEvents() {
  const { events = [] } = await aws.deps.logs.send(
    new FilterLogEventsCommand({ logGroupName: config.logs.jobLogGroup }),
  );
  return events.map((e) => JSON.parse(e.message ?? "{}") as Record<string, unknown>);
}

describe("DLQ handler", () => {
  it("marks a dead-lettered job's record, logs one event, and leaves the message in the DLQ", async () => {
    const job = await enqueue(aws, "alice-sub", "a prompt that always fails");
    await failUntilDeadLettered(aws, job);
    expect(await dlqCounts()).toEqual({ visible: 1, inFlight: 0 });

    const outcome = await markDeadLetters(aws.deps);
    expect(outcome).toMatchObject({ seen: 1, marked: [job.jobId], markedBefore: 0 });

    const record = await readJob(aws.deps.s3, config.bucket, job.jobId);
    expect(record).toMatchObject({
      status: "dead-lettered",
      attempts: 3,
      error: "failed 3 times: CUDA error: out of memory",
      owner: "alice-sub",
    });
    expect(await dlqCounts()).toEqual({ visible: 1, inFlight: 0 });

    const events = await jobEvents();
    expect(events).toEqual([
      expect.objectContaining({
        event: "dead-lettered",
        jobId: job.jobId,
        owner: "alice-sub",
        attempts: 3,
        reason: "failed 3 times: CUDA error: out of memory",
        queue: config.queues.deadLetter.name,
      }),
    ]);

    // The next scheduled pass sees the record's status and does nothing.
    const again = await markDeadLetters(aws.deps);
    expect(again).toMatchObject({ seen: 1, marked: [], markedBefore: 1 });
    expect(await jobEvents()).toHaveLength(1);
    expect(await dlqCounts()).toEqual({ visible: 1, inFlight: 0 });
  });

  it("says so when no error was recorded, and handles several users' jobs in one pass", async () => {
    const a = await enqueue(aws, "alice-sub");
    await failUntilDeadLettered(aws, a, "");
    const b = await enqueue(aws, "bob-sub");
    await failUntilDeadLettered(aws, b, "prompt too long");
    const outcome = await markDeadLetters(aws.deps);
    expect(outcome.marked.sort()).toEqual([a.jobId, b.jobId].sort());
    expect((await readJob(aws.deps.s3, config.bucket, a.jobId))?.error).toMatch(
      /^failed 3 times: no error was recorded/,
    );
    expect(await jobEvents()).toHaveLength(2);
    expect(await dlqCounts()).toEqual({ visible: 2, inFlight: 0 });
  });

  it("leaves a job that already ended as it is", async () => {
    const job = await enqueue(aws);
    await failUntilDeadLettered(aws, job);
    const record = (await readJob(aws.deps.s3, config.bucket, job.jobId)) as Job;
    await writeJob(aws.deps.s3, config.bucket, transition(record, "succeeded", { output: "hi" }, Date.now()));
    const outcome = await markDeadLetters(aws.deps);
    expect(outcome).toMatchObject({ seen: 1, marked: [], final: 1 });
    expect((await readJob(aws.deps.s3, config.bucket, job.jobId))?.status).toBe("succeeded");
    expect(await jobEvents()).toHaveLength(0);
  });

  it("does nothing on an empty DLQ", async () => {
    expect(await markDeadLetters(aws.deps)).toEqual({
      seen: 0,
      marked: [],
      markedBefore: 0,
      final: 0,
      unknown: 0,
    });
  });
});
