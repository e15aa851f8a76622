/**
 * SNS delivery through the real SDK clients: SQS (AWS's JSON envelope, every field, and raw),
 * filter policies, a FIFO topic into a FIFO queue, HTTP subscribers (confirmation, notification,
 * retries), the email outbox, and the `publish` port CloudWatch uses.
 */
import { createVerify } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  ConfirmSubscriptionCommand,
  CreateTopicCommand,
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  PublishBatchCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
} from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AwsError } from "../../emulators/aws/core/aws-error.ts";
import { systemClock } from "../../emulators/aws/core/context.ts";
import { defaultSettings } from "../../emulators/aws/core/emulated-service.ts";
import { createPorts, type QueueDelivery } from "../../emulators/aws/core/ports.ts";
import type { Operation } from "../../emulators/aws/core/service.ts";
import { type Emulator, startEmulator } from "../../emulators/aws/server.ts";
import { createSns } from "../../emulators/aws/sns/index.ts";

const ACCOUNT = "000000000000";
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
let emu: Emulator;
let sns: SNSClient;
let sqs: SQSClient;

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  sns = new SNSClient({ endpoint: emu.url, region: "us-east-1", credentials, maxAttempts: 1 });
  sqs = new SQSClient({ endpoint: emu.url, region: "us-east-1", credentials, maxAttempts: 1 });
});
afterAll(async () => {
  sns.destroy();
  sqs.destroy();
  await emu.close();
});

async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, ms = 5_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function queue(name: string, attributes: Record<string, string> = {}) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
  );
  return { url: QueueUrl as string, arn: Attributes?.QueueArn as string };
}

/** Receives until `count` messages arrived (or 3 s passed with fewer). */
async function drain(url: string, count: number): Promise<Message[]> {
  const got: Message[] = [];
  const until = Date.now() + 3_000;
  while (got.length < count && Date.now() < until) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["MessageGroupId", "MessageDeduplicationId"],
      }),
    );
    got.push(...(Messages ?? []));
    // Delete what arrived, or a FIFO group stays locked while its messages are in flight.
    if (Messages?.length) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
  }
  return got;
}

async function topic(name: string, attributes?: Record<string, string>) {
  return (await sns.send(new CreateTopicCommand({ Name: name, Attributes: attributes }))).TopicArn as string;
}

const outbox = async (query = "") =>
  (await (await fetch(`${emu.url}/_emulator/sns/outbox${query}`)).json()) as Array<Record<string, string>>;

describe("SQS delivery", () => {
  it("wraps the message in AWS's JSON envelope; every field is right and the signature verifies", async () => {
    const TopicArn = await topic("env");
    const q = await queue("env-q");
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: q.arn }));
    const before = Date.now();
    const { MessageId } = await sns.send(
      new PublishCommand({
        TopicArn,
        Message: "disk almost full",
        Subject: "Alarm",
        MessageAttributes: {
          severity: { DataType: "String", StringValue: "high" },
          count: { DataType: "Number", StringValue: "3" },
          blob: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 3]) },
        },
      }),
    );
    const [msg] = await drain(q.url, 1);
    const doc = JSON.parse(msg?.Body ?? "{}") as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual([
      "Type",
      "MessageId",
      "TopicArn",
      "Subject",
      "Message",
      "Timestamp",
      "SignatureVersion",
      "Signature",
      "SigningCertURL",
      "UnsubscribeURL",
      "MessageAttributes",
    ]);
    expect(doc).toMatchObject({
      Type: "Notification",
      MessageId,
      TopicArn,
      Subject: "Alarm",
      Message: "disk almost full",
      SignatureVersion: "1",
      MessageAttributes: {
        severity: { Type: "String", Value: "high" },
        count: { Type: "Number", Value: "3" },
        blob: { Type: "Binary", Value: Buffer.from([1, 2, 3]).toString("base64") },
      },
    });
    const ts = doc.Timestamp as string;
    expect(ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(ts)).toBeGreaterThanOrEqual(before - 5);
    expect(Date.parse(ts)).toBeLessThanOrEqual(Date.now());
    expect(doc.SigningCertURL).toBe(`${emu.url}/_emulator/sns/SimpleNotificationService.pem`);
    const pem = await (await fetch(doc.SigningCertURL as string)).text();
    const signed = `Message\n${doc.Message}\nMessageId\n${doc.MessageId}\nSubject\n${doc.Subject}\nTimestamp\n${ts}\nTopicArn\n${TopicArn}\nType\nNotification\n`;
    expect(
      createVerify("RSA-SHA1")
        .update(signed)
        .verify(pem, doc.Signature as string, "base64"),
    ).toBe(true);
    const unsubscribe = new URL(doc.UnsubscribeURL as string);
    expect(unsubscribe.origin).toBe(emu.url);
    expect(unsubscribe.searchParams.get("Action")).toBe("Unsubscribe");
    expect(unsubscribe.searchParams.get("SubscriptionArn")).toMatch(new RegExp(`^${TopicArn}:`));
    expect(msg?.MessageAttributes).toBeUndefined(); // enveloped: attributes live in the JSON
  });

  it("raw delivery: the bare message, SNS attributes as SQS message attributes; MessageStructure=json", async () => {
    const TopicArn = await topic("raw");
    const q = await queue("raw-q");
    await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: "sqs",
        Endpoint: q.arn,
        Attributes: { RawMessageDelivery: "true" },
      }),
    );
    await sns.send(
      new PublishCommand({
        TopicArn,
        Message: "plain body",
        MessageAttributes: {
          kind: { DataType: "String", StringValue: "job" },
          n: { DataType: "Number", StringValue: "7" },
        },
      }),
    );
    await sns.send(
      new PublishCommand({
        TopicArn,
        MessageStructure: "json",
        Message: JSON.stringify({ default: "d", sqs: "for sqs" }),
      }),
    );
    const got = await drain(q.url, 2);
    expect(got.map((m) => m.Body)).toEqual(["plain body", "for sqs"]);
    expect(got[0]?.MessageAttributes).toEqual({
      kind: { DataType: "String", StringValue: "job" },
      n: { DataType: "Number", StringValue: "7" },
    });
  });

  it("FIFO topic into a FIFO queue keeps order per group, group and dedup ids; duplicates are not redelivered", async () => {
    const TopicArn = await topic("orders.fifo", { FifoTopic: "true", ContentBasedDeduplication: "true" });
    const q = await queue("orders-q.fifo", { FifoQueue: "true" });
    await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: "sqs",
        Endpoint: q.arn,
        Attributes: { RawMessageDelivery: "true" },
      }),
    );
    for (let i = 0; i < 12; i++) {
      await sns.send(
        new PublishCommand({
          TopicArn,
          Message: `${i % 2 ? "b" : "a"}-${i}`,
          MessageGroupId: i % 2 ? "b" : "a",
        }),
      );
    }
    await sns.send(new PublishCommand({ TopicArn, Message: "a-0", MessageGroupId: "a" })); // content-based duplicate
    await sns.send(
      new PublishBatchCommand({
        TopicArn,
        PublishBatchRequestEntries: [
          { Id: "x", Message: "a-12", MessageGroupId: "a" },
          { Id: "y", Message: "a-13", MessageGroupId: "a", MessageDeduplicationId: "explicit" },
        ],
      }),
    );
    const got = await drain(q.url, 15);
    expect(got).toHaveLength(14);
    const bodies = (g: string) => got.filter((m) => m.Attributes?.MessageGroupId === g).map((m) => m.Body);
    expect(bodies("a")).toEqual(["a-0", "a-2", "a-4", "a-6", "a-8", "a-10", "a-12", "a-13"]);
    expect(bodies("b")).toEqual(["b-1", "b-3", "b-5", "b-7", "b-9", "b-11"]);
    expect(got.find((m) => m.Body === "a-13")?.Attributes?.MessageDeduplicationId).toBe("explicit");
    expect(got.find((m) => m.Body === "a-0")?.Attributes?.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a delivery to a missing queue is counted as failed; Publish still succeeds", async () => {
    const TopicArn = await topic("lost");
    await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: "sqs",
        Endpoint: `arn:aws:sqs:us-east-1:${ACCOUNT}:never-created`,
      }),
    );
    const { MessageId } = await sns.send(new PublishCommand({ TopicArn, Message: "into the void" }));
    const entry = await eventually(async () => {
      const { log } = (await (await fetch(`${emu.url}/_emulator/sns/deliveries`)).json()) as {
        log: Array<{ messageId: string; outcome: string; detail: string }>;
      };
      return log.find((e) => e.messageId === MessageId);
    });
    expect(entry).toMatchObject({ outcome: "failed" });
    expect(entry.detail).toContain("QueueDoesNotExist");
  });
});

describe("filter policies", () => {
  it("MessageAttributes scope: exact, numeric, prefix, anything-but, exists; MessageBody scope", async () => {
    const TopicArn = await topic("filtered");
    const policies: Record<string, [object, string?]> = {
      exact: [{ severity: ["high", "critical"] }],
      numeric: [{ load: [{ numeric: [">", 80, "<=", 100] }] }],
      prefix: [{ source: [{ prefix: "gpu-" }] }],
      anythingBut: [{ severity: [{ "anything-but": ["low"] }] }],
      exists: [{ trace: [{ exists: true }] }],
      missing: [{ trace: [{ exists: false }] }],
      array: [{ tags: ["red"] }],
      both: [{ severity: ["high"], load: [{ numeric: [">=", 90] }] }],
      body: [{ job: { state: ["failed"] } }, "MessageBody"],
    };
    const queues: Record<string, string> = {};
    for (const [name, [policy, scope]] of Object.entries(policies)) {
      const q = await queue(`filter-${name}`);
      queues[name] = q.url;
      await sns.send(
        new SubscribeCommand({
          TopicArn,
          Protocol: "sqs",
          Endpoint: q.arn,
          Attributes: {
            RawMessageDelivery: "true",
            FilterPolicy: JSON.stringify(policy),
            ...(scope && { FilterPolicyScope: scope }),
          },
        }),
      );
    }
    const s = (v: string) => ({ DataType: "String", StringValue: v });
    const n = (v: number) => ({ DataType: "Number", StringValue: String(v) });
    const messages: Array<[string, Record<string, { DataType: string; StringValue: string }>]> = [
      ["m1", { severity: s("high"), load: n(95), source: s("gpu-1") }],
      ["m2", { severity: s("low"), load: n(50), trace: s("t") }],
      [
        "m3",
        {
          severity: s("medium"),
          source: s("cpu-1"),
          tags: { DataType: "String.Array", StringValue: '["blue","red"]' },
        },
      ],
      ['{"job":{"state":"failed"}}', {}],
    ];
    for (const [Message, MessageAttributes] of messages) {
      await sns.send(new PublishCommand({ TopicArn, Message, MessageAttributes }));
    }
    const expected: Record<string, string[]> = {
      exact: ["m1"],
      numeric: ["m1"],
      prefix: ["m1"],
      anythingBut: ["m1", "m3"],
      exists: ["m2"],
      missing: ["m1", "m3", '{"job":{"state":"failed"}}'],
      array: ["m3"],
      both: ["m1"],
      body: ['{"job":{"state":"failed"}}'],
    };
    for (const [name, bodies] of Object.entries(expected)) {
      const got = await drain(queues[name] as string, bodies.length);
      expect(got.map((m) => m.Body).sort(), name).toEqual([...bodies].sort());
    }
    // Nothing more arrives for a policy that already got its share.
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queues.exact, WaitTimeSeconds: 0 }),
    );
    expect(Messages ?? []).toEqual([]);
  });
});

// ---- HTTP -----------------------------------------------------------------------------------

interface Hit {
  headers: http.IncomingHttpHeaders;
  body: Record<string, string>;
  raw: string;
}

async function endpoint(answer: (hit: Hit, index: number) => number) {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let body: Record<string, string> = {};
      try {
        body = JSON.parse(raw);
      } catch {}
      const hit = { headers: req.headers, body, raw };
      hits.push(hit);
      res.writeHead(answer(hit, hits.length - 1)).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, hits, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("HTTP delivery", () => {
  it("sends a SubscriptionConfirmation; a GET on SubscribeURL confirms; then notifications arrive", async () => {
    const TopicArn = await topic("web");
    const ep = await endpoint(() => 200);
    try {
      const sub = await sns.send(new SubscribeCommand({ TopicArn, Protocol: "http", Endpoint: ep.url }));
      expect(sub.SubscriptionArn).toBe("pending confirmation");
      const confirmation = await eventually(() => ep.hits[0]);
      expect(confirmation.headers).toMatchObject({
        "x-amz-sns-message-type": "SubscriptionConfirmation",
        "x-amz-sns-topic-arn": TopicArn,
        "content-type": "text/plain; charset=UTF-8",
      });
      expect(confirmation.headers["x-amz-sns-message-id"]).toBe(confirmation.body.MessageId);
      expect(confirmation.body).toMatchObject({
        Type: "SubscriptionConfirmation",
        TopicArn,
        SignatureVersion: "1",
      });
      expect(confirmation.body.Token).toMatch(/^[0-9a-f]{128}$/);
      const subscribeUrl = new URL(confirmation.body.SubscribeURL as string);
      expect(subscribeUrl.origin).toBe(emu.url);
      const confirmed = await fetch(subscribeUrl);
      expect(confirmed.status).toBe(200);
      const xml = await confirmed.text();
      const arn = /<SubscriptionArn>([^<]+)<\/SubscriptionArn>/.exec(xml)?.[1] as string;
      expect(arn).toMatch(new RegExp(`^${TopicArn}:`));
      const attrs = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: arn }));
      expect(attrs.Attributes?.PendingConfirmation).toBe("false");

      const { MessageId } = await sns.send(
        new PublishCommand({ TopicArn, Message: "hello web", Subject: "Hi" }),
      );
      const note = await eventually(() => ep.hits[1]);
      expect(note.headers).toMatchObject({
        "x-amz-sns-message-type": "Notification",
        "x-amz-sns-message-id": MessageId,
        "x-amz-sns-topic-arn": TopicArn,
        "x-amz-sns-subscription-arn": arn,
      });
      expect(note.body).toMatchObject({
        Type: "Notification",
        MessageId,
        TopicArn,
        Subject: "Hi",
        Message: "hello web",
      });
    } finally {
      await ep.close();
    }
  });

  it("retries a failing endpoint by the delivery policy until it succeeds (same MessageId)", async () => {
    const TopicArn = await topic("flaky");
    // Fails the first two notifications with 500, then accepts.
    let notifications = 0;
    const ep = await endpoint((hit) =>
      hit.headers["x-amz-sns-message-type"] === "Notification" && ++notifications <= 2 ? 500 : 200,
    );
    try {
      await sns.send(
        new SubscribeCommand({
          TopicArn,
          Protocol: "http",
          Endpoint: ep.url,
          Attributes: {
            RawMessageDelivery: "true",
            DeliveryPolicy: JSON.stringify({
              healthyRetryPolicy: { minDelayTarget: 1, maxDelayTarget: 2, numRetries: 3 },
            }),
          },
        }),
      );
      const confirmation = await eventually(() => ep.hits[0]);
      await sns.send(new ConfirmSubscriptionCommand({ TopicArn, Token: confirmation.body.Token }));
      const { MessageId } = await sns.send(new PublishCommand({ TopicArn, Message: "try again" }));
      await eventually(() => (ep.hits.length >= 4 ? true : undefined));
      const attempts = ep.hits.slice(1);
      expect(attempts.map((h) => h.raw)).toEqual(["try again", "try again", "try again"]);
      expect(new Set(attempts.map((h) => h.headers["x-amz-sns-message-id"]))).toEqual(new Set([MessageId]));
      expect(attempts[0]?.headers["x-amz-sns-rawdelivery"]).toBe("true");
      const { log } = (await (await fetch(`${emu.url}/_emulator/sns/deliveries`)).json()) as {
        log: Array<{ messageId: string; outcome: string; attempt: number }>;
      };
      expect(log.filter((e) => e.messageId === MessageId).map((e) => [e.outcome, e.attempt])).toEqual([
        ["retrying", 1],
        ["retrying", 2],
        ["delivered", 3],
      ]);
    } finally {
      await ep.close();
    }
  });
});

describe("email outbox", () => {
  it("confirmation mail with a link, notifications for email and email-json, text view, unsubscribe link, clear", async () => {
    await fetch(`${emu.url}/_emulator/sns/outbox`, { method: "DELETE" });
    const TopicArn = await topic("mail", { DisplayName: "TinyLlama" });
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "email", Endpoint: "ops@example.com" }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "email-json", Endpoint: "bot@example.com" }));
    const confirmations = await outbox();
    expect(confirmations.map((m) => [m.kind, m.to])).toEqual([
      ["SubscriptionConfirmation", "ops@example.com"],
      ["SubscriptionConfirmation", "bot@example.com"],
    ]);
    expect(confirmations[0]).toMatchObject({
      subject: "AWS Notification - Subscription Confirmation",
      protocol: "email",
    });
    expect(confirmations[0]?.body).toContain(confirmations[0]?.confirmUrl);
    expect(JSON.parse(confirmations[1]?.body ?? "").Type).toBe("SubscriptionConfirmation");
    // Pending: nothing is mailed before the link is opened.
    await sns.send(new PublishCommand({ TopicArn, Message: "too early" }));
    for (const m of confirmations) expect((await fetch(m.confirmUrl as string)).status).toBe(200);
    const { Subscriptions } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
    expect(Subscriptions?.every((s) => s.SubscriptionArn?.startsWith(TopicArn))).toBe(true);

    const { MessageId } = await sns.send(
      new PublishCommand({ TopicArn, Message: "GPU is idle", Subject: "Idle" }),
    );
    const mails = await eventually(async () => {
      const all = await outbox();
      return all.length >= 4 ? all : undefined;
    });
    expect(mails).toHaveLength(4); // "too early" reached nobody
    const text = mails.find((m) => m.to === "ops@example.com" && m.kind === "Notification");
    expect(text).toMatchObject({
      subject: "Idle",
      from: "TinyLlama <no-reply@sns.amazonaws.com>",
      messageId: MessageId,
    });
    expect(text?.body).toMatch(/^GPU is idle\n/);
    expect(text?.body).toContain(text?.unsubscribeUrl);
    const jsonMail = mails.find((m) => m.to === "bot@example.com" && m.kind === "Notification");
    expect(JSON.parse(jsonMail?.body ?? "")).toMatchObject({
      Type: "Notification",
      MessageId,
      Message: "GPU is idle",
    });
    expect(mails.at(-1)?.id).toBeGreaterThan(Number(mails[0]?.id));

    const view = await (await fetch(`${emu.url}/_emulator/sns/outbox?format=text`)).text();
    expect(view).toContain("Subject: Idle");
    expect(view).toContain("Confirm: ");
    expect(await outbox("?to=bot@example.com")).toHaveLength(2);

    expect((await fetch(text?.unsubscribeUrl as string)).status).toBe(200);
    const left = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
    expect(left.Subscriptions?.map((s) => s.Endpoint)).toEqual(["bot@example.com"]);

    const cleared = await fetch(`${emu.url}/_emulator/sns/outbox`, { method: "DELETE" });
    expect(await cleared.json()).toEqual({ cleared: 4 });
    expect(await outbox()).toEqual([]);
  });
});

describe("publish port (CloudWatch alarm actions)", () => {
  it("delivers like Publish and throws NotFound for a missing topic", async () => {
    const sent: Array<[string, QueueDelivery]> = [];
    const { ports, provide } = createPorts();
    provide({ sendToQueue: (arn, d) => void sent.push([arn, d]) });
    const svc = createSns({
      clock: systemClock,
      record: () => {},
      region: "us-east-1",
      accountId: ACCOUNT,
      ports,
      settings: defaultSettings,
    });
    try {
      const ops = svc.rpc?.operations ?? {};
      const call = (action: string, input: Record<string, unknown>) => (ops[action] as Operation)(input, ctx);
      const ctx = {
        region: "us-east-1",
        accountId: ACCOUNT,
        endpoint: "http://127.0.0.1:4566",
        requestId: "r",
      };
      const { TopicArn } = (await call("CreateTopic", { Name: "tinyllama-alerts" })) as {
        TopicArn: string;
      };
      await call("Subscribe", {
        TopicArn,
        Protocol: "sqs",
        Endpoint: `arn:aws:sqs:us-east-1:${ACCOUNT}:alerts-q`,
      });
      const id = svc.provides?.publish?.(TopicArn, { message: "ALARM: dlq-not-empty", subject: "ALARM" });
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      await eventually(() => sent[0]);
      expect(sent[0]?.[0]).toBe(`arn:aws:sqs:us-east-1:${ACCOUNT}:alerts-q`);
      expect(JSON.parse(sent[0]?.[1].body ?? "")).toMatchObject({ MessageId: id, Subject: "ALARM" });
      expect(() => svc.provides?.publish?.(`${TopicArn}-gone`, { message: "x" })).toThrow(AwsError);
      try {
        svc.provides?.publish?.(`${TopicArn}-gone`, { message: "x" });
      } catch (err) {
        expect((err as AwsError).code).toBe("NotFound");
      }
    } finally {
      svc.close?.();
    }
  });
});
