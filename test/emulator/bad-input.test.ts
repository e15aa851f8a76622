/**
 * Garbage on the wire gets an AWS-shaped error with a precise status, in the protocol the client
 * spoke, and the server keeps serving. Raw HTTP on purpose: SDKs never send most of this.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../emulators/aws/server.ts";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(() => emulator.close());

const json = (target: string, body: string) =>
  fetch(`${emulator.url}/`, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "x-amz-target": target,
      "x-amzn-query-mode": "true",
    },
    body,
  });
const form = (params: Record<string, string>) =>
  fetch(`${emulator.url}/`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params),
  });

async function jsonError(res: Response) {
  const body = (await res.json()) as { __type: string; message: string };
  return {
    status: res.status,
    type: body.__type,
    message: body.message,
    query: res.headers.get("x-amzn-query-error"),
  };
}

describe("JSON protocol", () => {
  it("malformed JSON -> 400 SerializationException", async () => {
    const e = await jsonError(await json("AmazonSQS.ListQueues", "{not json"));
    expect(e).toMatchObject({ status: 400, type: "com.amazonaws.sqs#SerializationException" });
  });

  it("a JSON array body -> 400 SerializationException", async () => {
    const e = await jsonError(await json("AmazonSQS.ListQueues", "[1,2]"));
    expect(e.type).toBe("com.amazonaws.sqs#SerializationException");
  });

  it("unknown action -> 400 UnknownOperationException", async () => {
    const e = await jsonError(await json("AmazonSQS.Frobnicate", "{}"));
    expect(e).toMatchObject({ status: 400, type: "com.amazonaws.sqs#UnknownOperationException" });
  });

  it("unknown service target -> 400, not a crash", async () => {
    const res = await json("NoSuchService_2020.DoIt", "{}");
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("UnknownOperationException");
  });

  it("missing parameter -> MissingParameter with the query-compatible header", async () => {
    const e = await jsonError(await json("AmazonSQS.SendMessage", "{}"));
    expect(e).toMatchObject({
      status: 400,
      type: "com.amazonaws.sqs#MissingParameter",
      query: "MissingParameter;Sender",
    });
    expect(e.message).toContain("QueueUrl");
  });

  it("wrong types are refused, not thrown", async () => {
    const created = await json("AmazonSQS.CreateQueue", JSON.stringify({ QueueName: "typed" }));
    const { QueueUrl } = (await created.json()) as { QueueUrl: string };
    for (const body of [
      { QueueUrl, MessageBody: 42 },
      { QueueUrl, MessageBody: "x", MessageAttributes: "nope" },
      { QueueUrl, MessageBody: "x", MessageAttributes: { a: null } },
      { QueueUrl, MessageBody: "x", DelaySeconds: "soon" },
      { QueueUrl: 7, MessageBody: "x" },
    ]) {
      const res = await json("AmazonSQS.SendMessage", JSON.stringify(body));
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const receive = await json(
      "AmazonSQS.ReceiveMessage",
      JSON.stringify({ QueueUrl, MaxNumberOfMessages: "ten" }),
    );
    expect((await jsonError(receive)).type).toBe("com.amazonaws.sqs#InvalidParameterValue");
    const attrs = await json(
      "AmazonSQS.GetQueueAttributes",
      JSON.stringify({ QueueUrl, AttributeNames: "All" }),
    );
    expect(attrs.status).toBe(400);
  });
});

describe("query protocol", () => {
  it("unknown action -> 400 InvalidAction in XML", async () => {
    const res = await form({ Action: "Frobnicate", Version: "2012-11-05" });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain("<Code>InvalidAction</Code>");
    expect(text).toContain("<Type>Sender</Type>");
  });

  it("missing queue -> the legacy NonExistentQueue code", async () => {
    const res = await form({ Action: "GetQueueUrl", QueueName: "absent" });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("<Code>AWS.SimpleQueueService.NonExistentQueue</Code>");
  });

  it("malformed indexes and junk params are ignored or refused, never a 500", async () => {
    const res = await form({
      Action: "SendMessageBatch",
      QueueUrl: "/000000000000/none",
      "SendMessageBatchRequestEntry.x.Id": "1",
    });
    expect(res.status).toBe(400);
  });
});

describe("the server survives", () => {
  it("binary junk, huge headers and an unknown REST path", async () => {
    const junk = await fetch(`${emulator.url}/`, { method: "POST", body: new Uint8Array([0, 255, 1, 254]) });
    expect(junk.status).toBeGreaterThanOrEqual(400);
    const odd = await fetch(`${emulator.url}/%E0%A4%A/..`, { method: "PATCH" });
    expect(odd.status).toBeGreaterThanOrEqual(400);
    const health = await fetch(`${emulator.url}/_emulator/health`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as { services: Record<string, { state: string }> };
    expect(body.services.sqs?.state).toBe("running");
    expect(body.services.s3?.state).toBe("running");
  });

  it("unknown control route -> 404 naming the health route", async () => {
    const res = await fetch(`${emulator.url}/_emulator/nope`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain("/_emulator/health");
  });
});

describe("shutdown", () => {
  it("close() ends a waiting 20-s long poll at once", async () => {
    const own = await startEmulator({ port: 0 });
    const target = (t: string, body: unknown) =>
      fetch(`${own.url}/`, {
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": `AmazonSQS.${t}` },
        body: JSON.stringify(body),
      });
    const { QueueUrl } = (await (await target("CreateQueue", { QueueName: "closing" })).json()) as {
      QueueUrl: string;
    };
    const poll = target("ReceiveMessage", { QueueUrl, WaitTimeSeconds: 20 }).catch(() => "closed");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = performance.now();
    await own.close();
    await poll;
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
