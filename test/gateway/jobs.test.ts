/**
 * The job routes end to end against the AWS emulator: POST /infer writes the record to S3 and
 * sends the FIFO message (group = sub, dedup = jobId, IdleTime/JobType/Model attributes) and
 * runs the enqueue hook; GET /jobs/{id} serves only the caller's own job; /ping reports queue
 * depth and the GPU instance from EC2; /stop stops it, or says 409 when there is none; and
 * every kind of bad body gets the right status and a message naming the problem.
 */
import { randomUUID } from "node:crypto";
import { DescribeInstancesCommand, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { GetQueueUrlCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEc2Client, createS3Client, createSqsClient } from "../../services/lib/aws-clients.ts";
import { type Job, jobSchema } from "../../services/lib/job.ts";
import {
  idToken,
  type JwksServer,
  makeKey,
  type SigningKey,
  type Stack,
  startJwks,
  startStack,
} from "./helpers.ts";

describe("job routes", () => {
  let key: SigningKey;
  let jwks: JwksServer;
  let stack: Stack;
  const hooked: Job[] = [];
  const alice = { sub: randomUUID(), token: "" };
  const bob = { sub: randomUUID(), token: "" };
  const aws = () => ({ endpoint: stack.emulator.url, region: stack.config.region });
  const as = (who: { token: string }) => ({
    get: (path: string) => request(stack.gateway.url).get(path).set("Authorization", `Bearer ${who.token}`),
    post: (path: string) => request(stack.gateway.url).post(path).set("Authorization", `Bearer ${who.token}`),
  });

  beforeAll(async () => {
    key = await makeKey();
    jwks = await startJwks([key]);
    stack = await startStack(
      {
        issuer: jwks.issuer,
        onEnqueue: (job) => void hooked.push(job),
        pingCacheMs: 0, // each /ping below must see the instance's current state
        limits: { burstPerSecond: 1000, requestsPerMinute: 100_000 }, // throttling has its own tests
      },
      { settings: { ec2: { pendingMs: 100, stoppingMs: 100, shuttingDownMs: 100, rebootMs: 100 } } },
    );
    alice.token = await idToken(key, jwks.issuer, { sub: alice.sub });
    bob.token = await idToken(key, jwks.issuer, { sub: bob.sub, "cognito:username": "bob" });
  });
  afterAll(async () => {
    await stack.close();
    await jwks.close();
  });

  it("queues a job: 202, the record in S3, the FIFO message with group, dedup id and attributes", async () => {
    const res = await as(alice).post("/infer").send({ prompt: "Tell me about llamas", maxTokens: 64 });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ jobId: expect.any(String), status: "queued" });
    const { jobId } = res.body as { jobId: string };

    const object = await createS3Client(aws()).send(
      new GetObjectCommand({ Bucket: stack.config.bucket, Key: `jobs/${jobId}.json` }),
    );
    const record = jobSchema.parse(JSON.parse((await object.Body?.transformToString()) ?? "{}"));
    expect(record).toMatchObject({
      jobId,
      owner: alice.sub,
      prompt: "Tell me about llamas",
      maxTokens: 64,
      status: "queued",
      model: stack.config.gateway.model,
    });
    expect(record.createdAt).toBe(record.updatedAt);

    const sqs = createSqsClient(aws());
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: stack.config.queues.jobs.name }));
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["MessageGroupId", "MessageDeduplicationId"],
      }),
    );
    const message = Messages.find((m) => JSON.parse(m.Body ?? "{}").jobId === jobId);
    expect(message?.Attributes).toMatchObject({ MessageGroupId: alice.sub, MessageDeduplicationId: jobId });
    expect(message?.MessageAttributes).toEqual({
      IdleTime: { DataType: "Number", StringValue: String(stack.config.gpu.idleStopSeconds) },
      JobType: { DataType: "String", StringValue: "inference" },
      Model: { DataType: "String", StringValue: stack.config.gateway.model },
    });
    expect(JSON.parse(message?.Body ?? "{}")).toEqual(record);
    expect(hooked.map((j) => j.jobId)).toContain(jobId);
  });

  it("defaults maxTokens to the configured limit", async () => {
    const res = await as(alice).post("/infer").send({ prompt: "hi" });
    expect(res.status).toBe(202);
    const job = await as(alice).get(`/jobs/${res.body.jobId}`);
    expect(job.body.maxTokens).toBe(stack.config.limits.maxTokens);
  });

  it("serves a job to its owner only: another user and unknown ids get 404", async () => {
    const { body } = await as(alice).post("/infer").send({ prompt: "mine" });
    const own = await as(alice).get(`/jobs/${body.jobId}`);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ jobId: body.jobId, owner: alice.sub, prompt: "mine", status: "queued" });
    for (const [who, id] of [
      [bob, body.jobId],
      [alice, randomUUID()],
      [alice, "not-a-uuid"],
      [alice, "..%2F..%2Fsecret"],
    ] as const) {
      const res = await as(who).get(`/jobs/${id}`);
      expect(res.status, id).toBe(404);
      expect(res.body.error).toBe("not_found");
    }
  });

  it.each([
    ["no body", undefined, 400, /prompt/],
    ["an empty prompt", { prompt: "" }, 400, /prompt must be a non-empty string/],
    ["a blank prompt", { prompt: "   " }, 400, /prompt/],
    ["a number as prompt", { prompt: 3 }, 400, /prompt/],
    ["maxTokens 0", { prompt: "x", maxTokens: 0 }, 400, /maxTokens must be an integer 1\.\.512/],
    ["maxTokens over the limit", { prompt: "x", maxTokens: 513 }, 400, /maxTokens/],
    ["a fractional maxTokens", { prompt: "x", maxTokens: 1.5 }, 400, /maxTokens/],
    ["maxTokens as a string", { prompt: "x", maxTokens: "5" }, 400, /maxTokens/],
    ["an unknown field", { prompt: "x", temperature: 1 }, 400, /unknown field temperature/],
    ["an array", [1, 2], 400, /JSON object/],
  ])("answers %s with 400 and a message naming the field", async (_case, body, status, message) => {
    const req = as(alice).post("/infer").set("Content-Type", "application/json");
    const res = await (body === undefined ? req : req.send(JSON.stringify(body)));
    expect(res.status).toBe(status);
    expect(res.body.error).toBe("bad_request");
    expect(res.body.message).toMatch(message);
  });

  it("answers bad JSON 400, a non-JSON body 415 and a body over 16 KiB 413", async () => {
    const badJson = await as(bob).post("/infer").set("Content-Type", "application/json").send('{"prompt": ');
    expect(badJson.status).toBe(400);
    expect(badJson.body.message).toMatch(/not valid JSON/);
    const text = await as(bob).post("/infer").set("Content-Type", "text/plain").send("prompt=hi");
    expect(text.status).toBe(415);
    expect(text.body.error).toBe("unsupported_media_type");
    const big = await as(bob)
      .post("/infer")
      .send({ prompt: "x".repeat(16 * 1024) });
    expect(big.status).toBe(413);
    expect(big.body.error).toBe("payload_too_large");
  });

  it("reports queue depth and the GPU instance on /ping, and stops it on /stop (409 when none)", async () => {
    const ping0 = await as(bob).get("/ping");
    expect(ping0.status).toBe(200);
    expect(ping0.body).toMatchObject({ status: "ok", gpu: { state: "none" } });
    expect(ping0.body.queue.depth + ping0.body.queue.inFlight).toBeGreaterThanOrEqual(2);

    const noInstance = await as(bob).post("/stop");
    expect(noInstance.status).toBe(409);
    expect(noInstance.body.message).toMatch(/Name=tinyllama-gpu/);

    const ec2 = createEc2Client(aws());
    const { Instances = [] } = await ec2.send(
      new RunInstancesCommand({
        ImageId: "ami-0123456789abcdef0",
        InstanceType: stack.config.gpu.instanceType as never,
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [
          { ResourceType: "instance", Tags: [{ Key: "Name", Value: stack.config.gpu.nameTag }] },
        ],
      }),
    );
    const id = Instances[0]?.InstanceId;
    const ping1 = await as(bob).get("/ping");
    expect(ping1.body.gpu).toEqual({ state: "pending", instanceType: "g4dn.xlarge" });
    const whilePending = await as(bob).post("/stop");
    expect(whilePending.status).toBe(409);
    expect(whilePending.body.message).toMatch(/is pending/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await as(bob).get("/ping")).body.gpu.state).toBe("running");

    const stopped = await as(bob).post("/stop");
    expect(stopped.status).toBe(202);
    expect(stopped.body).toMatchObject({ instanceId: id });
    const { Reservations = [] } = await ec2.send(
      new DescribeInstancesCommand({ InstanceIds: [id as string] }),
    );
    expect(Reservations[0]?.Instances?.[0]?.State?.Name).toMatch(/stopping|stopped/);
  });
});
