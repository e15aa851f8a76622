/**
 * `tinyllama dlq list` and `tinyllama dlq redrive` as real processes against the emulator, with
 * AWS_ENDPOINT_URL as a user of the local stack sets it: list shows the dead-lettered jobs and
 * consumes nothing; redrive moves them back to the job queue, sets their records to queued and
 * reports the move task until it completes.
 */
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queueUrl } from "../../services/handlers/aws.ts";
import { markDeadLetters, readJob } from "../../services/handlers/dead-letters.ts";
import type { Job } from "../../services/lib/job.ts";
import { spawnCli } from "../cli/helpers.ts";
import { type Aws, config, enqueue, failUntilDeadLettered, startAws } from "./helpers.ts";

let aws: Aws;
let alice: Job;
let bob: Job;

beforeAll(async () => {
  aws = await startAws();
  alice = await enqueue(aws, "alice-sub", "first");
  await failUntilDeadLettered(aws, alice, "CUDA error: out of memory");
  await markDeadLetters(aws.deps);
  // Bob's job reaches the DLQ after the handler's last pass: not marked yet.
  bob = await enqueue(aws, "bob-sub", "second");
  await failUntilDeadLettered(aws, bob, "the model crashed");
});
afterAll(async () => {
  await aws?.close();
});

async function tinyllama(args: string[], env: NodeJS.ProcessEnv = aws.env) {
  const p = spawnCli(args, env);
  const code = await p.exit;
  return { code, ...p.out };
}

async function visible(name: string): Promise<number> {
  const { Attributes = {} } = await aws.deps.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: await queueUrl(aws.deps.sqs, name),
      AttributeNames: ["ApproximateNumberOfMessages"],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessages);
}

describe("tinyllama dlq", () => {
  it("list --json: each job with owner, attempts, reason and age; nothing is consumed", async () => {
    const r = await tinyllama(["dlq", "list", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { queue: string; jobs: Array<Record<string, unknown>> };
    expect(out.queue).toBe(config.queues.deadLetter.name);
    const byId = Object.fromEntries(out.jobs.map((j) => [j.jobId, j]));
    expect(byId[alice.jobId]).toMatchObject({
      owner: "alice-sub",
      status: "dead-lettered",
      attempts: 3,
      reason: "failed 3 times: CUDA error: out of memory",
    });
    expect(byId[bob.jobId]).toMatchObject({
      owner: "bob-sub",
      status: "queued",
      reason: "not marked yet (record says queued); last error: the model crashed",
    });
    expect(byId[alice.jobId]?.ageSeconds).toBeGreaterThanOrEqual(0);
    expect(await visible(config.queues.deadLetter.name)).toBe(2);
  });

  it("list: a table for people", async () => {
    const r = await tinyllama(["dlq", "list"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`2 job(s) in ${config.queues.deadLetter.name}:`);
    expect(r.stdout).toMatch(/JOB\s+OWNER\s+ATTEMPTS\s+AGE\s+REASON/);
    expect(r.stdout).toMatch(new RegExp(`${alice.jobId}\\s+alice-sub\\s+3\\s+\\d+s\\s+failed 3 times: CUDA`));
  });

  it("redrive: moves the jobs back, sets their records to queued, reports the task to the end", async () => {
    const r = await tinyllama(["dlq", "redrive"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `Redrive started: ${config.queues.deadLetter.name} -> ${config.queues.jobs.name}; 1 job record(s) set back to queued.`,
    );
    expect(r.stdout).toBe(`Redrive COMPLETED: moved 2 of 2 message(s) to ${config.queues.jobs.name}.\n`);
    expect(await visible(config.queues.deadLetter.name)).toBe(0);
    expect(await visible(config.queues.jobs.name)).toBe(2);
    expect((await readJob(aws.deps.s3, config.bucket, alice.jobId))?.status).toBe("queued");
  });

  it("an empty DLQ: list and redrive say so", async () => {
    const list = await tinyllama(["dlq", "list"]);
    expect(list).toMatchObject({
      code: 0,
      stdout: `The dead-letter queue ${config.queues.deadLetter.name} is empty.\n`,
    });
    const redrive = await tinyllama(["dlq", "redrive", "--json"]);
    expect(redrive.code).toBe(0);
    expect(JSON.parse(redrive.stdout)).toMatchObject({ status: "EMPTY", moved: 0 });
  });

  it("names the endpoint and the fix when the stack is not running; bad usage exits 2", async () => {
    const down = await tinyllama(["dlq", "list"], { ...aws.env, AWS_ENDPOINT_URL: "http://127.0.0.1:9" });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(
      /^tinyllama: cannot reach the AWS endpoint at http:\/\/127\.0\.0\.1:9 \(.*\): start the stack \(make dev\) or set AWS_ENDPOINT_URL\n$/,
    );
    const usage = await tinyllama(["dlq", "purge"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("unknown dlq command purge");
  });
});
