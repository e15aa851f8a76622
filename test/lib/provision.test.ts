import { GetQueueAttributesCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { startFauxqs } from "fauxqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulators/aws/server.ts";
import { createS3Client, createSqsClient } from "../../services/lib/aws-clients.ts";
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
