/**
 * SQS conformance checks: AWS's documented semantics, exercised through the real
 * `@aws-sdk/client-sqs`. Each check is `async (t) => void` and throws (node:assert) on any
 * deviation. The yardstick is AWS, never an emulator: limits and error codes come from the SDK's
 * own model documentation (node_modules/@aws-sdk/client-sqs/dist-types/models/*.d.ts and
 * commands/*.d.ts, quoted as "SDK doc") and the SQS developer guide; a quote or URL sits next to
 * each assertion that is not obvious.
 *
 * Error names: with the JSON protocol's query-compatible mode and with the query protocol alike,
 * the SDK names an error after its modelled class (QueueDoesNotExist, QueueNameExists, ...) when
 * the wire code maps to one, and otherwise after the wire code itself (InvalidParameterValue,
 * MissingParameter), so `err.name` is what we assert.
 *
 * Timing: visibility timeouts are 1 s, waits are short, and every check uses its own queues so
 * the runner can run them all at once.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  CancelMessageMoveTaskCommand,
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  type Message,
  type MessageAttributeValue,
  PurgeQueueCommand,
  type QueueAttributeName,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  StartMessageMoveTaskCommand,
  TagQueueCommand,
  UntagQueueCommand,
} from "@aws-sdk/client-sqs";
import { type CheckContext, md5, md5OfAttributes, type NamedCheck, sleep } from "./sqs-harness.ts";

// ---------------------------------------------------------------------------------------------
// helpers

/** HTTP status per error code, from the SDK's error schemas (`httpError` / `awsQueryError`). */
const statusOf: Record<string, number> = { ReceiptHandleIsInvalid: 404, ResourceNotFoundException: 404 };

interface AwsErr {
  name: string;
  message: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Awaits `p`, asserts it fails with the AWS error `code` (name, HTTP status, client fault). */
export async function expectAwsError(p: Promise<unknown>, code: string, what = code): Promise<AwsErr> {
  let result: unknown;
  try {
    result = await p;
  } catch (e) {
    const err = e as AwsErr;
    assert.equal(err.name, code, `${what}: expected error ${code}, got ${err.name}: ${err.message}`);
    const status = statusOf[code] ?? 400;
    assert.equal(err.$metadata?.httpStatusCode, status, `${what}: ${code} must be HTTP ${status}`);
    assert.equal(err.$fault, "client", `${what}: ${code} must be a client ($fault "client") error`);
    return err;
  }
  assert.fail(`${what}: expected error ${code}, but the call succeeded: ${JSON.stringify(result)}`);
}

async function receive(t: CheckContext, QueueUrl: string, opts: Partial<ReceiveMessageCommandInput> = {}) {
  const out = await t.sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0, ...opts }));
  return out.Messages ?? [];
}

async function send(t: CheckContext, QueueUrl: string, MessageBody: string, extra: object = {}) {
  return t.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody, ...extra }));
}

async function attrs(t: CheckContext, QueueUrl: string, names: QueueAttributeName[] = ["All"]) {
  const out = await t.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: names }));
  return out.Attributes ?? {};
}

async function counts(t: CheckContext, QueueUrl: string) {
  const a = await attrs(t, QueueUrl, [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
  ]);
  return {
    visible: Number(a.ApproximateNumberOfMessages),
    notVisible: Number(a.ApproximateNumberOfMessagesNotVisible),
    delayed: Number(a.ApproximateNumberOfMessagesDelayed),
  };
}

/**
 * Retries `fn` until it stops throwing or `ms` passes. Only for values AWS documents as
 * eventually consistent ("approximate" counts; purge and delete "take up to 60 seconds").
 */
async function eventually(fn: () => Promise<void>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await fn();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

async function expectCounts(
  t: CheckContext,
  url: string,
  want: { visible: number; notVisible: number; delayed: number },
  what: string,
) {
  await eventually(async () => assert.deepEqual(await counts(t, url), want, what));
}

function bodies(ms: Message[]) {
  return ms.map((m) => m.Body);
}

function one(ms: Message[], what: string): Message & { ReceiptHandle: string } {
  assert.equal(ms.length, 1, `${what}: expected exactly 1 message, got ${JSON.stringify(bodies(ms))}`);
  const m = ms[0];
  assert.ok(m?.ReceiptHandle, `${what}: message without ReceiptHandle`);
  return m as Message & { ReceiptHandle: string };
}

async function arnOf(t: CheckContext, url: string) {
  const arn = (await attrs(t, url, ["QueueArn"])).QueueArn;
  assert.ok(arn?.startsWith("arn:aws:sqs:"), `QueueArn missing or malformed: ${arn}`);
  return arn;
}

// ---------------------------------------------------------------------------------------------
// queues

const queueLifecycle: NamedCheck = {
  name: "queue: create, GetQueueUrl, ListQueues prefix, DeleteQueue",
  async run(t) {
    const name = t.queueName();
    const url = await t.createQueue({ name });
    assert.ok(url.endsWith(`/${name}`), `queue URL ends with the name: ${url}`);
    const got = await t.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    assert.equal(got.QueueUrl, url);
    const listed = await t.sqs.send(new ListQueuesCommand({ QueueNamePrefix: name }));
    assert.deepEqual(listed.QueueUrls, [url], "ListQueues(QueueNamePrefix) lists exactly the queue");
    await t.sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    // SDK doc (DeleteQueue): "The deletion process takes up to 60 seconds." Emulators apply it at
    // once; a few seconds of patience keeps this check honest for AWS-like lag.
    await eventually(async () => {
      const after = await t.sqs.send(new ListQueuesCommand({ QueueNamePrefix: name }));
      assert.deepEqual(after.QueueUrls ?? [], [], "a deleted queue is no longer listed");
      await expectAwsError(t.sqs.send(new GetQueueUrlCommand({ QueueName: name })), "QueueDoesNotExist");
    });
  },
};

const listPagination: NamedCheck = {
  name: "queue: ListQueues MaxResults/NextToken pagination",
  async run(t) {
    const prefix = t.queueName();
    const urls = [];
    for (const s of ["a", "b", "c"]) urls.push(await t.createQueue({ name: `${prefix}-${s}` }));
    const page1 = await t.sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 2 }));
    assert.equal(page1.QueueUrls?.length, 2, "first page holds MaxResults=2 URLs");
    // SDK doc: "You must set MaxResults to receive a value for NextToken in the response."
    assert.ok(page1.NextToken, "first page carries a NextToken");
    const page2 = await t.sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 2, NextToken: page1.NextToken }),
    );
    assert.equal(page2.QueueUrls?.length, 1, "second page holds the rest");
    assert.equal(page2.NextToken, undefined, "last page has no NextToken");
    assert.deepEqual([...(page1.QueueUrls ?? []), ...(page2.QueueUrls ?? [])].sort(), urls.sort());
  },
};

const createIdempotent: NamedCheck = {
  name: "queue: CreateQueue idempotent; different attributes -> QueueNameExists",
  async run(t) {
    const name = t.queueName();
    const url = await t.createQueue({ name, attributes: { VisibilityTimeout: "7" } });
    const again = await t.sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: "7" } }),
    );
    assert.equal(again.QueueUrl, url, "same name + same attributes returns the existing URL");
    // SDK doc (QueueNameExists): "A queue with this name already exists. Amazon SQS returns this
    // error only if the request includes attributes whose values differ from those of the
    // existing queue." (wire code QueueAlreadyExists, SDK class QueueNameExists)
    await expectAwsError(
      t.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: "8" } })),
      "QueueNameExists",
    );
  },
};

const queueNameRules: NamedCheck = {
  name: "queue: name rules (80 chars, [A-Za-z0-9_-], .fifo iff FifoQueue) -> InvalidParameterValue",
  async run(t) {
    // SDK doc (CreateQueue QueueName): "A queue name can have up to 80 characters." "Valid values:
    // alphanumeric characters, hyphens (-), and underscores (_)." "A FIFO queue name must end with
    // the .fifo suffix." So the dot of .fifo is valid only in a FIFO queue's name.
    const base = t.queueName();
    const max = (base + "x".repeat(80)).slice(0, 80);
    await t.createQueue({ name: max });
    const maxFifo = `${(base + "y".repeat(80)).slice(0, 75)}.fifo`;
    assert.equal(maxFifo.length, 80);
    await t.createQueue({ name: maxFifo, fifo: true });
    const bad: Array<[string, Record<string, string>, string]> = [
      [`${max}z`, {}, "81 characters"],
      [`${base} space`, {}, "a space"],
      [`${base}!`, {}, "a '!'"],
      [`${base}-f.fifo`, {}, ".fifo suffix without FifoQueue"],
      [`${base}-nf`, { FifoQueue: "true" }, "FifoQueue without .fifo suffix"],
      [`${(base + "z".repeat(80)).slice(0, 76)}.fifo`, { FifoQueue: "true" }, "81-character FIFO name"],
    ];
    for (const [QueueName, Attributes, what] of bad) {
      await expectAwsError(
        t.sqs.send(new CreateQueueCommand({ QueueName, Attributes })),
        "InvalidParameterValue",
        `CreateQueue with ${what}`,
      );
    }
  },
};

const queueAttributes: NamedCheck = {
  name: "queue: Get/SetQueueAttributes (All, named, unknown -> InvalidAttributeName)",
  async run(t) {
    const url = await t.createQueue();
    const all = await attrs(t, url);
    // Defaults, SDK doc (CreateQueue Attributes): DelaySeconds "Default: 0", MaximumMessageSize
    // "Default: 1,048,576 bytes (1 MiB)", MessageRetentionPeriod "Default: 345,600 (4 days)",
    // ReceiveMessageWaitTimeSeconds "Default: 0", VisibilityTimeout "Default: 30".
    for (const [k, v] of Object.entries({
      DelaySeconds: "0",
      MaximumMessageSize: "1048576",
      MessageRetentionPeriod: "345600",
      ReceiveMessageWaitTimeSeconds: "0",
      VisibilityTimeout: "30",
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
      ApproximateNumberOfMessagesDelayed: "0",
    })) {
      assert.equal(all[k as QueueAttributeName], v, `GetQueueAttributes(All).${k}`);
    }
    assert.match(all.QueueArn ?? "", /^arn:aws:sqs:us-east-1:\d{12}:/, "QueueArn");
    assert.match(all.CreatedTimestamp ?? "", /^\d+$/, "CreatedTimestamp is epoch seconds");
    assert.match(all.LastModifiedTimestamp ?? "", /^\d+$/, "LastModifiedTimestamp is epoch seconds");
    const named = await attrs(t, url, ["VisibilityTimeout"]);
    assert.deepEqual(named, { VisibilityTimeout: "30" }, "a named attribute returns only that attribute");
    await t.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: url,
        Attributes: { VisibilityTimeout: "5", DelaySeconds: "2" },
      }),
    );
    assert.deepEqual(await attrs(t, url, ["VisibilityTimeout", "DelaySeconds"]), {
      VisibilityTimeout: "5",
      DelaySeconds: "2",
    });
    await expectAwsError(
      t.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ["NoSuchAttribute" as QueueAttributeName],
        }),
      ),
      "InvalidAttributeName",
      "GetQueueAttributes with an unknown name",
    );
    await expectAwsError(
      t.sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: url,
          Attributes: { NoSuchAttribute: "1" } as Partial<Record<QueueAttributeName, string>>,
        }),
      ),
      "InvalidAttributeName",
      "SetQueueAttributes with an unknown name",
    );
    // SDK doc: VisibilityTimeout "Valid values: An integer from 0 to 43,200 (12 hours)";
    // InvalidAttributeValue: "A queue attribute value is invalid."
    await expectAwsError(
      t.sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: "43201" } }),
      ),
      "InvalidAttributeValue",
      "SetQueueAttributes VisibilityTimeout 43201",
    );
  },
};

const queueTags: NamedCheck = {
  name: "queue: TagQueue/UntagQueue/ListQueueTags (and tags on create)",
  async run(t) {
    const name = t.queueName();
    const out = await t.sqs.send(
      new CreateQueueCommand({ QueueName: name, tags: { team: "llama", env: "dev" } }),
    );
    assert.ok(out.QueueUrl);
    t.track(out.QueueUrl);
    const url = out.QueueUrl;
    const tags = async () => (await t.sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags ?? {};
    assert.deepEqual(await tags(), { team: "llama", env: "dev" });
    await t.sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: { env: "prod", cost: "42" } }));
    assert.deepEqual(await tags(), { team: "llama", env: "prod", cost: "42" });
    await t.sqs.send(new UntagQueueCommand({ QueueUrl: url, TagKeys: ["team", "cost"] }));
    assert.deepEqual(await tags(), { env: "prod" });
  },
};

// ---------------------------------------------------------------------------------------------
// send / receive

const messageAttributes: NamedCheck = {
  name: "message: MD5s and String/Number/Binary attributes round trip",
  async run(t) {
    const url = await t.createQueue();
    const body = "héllo wörld ✓ 🦙";
    const MessageAttributes: Record<string, MessageAttributeValue> = {
      s: { DataType: "String", StringValue: "text ✓" },
      n: { DataType: "Number", StringValue: "-12.5e3" },
      b: { DataType: "Binary", BinaryValue: new Uint8Array([0, 1, 2, 254, 255]) },
      c: { DataType: "String.custom", StringValue: "custom type" },
    };
    const sent = await send(t, url, body, { MessageAttributes });
    assert.equal(sent.MD5OfMessageBody, md5(body), "SendMessage MD5OfMessageBody = MD5 of UTF-8 body");
    assert.equal(
      sent.MD5OfMessageAttributes,
      md5OfAttributes(MessageAttributes),
      "SendMessage MD5OfMessageAttributes",
    );
    assert.ok(sent.MessageId);
    const m = one(await receive(t, url, { MessageAttributeNames: ["All"] }), "receive");
    assert.equal(m.MessageId, sent.MessageId);
    assert.equal(m.Body, body);
    assert.equal(m.MD5OfBody, md5(body));
    assert.equal(m.MD5OfMessageAttributes, md5OfAttributes(MessageAttributes));
    const got = m.MessageAttributes ?? {};
    assert.deepEqual(Object.keys(got).sort(), ["b", "c", "n", "s"]);
    assert.deepEqual(got.s, { DataType: "String", StringValue: "text ✓" });
    assert.deepEqual(got.n, { DataType: "Number", StringValue: "-12.5e3" });
    assert.deepEqual(got.c, { DataType: "String.custom", StringValue: "custom type" });
    assert.equal(got.b?.DataType, "Binary");
    assert.deepEqual([...(got.b?.BinaryValue ?? [])], [0, 1, 2, 254, 255], "binary value bytes");
    // Only the named attributes come back when names are given.
    await t.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: m.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const m2 = one(await receive(t, url, { MessageAttributeNames: ["s"] }), "receive naming one attribute");
    assert.deepEqual(Object.keys(m2.MessageAttributes ?? {}), ["s"]);
  },
};

const systemAttributesStandard: NamedCheck = {
  name: "message: system attributes on a standard queue (MessageSystemAttributeNames)",
  async run(t) {
    const url = await t.createQueue({ attributes: { VisibilityTimeout: "1" } });
    const before = Date.now();
    await send(t, url, "sys");
    const m = one(await receive(t, url, { MessageSystemAttributeNames: ["All"] }), "first receive");
    const a = m.Attributes ?? {};
    assert.equal(a.ApproximateReceiveCount, "1");
    assert.ok(a.SenderId, "SenderId present");
    for (const k of ["SentTimestamp", "ApproximateFirstReceiveTimestamp"] as const) {
      const v = Number(a[k]);
      assert.ok(v >= before - 5000 && v <= Date.now() + 5000, `${k} is epoch milliseconds near now: ${a[k]}`);
    }
    assert.equal(a.MessageGroupId, undefined, "no MessageGroupId on a standard message sent without one");
    await sleep(1300);
    const again = one(
      await receive(t, url, { MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"] }),
      "second receive",
    );
    assert.deepEqual(Object.keys(again.Attributes ?? {}).sort(), [
      "ApproximateReceiveCount",
      "SentTimestamp",
    ]);
    assert.equal(again.Attributes?.ApproximateReceiveCount, "2");
    assert.equal(again.Attributes?.SentTimestamp, a.SentTimestamp);
  },
};

const systemAttributesFifo: NamedCheck = {
  name: "message: FIFO system attributes (MessageGroupId, MessageDeduplicationId, SequenceNumber)",
  async run(t) {
    const url = await t.createQueue({ fifo: true });
    const s1 = await send(t, url, "one", { MessageGroupId: "g1", MessageDeduplicationId: "d1" });
    const s2 = await send(t, url, "two", { MessageGroupId: "g1", MessageDeduplicationId: "d2" });
    // SDK doc (SendMessageResult.SequenceNumber): "The large, non-consecutive number that Amazon
    // SQS assigns to each message. The length of SequenceNumber is 128 bits. SequenceNumber
    // continues to increase for a particular MessageGroupId."
    assert.match(s1.SequenceNumber ?? "", /^\d+$/, "SendMessage returns a SequenceNumber");
    assert.ok(
      BigInt(s2.SequenceNumber ?? "0") > BigInt(s1.SequenceNumber ?? "0"),
      "SequenceNumber increases",
    );
    const ms = await receive(t, url, { MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["All"] });
    assert.deepEqual(bodies(ms), ["one", "two"]);
    const a = ms[0]?.Attributes ?? {};
    assert.equal(a.MessageGroupId, "g1");
    assert.equal(a.MessageDeduplicationId, "d1");
    assert.equal(a.SequenceNumber, s1.SequenceNumber);
    assert.equal(a.ApproximateReceiveCount, "1");
    assert.ok(a.SentTimestamp && a.SenderId && a.ApproximateFirstReceiveTimestamp);
  },
};

const delayStandard: NamedCheck = {
  name: "delay: per-message DelaySeconds on a standard queue",
  async run(t) {
    const url = await t.createQueue();
    await send(t, url, "later", { DelaySeconds: 2 });
    await send(t, url, "now");
    assert.deepEqual(bodies(await receive(t, url, { MaxNumberOfMessages: 10, VisibilityTimeout: 30 })), [
      "now",
    ]);
    await expectCounts(t, url, { visible: 0, notVisible: 1, delayed: 1 }, "one delayed, one in flight");
    await sleep(2300);
    assert.deepEqual(bodies(await receive(t, url, { MaxNumberOfMessages: 10 })), ["later"]);
  },
};

const delayFifo: NamedCheck = {
  name: "delay: FIFO per-queue DelaySeconds; per-message DelaySeconds -> InvalidParameterValue",
  async run(t) {
    const url = await t.createQueue({ fifo: true, attributes: { DelaySeconds: "1" } });
    await send(t, url, "q", { MessageGroupId: "g", MessageDeduplicationId: "1" });
    assert.deepEqual(await receive(t, url), [], "queue-level delay hides the message at first");
    await sleep(1300);
    assert.deepEqual(bodies(await receive(t, url)), ["q"]);
    // SDK doc (SendMessage DelaySeconds): "When you set FifoQueue, you can't set DelaySeconds per
    // message. You can set this parameter only on a queue level."
    await expectAwsError(
      send(t, url, "x", { MessageGroupId: "g", MessageDeduplicationId: "2", DelaySeconds: 1 }),
      "InvalidParameterValue",
      "per-message DelaySeconds on FIFO",
    );
  },
};

// ---------------------------------------------------------------------------------------------
// FIFO

const fifoOrder: NamedCheck = {
  name: "fifo: order within a group",
  async run(t) {
    const url = await t.createQueue({ fifo: true, attributes: { ContentBasedDeduplication: "true" } });
    const want = ["a1", "a2", "a3", "a4", "a5", "a6", "a7"];
    for (const b of want) await send(t, url, b, { MessageGroupId: "A" });
    const got: string[] = [];
    for (let i = 0; i < 10 && got.length < want.length; i++) {
      const ms = await receive(t, url, { MaxNumberOfMessages: 3 });
      for (const m of ms) {
        got.push(m.Body ?? "");
        await t.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
      }
    }
    assert.deepEqual(got, want);
  },
};

const fifoGroupLock: NamedCheck = {
  name: "fifo: a group is locked while any of its messages is in flight; other groups still delivered",
  async run(t) {
    const url = await t.createQueue({ fifo: true, attributes: { ContentBasedDeduplication: "true" } });
    for (const b of ["a1", "a2", "a3"]) await send(t, url, b, { MessageGroupId: "A" });
    for (const b of ["b1", "b2"]) await send(t, url, b, { MessageGroupId: "B" });
    const first = one(await receive(t, url, { MaxNumberOfMessages: 1 }), "first receive");
    assert.ok(first.Body === "a1" || first.Body === "b1", `first receive gets a group head: ${first.Body}`);
    const locked = first.Body === "a1" ? "a" : "b";
    const other = locked === "a" ? "b" : "a";
    // SQS developer guide (FIFO delivery logic): "you can't receive additional messages with the
    // same message group ID ... until you delete the message or it becomes visible" -- while any
    // message of the group is in flight.
    const next = await receive(t, url, { MaxNumberOfMessages: 10 });
    assert.ok(next.length > 0, "the other group is still delivered");
    assert.ok(
      next.every((m) => m.Body?.startsWith(other)),
      `nothing of locked group ${locked} while ${first.Body} is in flight: ${JSON.stringify(bodies(next))}`,
    );
    assert.equal(next[0]?.Body, `${other}1`, "the other group starts at its head");
    assert.deepEqual(await receive(t, url, { MaxNumberOfMessages: 10 }), [], "both groups now locked");
    await t.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle }));
    const after = await receive(t, url, { MaxNumberOfMessages: 10 });
    assert.equal(after[0]?.Body, `${locked}2`, "after deleting the head, the group continues in order");
    assert.ok(
      after.every((m) => m.Body?.startsWith(locked)),
      `the other group stays locked: ${JSON.stringify(bodies(after))}`,
    );
  },
};

const fifoOrderAfterRedelivery: NamedCheck = {
  name: "fifo: order kept after visibility expiry and after ChangeMessageVisibility to 0",
  async run(t) {
    const url = await t.createQueue({
      fifo: true,
      attributes: { ContentBasedDeduplication: "true", VisibilityTimeout: "1" },
    });
    for (const b of ["m1", "m2", "m3"]) await send(t, url, b, { MessageGroupId: "G" });
    const r1 = one(await receive(t, url, { MaxNumberOfMessages: 1 }), "first receive");
    assert.equal(r1.Body, "m1");
    assert.deepEqual(await receive(t, url), [], "group locked while m1 in flight");
    await sleep(1300);
    const r2 = one(
      await receive(t, url, {
        MaxNumberOfMessages: 1,
        MessageSystemAttributeNames: ["ApproximateReceiveCount"],
      }),
      "after expiry",
    );
    assert.equal(r2.Body, "m1", "m1 comes back first after its visibility expired");
    assert.equal(r2.Attributes?.ApproximateReceiveCount, "2");
    await t.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: r2.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const r3 = one(
      await receive(t, url, {
        MaxNumberOfMessages: 1,
        MessageSystemAttributeNames: ["ApproximateReceiveCount"],
      }),
      "after CMV 0",
    );
    assert.equal(r3.Body, "m1", "m1 comes back first after ChangeMessageVisibility 0");
    assert.equal(r3.Attributes?.ApproximateReceiveCount, "3");
    await t.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: r3.ReceiptHandle }));
    assert.deepEqual(bodies(await receive(t, url, { MaxNumberOfMessages: 10 })), ["m2", "m3"]);
  },
};

const fifoDedupExplicit: NamedCheck = {
  name: "fifo: dedup by MessageDeduplicationId returns the original MessageId, delivers once",
  async run(t) {
    const url = await t.createQueue({ fifo: true });
    const a = await send(t, url, "first", { MessageGroupId: "g", MessageDeduplicationId: "same" });
    // SDK doc (MessageDeduplicationId): "If a message with a particular MessageDeduplicationId is
    // sent successfully, any messages sent with the same MessageDeduplicationId are accepted
    // successfully but aren't delivered during the 5-minute deduplication interval."
    // That the accepted duplicate reports the original MessageId is not in the SDK doc; it is what
    // AWS answers (LocalStack's AWS-recorded snapshots match it), and callers rely on it.
    const b = await send(t, url, "second", { MessageGroupId: "g", MessageDeduplicationId: "same" });
    assert.equal(b.MessageId, a.MessageId, "a duplicate send returns the original MessageId");
    const ms = await receive(t, url, { MaxNumberOfMessages: 10 });
    assert.deepEqual(bodies(ms), ["first"]);
    const m = one(ms, "receive");
    await t.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    // SQS dev guide (FIFO-compatibility.html): "Amazon SQS continues to keep track of the message
    // deduplication ID even after the message is received and deleted."
    await send(t, url, "third", { MessageGroupId: "g", MessageDeduplicationId: "same" });
    assert.deepEqual(
      await receive(t, url, { MaxNumberOfMessages: 10 }),
      [],
      "still deduplicated after delete",
    );
    await send(t, url, "fourth", { MessageGroupId: "g", MessageDeduplicationId: "other" });
    assert.deepEqual(bodies(await receive(t, url, { MaxNumberOfMessages: 10 })), ["fourth"]);
  },
};

const fifoDedupContent: NamedCheck = {
  name: "fifo: content-based dedup (SHA-256 of the body)",
  async run(t) {
    const url = await t.createQueue({ fifo: true, attributes: { ContentBasedDeduplication: "true" } });
    const a = await send(t, url, "payload", { MessageGroupId: "g1" });
    // SDK doc (MessageDeduplicationId): "Amazon SQS uses a SHA-256 hash to generate the
    // MessageDeduplicationId using the body of the message (but not the attributes of the
    // message)." Group id is not part of the hash either.
    const b = await send(t, url, "payload", {
      MessageGroupId: "g2",
      MessageAttributes: { x: { DataType: "String", StringValue: "differs" } },
    });
    assert.equal(b.MessageId, a.MessageId, "same body -> duplicate, original MessageId");
    await send(t, url, "payload2", { MessageGroupId: "g1" });
    const ms = await receive(t, url, { MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["All"] });
    assert.deepEqual(bodies(ms), ["payload", "payload2"]);
    const sha = createHash("sha256").update("payload").digest("hex");
    assert.equal(
      ms[0]?.Attributes?.MessageDeduplicationId,
      sha,
      "the dedup id is the SHA-256 hex of the body",
    );
  },
};

const fifoRequiredParams: NamedCheck = {
  name: "fifo: no MessageGroupId -> MissingParameter; no dedup id without CBD -> InvalidParameterValue",
  async run(t) {
    const url = await t.createQueue({ fifo: true });
    // SDK doc (SendMessage MessageGroupId): "If you do not provide a MessageGroupId when sending a
    // message to a FIFO queue, the action fails." (wire code MissingParameter)
    await expectAwsError(
      send(t, url, "x", { MessageDeduplicationId: "d" }),
      "MissingParameter",
      "no group id",
    );
    // SDK doc (MessageDeduplicationId): "If you don't provide a MessageDeduplicationId and the
    // queue doesn't have ContentBasedDeduplication set, the action fails with an error."
    await expectAwsError(send(t, url, "x", { MessageGroupId: "g" }), "InvalidParameterValue", "no dedup id");
  },
};

// ---------------------------------------------------------------------------------------------
// visibility

const visibilityExpiry: NamedCheck = {
  name: "visibility: expiry redelivers with ApproximateReceiveCount incremented",
  async run(t) {
    const url = await t.createQueue({ attributes: { VisibilityTimeout: "1" } });
    await send(t, url, "v");
    const r1 = one(await receive(t, url, { MessageSystemAttributeNames: ["ApproximateReceiveCount"] }), "r1");
    assert.equal(r1.Attributes?.ApproximateReceiveCount, "1");
    assert.deepEqual(await receive(t, url), [], "invisible while in flight");
    await expectCounts(t, url, { visible: 0, notVisible: 1, delayed: 0 }, "in flight");
    await sleep(1300);
    const r2 = one(await receive(t, url, { MessageSystemAttributeNames: ["ApproximateReceiveCount"] }), "r2");
    assert.equal(r2.MessageId, r1.MessageId);
    assert.equal(r2.Attributes?.ApproximateReceiveCount, "2");
    assert.notEqual(r2.ReceiptHandle, r1.ReceiptHandle, "each receive gets a new receipt handle");
    // The per-request VisibilityTimeout overrides the queue's.
    await sleep(1300);
    one(await receive(t, url, { VisibilityTimeout: 5 }), "r3");
    await sleep(1300);
    assert.deepEqual(
      await receive(t, url),
      [],
      "ReceiveMessage VisibilityTimeout=5 keeps it hidden past 1 s",
    );
  },
};

const changeVisibility: NamedCheck = {
  name: "visibility: ChangeMessageVisibility extend and to 0; not in flight -> MessageNotInflight; >43200 rejected",
  async run(t) {
    const url = await t.createQueue({ attributes: { VisibilityTimeout: "1" } });
    await send(t, url, "cmv");
    const r1 = one(await receive(t, url), "r1");
    await t.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: r1.ReceiptHandle,
        VisibilityTimeout: 3,
      }),
    );
    await sleep(1400);
    assert.deepEqual(await receive(t, url), [], "extended to 3 s: still hidden after 1.4 s");
    // SDK doc (ChangeMessageVisibility VisibilityTimeout): "Values range: 0 to 43200. Maximum:
    // 12 hours."
    await expectAwsError(
      t.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: r1.ReceiptHandle,
          VisibilityTimeout: 43201,
        }),
      ),
      "InvalidParameterValue",
      "ChangeMessageVisibility 43201",
    );
    await t.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: r1.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const r2 = one(await receive(t, url, { VisibilityTimeout: 0 }), "visible again right after CMV 0");
    assert.equal(r2.MessageId, r1.MessageId);
    // r2 was received with VisibilityTimeout 0, so the message is visible, not in flight.
    // SDK doc (MessageNotInflight): "The specified message isn't in flight."
    await expectAwsError(
      t.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: r2.ReceiptHandle,
          VisibilityTimeout: 10,
        }),
      ),
      "MessageNotInflight",
      "ChangeMessageVisibility on a visible message",
    );
    await expectAwsError(
      t.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: "garbage",
          VisibilityTimeout: 10,
        }),
      ),
      "ReceiptHandleIsInvalid",
      "ChangeMessageVisibility with a garbage handle",
    );
    await expectAwsError(
      t.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 43201 })),
      "InvalidParameterValue",
      "ReceiveMessage VisibilityTimeout 43201",
    );
  },
};

// ---------------------------------------------------------------------------------------------
// redrive

function redriveCheck(fifo: boolean): NamedCheck {
  return {
    name: `redrive: ${fifo ? "FIFO" : "standard"} maxReceiveCount 3 -> DLQ on the 4th receive; ListDeadLetterSourceQueues`,
    async run(t) {
      const dlq = await t.createQueue({ fifo });
      const dlqArn = await arnOf(t, dlq);
      const src = await t.createQueue({
        fifo,
        attributes: {
          VisibilityTimeout: "30",
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 }),
        },
      });
      const sent = await send(
        t,
        src,
        "poison",
        fifo ? { MessageGroupId: "g", MessageDeduplicationId: "p" } : {},
      );
      // Each receive counts; ChangeMessageVisibility 0 makes the next receive immediate (it does
      // not count as a receive).
      for (let i = 1; i <= 3; i++) {
        const m = one(
          await receive(t, src, { MessageSystemAttributeNames: ["ApproximateReceiveCount"] }),
          `receive ${i}`,
        );
        assert.equal(m.MessageId, sent.MessageId);
        assert.equal(m.Attributes?.ApproximateReceiveCount, String(i));
        await t.sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: src,
            ReceiptHandle: m.ReceiptHandle,
            VisibilityTimeout: 0,
          }),
        );
      }
      // SQS developer guide (dead-letter queues): "when the ReceiveCount for a message exceeds the
      // maxReceiveCount for a queue, Amazon SQS moves the message to a dead-letter queue".
      assert.deepEqual(
        await receive(t, src, { MaxNumberOfMessages: 10 }),
        [],
        "the 4th receive returns nothing",
      );
      const moved = one(
        await receive(t, dlq, { MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["All"] }),
        "DLQ receive",
      );
      assert.equal(moved.MessageId, sent.MessageId, "the DLQ holds the same message (same MessageId)");
      assert.equal(moved.Body, "poison");
      if (fifo) assert.equal(moved.Attributes?.MessageGroupId, "g", "FIFO DLQ keeps the group id");
      await expectCounts(t, src, { visible: 0, notVisible: 0, delayed: 0 }, "source empty after the move");
      const sources = await t.sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }));
      assert.deepEqual(sources.queueUrls, [src], "ListDeadLetterSourceQueues lists the source");
    },
  };
}

const messageMoveTask: NamedCheck = {
  name: "redrive: StartMessageMoveTask moves DLQ messages back; List/CancelMessageMoveTask",
  async run(t) {
    const dlq = await t.createQueue();
    const dlqArn = await arnOf(t, dlq);
    const src = await t.createQueue({
      attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) },
    });
    await send(t, src, "back");
    const m = one(await receive(t, src), "receive 1");
    await t.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: src,
        ReceiptHandle: m.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    assert.deepEqual(await receive(t, src), [], "moved to the DLQ on the 2nd receive");
    await expectCounts(t, dlq, { visible: 1, notVisible: 0, delayed: 0 }, "message in DLQ");
    // SDK doc (StartMessageMoveTask): "DestinationArn - The ARN of the queue that receives the
    // moved messages ... If you do not specify a destination ARN, messages are moved back to the
    // original source queues."
    const started = await t.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
    assert.ok(started.TaskHandle, "StartMessageMoveTask returns a TaskHandle");
    await eventually(async () => {
      const list = await t.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }));
      const task = list.Results?.[0];
      assert.equal(task?.Status, "COMPLETED", `task status ${task?.Status}`);
      assert.equal(task?.ApproximateNumberOfMessagesMoved, 1);
    }, 5000);
    const back = one(await receive(t, src), "message back in the source");
    assert.equal(back.Body, "back");
    await expectCounts(t, dlq, { visible: 0, notVisible: 0, delayed: 0 }, "DLQ empty after the move");
    // CancelMessageMoveTask: "A message movement can only be cancelled when the current status
    // is RUNNING." A slow task over many messages is cancellable.
    const dlq2 = await t.createQueue();
    const dlq2Arn = await arnOf(t, dlq2);
    await t.createQueue({
      attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq2Arn, maxReceiveCount: 1 }) },
    });
    await t.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: dlq2,
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `slow ${i}` })),
      }),
    );
    const dest = await t.createQueue();
    const slow = await t.sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: dlq2Arn,
        DestinationArn: await arnOf(t, dest),
        MaxNumberOfMessagesPerSecond: 1,
      }),
    );
    assert.ok(slow.TaskHandle);
    const cancelled = await t.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: slow.TaskHandle }));
    assert.ok((cancelled.ApproximateNumberOfMessagesMoved ?? 0) < 10, "cancel stops the move early");
    const list = await t.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlq2Arn }));
    assert.ok(
      ["CANCELLING", "CANCELLED"].includes(list.Results?.[0]?.Status ?? ""),
      `cancelled task status: ${list.Results?.[0]?.Status}`,
    );
  },
};

// ---------------------------------------------------------------------------------------------
// long polling

const longPollEmpty: NamedCheck = {
  name: "long poll: WaitTimeSeconds=2 on an empty queue waits about 2 s",
  async run(t) {
    const url = await t.createQueue();
    const started = performance.now();
    const ms = await receive(t, url, { WaitTimeSeconds: 2 });
    const took = performance.now() - started;
    assert.deepEqual(ms, []);
    assert.ok(took >= 1800 && took <= 3500, `returned after ${Math.round(took)} ms, expected 1800-3500`);
  },
};

const longPollEarly: NamedCheck = {
  name: "long poll: a message sent during the wait returns it early",
  async run(t) {
    const url = await t.createQueue();
    const started = performance.now();
    const pending = receive(t, url, { WaitTimeSeconds: 5 });
    await sleep(500);
    await send(t, url, "wake");
    const ms = await pending;
    const took = performance.now() - started;
    assert.deepEqual(bodies(ms), ["wake"]);
    assert.ok(took < 2500, `returned after ${Math.round(took)} ms, expected < 2500 of a 5 s wait`);
    // Queue attribute ReceiveMessageWaitTimeSeconds is the default wait.
    const url2 = await t.createQueue({ attributes: { ReceiveMessageWaitTimeSeconds: "1" } });
    const s2 = performance.now();
    await t.sqs.send(new ReceiveMessageCommand({ QueueUrl: url2 }));
    const took2 = performance.now() - s2;
    assert.ok(
      took2 >= 800,
      `queue ReceiveMessageWaitTimeSeconds=1 made the receive wait (${Math.round(took2)} ms)`,
    );
  },
};

// ---------------------------------------------------------------------------------------------
// delete

const deleteMessage: NamedCheck = {
  name: "delete: valid handle removes; garbage handle -> ReceiptHandleIsInvalid",
  async run(t) {
    const url = await t.createQueue({ attributes: { VisibilityTimeout: "1" } });
    await send(t, url, "d");
    const m = one(await receive(t, url), "receive");
    await t.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    await expectCounts(t, url, { visible: 0, notVisible: 0, delayed: 0 }, "deleted");
    await sleep(1200);
    assert.deepEqual(await receive(t, url), [], "a deleted message does not come back after the timeout");
    // SDK doc (ReceiptHandleIsInvalid): "The specified receipt handle isn't valid."
    await expectAwsError(
      t.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: "not-a-receipt-handle" })),
      "ReceiptHandleIsInvalid",
      "DeleteMessage with a garbage handle",
    );
  },
};

const deleteStale: NamedCheck = {
  name: "delete: stale handle succeeds on standard; expired handle on FIFO -> InvalidParameterValue",
  async run(t) {
    // Standard. SDK doc (DeleteMessage): "If you use an old ReceiptHandle, the request will
    // succeed, but the message might not be deleted." So only success is asserted.
    const std = await t.createQueue({ attributes: { VisibilityTimeout: "1" } });
    await send(t, std, "s");
    const h1 = one(await receive(t, std), "std r1").ReceiptHandle;
    await sleep(1300);
    one(await receive(t, std), "std r2");
    await t.sqs.send(new DeleteMessageCommand({ QueueUrl: std, ReceiptHandle: h1 }));

    // FIFO. AWS re:Post knowledge center, https://repost.aws/knowledge-center/sqs-receipt-handle-error:
    // "For FIFO queues, a receipt handle expires after a visibility timeout period. ... If you try
    // to delete the message outside of the visibility timeout period, then you see an error
    // similar to: (InvalidParameterValue) ... Reason: The receipt handle has expired."
    // Also aws/aws-sdk-js#1750 (AWS maintainer): "FIFO queues will reject DeleteMessage requests
    // when the receipt handle is expired"; LocalStack matched it after testing against AWS
    // (localstack/localstack#12442). The message stays in the queue.
    const fifo = await t.createQueue({ fifo: true, attributes: { VisibilityTimeout: "1" } });
    await send(t, fifo, "f", { MessageGroupId: "g", MessageDeduplicationId: "f" });
    const f1 = one(await receive(t, fifo), "fifo r1").ReceiptHandle;
    await sleep(1300);
    await expectAwsError(
      t.sqs.send(new DeleteMessageCommand({ QueueUrl: fifo, ReceiptHandle: f1 })),
      "InvalidParameterValue",
      "DeleteMessage on FIFO with an expired handle",
    );
    assert.deepEqual(bodies(await receive(t, fifo)), ["f"], "the message was not deleted");
  },
};

// ---------------------------------------------------------------------------------------------
// batches

const batchPartialFailures: NamedCheck = {
  name: "batch: per-entry failures in Send/Delete/ChangeMessageVisibilityBatch",
  async run(t) {
    const url = await t.createQueue();
    // SDK doc (SendMessageBatchRequestEntry.DelaySeconds): "Valid values: 0 to 900."
    const sent = await t.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "a", MessageBody: "A" },
          { Id: "bad", MessageBody: "B", DelaySeconds: 901 },
          { Id: "c", MessageBody: "C", MessageAttributes: { k: { DataType: "String", StringValue: "v" } } },
        ],
      }),
    );
    assert.deepEqual(sent.Successful?.map((e) => e.Id).sort(), ["a", "c"]);
    assert.equal(sent.Failed?.length, 1);
    assert.equal(sent.Failed?.[0]?.Id, "bad");
    assert.equal(sent.Failed?.[0]?.Code, "InvalidParameterValue");
    assert.equal(sent.Failed?.[0]?.SenderFault, true);
    const okA = sent.Successful?.find((e) => e.Id === "a");
    assert.equal(okA?.MD5OfMessageBody, md5("A"));
    assert.ok(okA?.MessageId);
    const okC = sent.Successful?.find((e) => e.Id === "c");
    assert.equal(
      okC?.MD5OfMessageAttributes,
      md5OfAttributes({ k: { DataType: "String", StringValue: "v" } }),
    );

    const ms = await receive(t, url, { MaxNumberOfMessages: 10, VisibilityTimeout: 30 });
    assert.deepEqual(bodies(ms).sort(), ["A", "C"]);
    const [m1, m2] = ms;
    assert.ok(m1?.ReceiptHandle && m2?.ReceiptHandle);
    const cmv = await t.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "one", ReceiptHandle: m1.ReceiptHandle, VisibilityTimeout: 0 },
          { Id: "junk", ReceiptHandle: "garbage-handle", VisibilityTimeout: 0 },
        ],
      }),
    );
    assert.deepEqual(
      cmv.Successful?.map((e) => e.Id),
      ["one"],
    );
    assert.equal(cmv.Failed?.[0]?.Id, "junk");
    assert.equal(cmv.Failed?.[0]?.Code, "ReceiptHandleIsInvalid");
    assert.equal(cmv.Failed?.[0]?.SenderFault, true);
    const again = one(await receive(t, url, { MaxNumberOfMessages: 10 }), "CMV-batch 0 made one visible");
    const del = await t.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "x", ReceiptHandle: again.ReceiptHandle },
          { Id: "y", ReceiptHandle: m2.ReceiptHandle },
          { Id: "z", ReceiptHandle: "garbage-handle" },
        ],
      }),
    );
    assert.deepEqual(del.Successful?.map((e) => e.Id).sort(), ["x", "y"]);
    assert.equal(del.Failed?.length, 1);
    assert.equal(del.Failed?.[0]?.Id, "z");
    assert.equal(del.Failed?.[0]?.Code, "ReceiptHandleIsInvalid");
    assert.equal(del.Failed?.[0]?.SenderFault, true);
    await expectCounts(t, url, { visible: 0, notVisible: 0, delayed: 0 }, "all deleted");
  },
};

const batchRequestErrors: NamedCheck = {
  name: "batch: EmptyBatchRequest, TooManyEntriesInBatchRequest, BatchEntryIdsNotDistinct, InvalidBatchEntryId, BatchRequestTooLong",
  async run(t) {
    const QueueUrl = await t.createQueue();
    const eleven = Array.from({ length: 11 }, (_, i) => ({
      Id: `e${i}`,
      MessageBody: "x",
      ReceiptHandle: "h",
    }));
    const dup = [
      { Id: "same", MessageBody: "x", ReceiptHandle: "h" },
      { Id: "same", MessageBody: "y", ReceiptHandle: "h" },
    ];
    // SDK doc (batch entry Id): "The Ids of a batch request need to be unique within a request.
    // This identifier can have up to 80 characters. The following characters are accepted:
    // alphanumeric characters, hyphens(-), and underscores (_)."
    const badId = [{ Id: "bad id!", MessageBody: "x", ReceiptHandle: "h" }];
    const variants = {
      SendMessageBatch: (Entries: Array<{ Id: string; MessageBody: string }>) =>
        t.sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries })),
      DeleteMessageBatch: (Entries: Array<{ Id: string; ReceiptHandle: string }>) =>
        t.sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries })),
      ChangeMessageVisibilityBatch: (Entries: Array<{ Id: string; ReceiptHandle: string }>) =>
        t.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl,
            Entries: Entries.map((e) => ({ ...e, VisibilityTimeout: 1 })),
          }),
        ),
    };
    for (const [op, call] of Object.entries(variants)) {
      await expectAwsError(call([]), "EmptyBatchRequest", `${op} with no entries`);
      await expectAwsError(call(eleven), "TooManyEntriesInBatchRequest", `${op} with 11 entries`);
      await expectAwsError(call(dup), "BatchEntryIdsNotDistinct", `${op} with duplicate ids`);
      await expectAwsError(call(badId), "InvalidBatchEntryId", `${op} with id "bad id!"`);
    }
    // SDK doc (SendMessageBatch): "The maximum allowed individual message size and the maximum
    // total payload size (the sum of the individual lengths of all of the batched messages) are
    // both 1 MiB 1,048,576 bytes."
    const half = "h".repeat(600_000);
    await expectAwsError(
      variants.SendMessageBatch([
        { Id: "a", MessageBody: half },
        { Id: "b", MessageBody: half },
      ]),
      "BatchRequestTooLong",
      "SendMessageBatch totalling 1,200,000 bytes",
    );
    const fits = await variants.SendMessageBatch([
      { Id: "a", MessageBody: "a".repeat(524_288) },
      { Id: "b", MessageBody: "b".repeat(524_288) },
    ]);
    assert.equal(fits.Successful?.length, 2, "a batch of exactly 1,048,576 bytes is accepted");
  },
};

// ---------------------------------------------------------------------------------------------
// counts, purge, errors

const approximateCounts: NamedCheck = {
  name: "counts: ApproximateNumberOfMessages / NotVisible / Delayed",
  async run(t) {
    const url = await t.createQueue();
    for (const b of ["1", "2", "3"]) await send(t, url, b);
    await send(t, url, "delayed", { DelaySeconds: 60 });
    await expectCounts(t, url, { visible: 3, notVisible: 0, delayed: 1 }, "after 4 sends (1 delayed)");
    const ms = await receive(t, url, { MaxNumberOfMessages: 2, VisibilityTimeout: 30 });
    assert.equal(ms.length, 2);
    await expectCounts(t, url, { visible: 1, notVisible: 2, delayed: 1 }, "after receiving 2");
    await t.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: ms[0]?.ReceiptHandle }));
    await expectCounts(t, url, { visible: 1, notVisible: 1, delayed: 1 }, "after deleting 1");
    await t.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: ms[1]?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    await expectCounts(t, url, { visible: 2, notVisible: 0, delayed: 1 }, "after CMV 0");
  },
};

const purgeQueue: NamedCheck = {
  name: "purge: PurgeQueue empties the queue",
  async run(t) {
    const url = await t.createQueue();
    for (const b of ["1", "2", "3"]) await send(t, url, b);
    one(await receive(t, url, { MaxNumberOfMessages: 1, VisibilityTimeout: 30 }), "one in flight");
    await t.sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
    // SDK doc (PurgeQueue): "The message deletion process takes up to 60 seconds."
    await expectCounts(t, url, { visible: 0, notVisible: 0, delayed: 0 }, "after purge");
    assert.deepEqual(await receive(t, url, { MaxNumberOfMessages: 10 }), []);
    await send(t, url, "after purge");
    assert.deepEqual(bodies(await receive(t, url)), ["after purge"], "the queue works after a purge");
  },
};

const errorsQueueDoesNotExist: NamedCheck = {
  name: "errors: QueueDoesNotExist (name, HTTP 400, client fault)",
  async run(t) {
    const name = t.queueName();
    const err = await expectAwsError(
      t.sqs.send(new GetQueueUrlCommand({ QueueName: name })),
      "QueueDoesNotExist",
    );
    assert.ok(err.message.length > 0, "the error has a message");
    const url = await t.createQueue();
    const missing = url.replace(/[^/]+$/, name);
    await expectAwsError(send(t, missing, "x"), "QueueDoesNotExist", "SendMessage to a missing queue");
    await expectAwsError(receive(t, missing), "QueueDoesNotExist", "ReceiveMessage from a missing queue");
    await expectAwsError(attrs(t, missing), "QueueDoesNotExist", "GetQueueAttributes of a missing queue");
  },
};

const errorsReceiveParams: NamedCheck = {
  name: "errors: MaxNumberOfMessages outside 1..10, WaitTimeSeconds > 20 -> InvalidParameterValue",
  async run(t) {
    const url = await t.createQueue();
    // SDK doc (ReceiveMessage MaxNumberOfMessages): "Valid values: 1 to 10. Default: 1."
    await expectAwsError(receive(t, url, { MaxNumberOfMessages: 11 }), "InvalidParameterValue", "Max 11");
    await expectAwsError(receive(t, url, { MaxNumberOfMessages: 0 }), "InvalidParameterValue", "Max 0");
    // SDK doc (ReceiveMessageWaitTimeSeconds): "Valid values: An integer from 0 to 20 (seconds)";
    // the API reference gives ReceiveMessage WaitTimeSeconds the same 0-20 range.
    await expectAwsError(receive(t, url, { WaitTimeSeconds: 21 }), "InvalidParameterValue", "Wait 21");
  },
};

const errorsMessageSize: NamedCheck = {
  name: "errors: body of 1,048,576 bytes accepted, 1,048,577 -> InvalidParameterValue",
  async run(t) {
    const url = await t.createQueue();
    // SDK doc (SendMessage MessageBody): "The maximum size is 1 MiB or 1,048,576 bytes".
    const max = "m".repeat(1_048_576);
    const ok = await send(t, url, max);
    assert.equal(ok.MD5OfMessageBody, md5(max));
    const got = one(await receive(t, url), "receive the 1 MiB message");
    assert.equal(got.Body?.length, 1_048_576);
    await expectAwsError(send(t, url, `${max}m`), "InvalidParameterValue", "SendMessage of 1,048,577 bytes");
    // Multi-byte characters count in bytes: 349,526 x "€" (3 bytes) = 1,048,578 bytes.
    await expectAwsError(send(t, url, "€".repeat(349_526)), "InvalidParameterValue", "1,048,578 UTF-8 bytes");
    // SDK doc (MessageAttributeValue): "All parts of the message attribute, including Name, Type,
    // and Value, are part of the message size restriction (1 MiB or 1,048,576 bytes)."
    await expectAwsError(
      send(t, url, "m".repeat(1_048_570), {
        MessageAttributes: { big: { DataType: "String", StringValue: "12345" } },
      }),
      "InvalidParameterValue",
      "body + attributes over 1 MiB",
    );
  },
};

const errorsInvalidContents: NamedCheck = {
  name: "errors: invalid characters in the body -> InvalidMessageContents",
  async run(t) {
    const url = await t.createQueue();
    // SDK doc (SendMessage MessageBody): "The following Unicode characters are allowed: #x9 | #xA
    // | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF. If a message contains
    // characters outside the allowed set, Amazon SQS rejects the message and returns an
    // InvalidMessageContents error."
    for (const [body, what] of [
      ["bell \u0007", "U+0007"],
      ["nul \u0000", "U+0000"],
      ["\uFFFF", "U+FFFF"],
    ]) {
      await expectAwsError(send(t, url, body as string), "InvalidMessageContents", `body with ${what}`);
    }
    const fine = "tab\tnl\ncr\r \uD7FF \uE000 \uFFFD 😀";
    await send(t, url, fine);
    assert.deepEqual(bodies(await receive(t, url)), [fine], "boundary characters round trip");
  },
};

export const sqsChecks: readonly NamedCheck[] = [
  queueLifecycle,
  listPagination,
  createIdempotent,
  queueNameRules,
  queueAttributes,
  queueTags,
  messageAttributes,
  systemAttributesStandard,
  systemAttributesFifo,
  delayStandard,
  delayFifo,
  fifoOrder,
  fifoGroupLock,
  fifoOrderAfterRedelivery,
  fifoDedupExplicit,
  fifoDedupContent,
  fifoRequiredParams,
  visibilityExpiry,
  changeVisibility,
  redriveCheck(false),
  redriveCheck(true),
  messageMoveTask,
  longPollEmpty,
  longPollEarly,
  deleteMessage,
  deleteStale,
  batchPartialFailures,
  batchRequestErrors,
  approximateCounts,
  purgeQueue,
  errorsQueueDoesNotExist,
  errorsReceiveParams,
  errorsMessageSize,
  errorsInvalidContents,
];
