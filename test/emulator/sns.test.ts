/**
 * SNS through the real @aws-sdk/client-sns (query protocol): every action, AWS's error codes and
 * statuses, persistence across a restart, and the AWS CLI. Delivery is in sns-delivery.test.ts.
 */

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as sdk from "@aws-sdk/client-sns";
import {
  ConfirmSubscriptionCommand,
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListSubscriptionsCommand,
  ListTagsForResourceCommand,
  ListTopicsCommand,
  PublishBatchCommand,
  PublishCommand,
  SetSubscriptionAttributesCommand,
  SetTopicAttributesCommand,
  SNSClient,
  SubscribeCommand,
  TagResourceCommand,
  UnsubscribeCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AwsError } from "../../emulators/aws/core/aws-error.ts";
import { type Emulator, startEmulator } from "../../emulators/aws/server.ts";
import { snsErrors } from "../../emulators/aws/sns/errors.ts";
import { createSns } from "../../emulators/aws/sns/index.ts";
import { findAwsCli, isolatedAwsEnv, runAwsCli } from "../helpers/aws-cli.ts";
import { standaloneDeps } from "../helpers/service-deps.ts";

const ACCOUNT = "000000000000";
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const client = (emu: Emulator) =>
  new SNSClient({ endpoint: emu.url, region: "us-east-1", credentials, maxAttempts: 1 });

/** Runs `call` and returns the SDK error it throws (fails when it succeeds). */
async function failure(call: Promise<unknown>) {
  try {
    await call;
  } catch (err) {
    return err as Error & { $metadata: { httpStatusCode?: number }; $fault: string; Code?: string };
  }
  throw new Error("expected the call to fail");
}

let emu: Emulator;
let sns: SNSClient;

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  sns = client(emu);
});
afterAll(async () => {
  sns.destroy();
  await emu.close();
});

describe("surface", () => {
  it("every action has a Command in @aws-sdk/client-sns and every error is an SDK exception", () => {
    const svc = createSns(standaloneDeps({ accountId: ACCOUNT }));
    const actions = Object.keys(svc.rpc?.operations ?? {});
    expect(actions.length).toBe(17);
    for (const action of actions) expect(sdk, action).toHaveProperty(`${action}Command`);
    for (const [name, make] of Object.entries(snsErrors)) {
      const err = (make as (...a: unknown[]) => AwsError)("x", "y");
      expect(err, name).toBeInstanceOf(AwsError);
      expect(sdk, `${name} -> ${err.code}`).toHaveProperty(`${err.code}Exception`);
    }
    svc.close?.();
  });
});

describe("topics", () => {
  it("CreateTopic is idempotent and keeps attributes and tags; GetTopicAttributes shows them", async () => {
    const input = {
      Name: "alerts-a",
      Attributes: { DisplayName: "Alerts" },
      Tags: [{ Key: "team", Value: "ml" }],
    };
    const { TopicArn } = await sns.send(new CreateTopicCommand(input));
    expect(TopicArn).toBe(`arn:aws:sns:us-east-1:${ACCOUNT}:alerts-a`);
    expect((await sns.send(new CreateTopicCommand(input))).TopicArn).toBe(TopicArn);
    expect((await sns.send(new CreateTopicCommand({ Name: "alerts-a" }))).TopicArn).toBe(TopicArn);
    const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
    expect(Attributes).toMatchObject({
      DisplayName: "Alerts",
      TopicArn,
      Owner: ACCOUNT,
      SubscriptionsConfirmed: "0",
      SubscriptionsPending: "0",
      SubscriptionsDeleted: "0",
    });
    expect(JSON.parse(Attributes?.Policy ?? "")).toMatchObject({ Version: "2008-10-17" });
    expect(
      JSON.parse(Attributes?.EffectiveDeliveryPolicy ?? "").http.defaultHealthyRetryPolicy.numRetries,
    ).toBe(3);
    const differ = await failure(
      sns.send(new CreateTopicCommand({ Name: "alerts-a", Attributes: { DisplayName: "Other" } })),
    );
    expect(differ.name).toBe("InvalidParameterException");
    expect(differ.$metadata.httpStatusCode).toBe(400);
  });

  it("FIFO topics: FifoTopic and ContentBasedDeduplication; name and attribute rules", async () => {
    const { TopicArn } = await sns.send(
      new CreateTopicCommand({
        Name: "jobs.fifo",
        Attributes: { FifoTopic: "true", ContentBasedDeduplication: "true" },
      }),
    );
    const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
    expect(Attributes).toMatchObject({ FifoTopic: "true", ContentBasedDeduplication: "true" });
    const inputs: sdk.CreateTopicInput[] = [
      { Name: "plain.fifo" },
      { Name: "nofifo", Attributes: { FifoTopic: "true" } },
      { Name: "bad name" },
      { Name: "x".repeat(257) },
      { Name: "std", Attributes: { ContentBasedDeduplication: "true" } },
      { Name: "size", Attributes: { MaximumMessageSize: "10" } },
      { Name: "unknown", Attributes: { Nope: "1" } },
    ];
    for (const input of inputs) {
      const err = await failure(sns.send(new CreateTopicCommand(input)));
      expect(err.name, JSON.stringify(input).slice(0, 60)).toBe("InvalidParameterException");
    }
  });

  it("SetTopicAttributes changes what GetTopicAttributes returns", async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "settable" }));
    await sns.send(
      new SetTopicAttributesCommand({ TopicArn, AttributeName: "DisplayName", AttributeValue: "Ops" }),
    );
    await sns.send(
      new SetTopicAttributesCommand({
        TopicArn,
        AttributeName: "MaximumMessageSize",
        AttributeValue: "2048",
      }),
    );
    const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
    expect(Attributes).toMatchObject({ DisplayName: "Ops", MaximumMessageSize: "2048" });
    const big = await failure(sns.send(new PublishCommand({ TopicArn, Message: "x".repeat(2049) })));
    expect(big.name).toBe("InvalidParameterException");
    const bad = await failure(
      sns.send(
        new SetTopicAttributesCommand({ TopicArn, AttributeName: "FifoTopic", AttributeValue: "true" }),
      ),
    );
    expect(bad.name).toBe("InvalidParameterException");
  });

  it("ListTopics pages 100 at a time with NextToken; DeleteTopic is idempotent", async () => {
    const names = Array.from({ length: 105 }, (_, i) => `page-${String(i).padStart(3, "0")}`);
    for (const Name of names) await sns.send(new CreateTopicCommand({ Name }));
    const first = await sns.send(new ListTopicsCommand({}));
    expect(first.Topics).toHaveLength(100);
    expect(first.NextToken).toBeTruthy();
    const second = await sns.send(new ListTopicsCommand({ NextToken: first.NextToken }));
    expect(second.NextToken).toBeUndefined();
    const all = [...(first.Topics ?? []), ...(second.Topics ?? [])].map((t) => t.TopicArn);
    for (const Name of names) expect(all).toContain(`arn:aws:sns:us-east-1:${ACCOUNT}:${Name}`);
    for (const Name of names)
      await sns.send(new DeleteTopicCommand({ TopicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:${Name}` }));
    await sns.send(new DeleteTopicCommand({ TopicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:page-000` }));
    const after = await sns.send(new ListTopicsCommand({}));
    expect(after.Topics?.map((t) => t.TopicArn)).not.toContain(`arn:aws:sns:us-east-1:${ACCOUNT}:page-000`);
  });

  it("Tag/Untag/ListTagsForResource; TagLimitExceeded; ResourceNotFound", async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "tagged" }));
    const ResourceArn = TopicArn as string;
    await sns.send(
      new TagResourceCommand({
        ResourceArn,
        Tags: [
          { Key: "a", Value: "1" },
          { Key: "b", Value: "2" },
        ],
      }),
    );
    await sns.send(new UntagResourceCommand({ ResourceArn, TagKeys: ["a"] }));
    expect((await sns.send(new ListTagsForResourceCommand({ ResourceArn }))).Tags).toEqual([
      { Key: "b", Value: "2" },
    ]);
    const many = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    const limit = await failure(sns.send(new TagResourceCommand({ ResourceArn, Tags: many })));
    expect(limit.name).toBe("TagLimitExceededException");
    const missing = await failure(
      sns.send(new ListTagsForResourceCommand({ ResourceArn: `arn:aws:sns:us-east-1:${ACCOUNT}:nope` })),
    );
    expect(missing.name).toBe("ResourceNotFoundException");
    expect(missing.$metadata.httpStatusCode).toBe(404);
  });
});

describe("subscriptions", () => {
  const queueArn = `arn:aws:sqs:us-east-1:${ACCOUNT}:some-queue`;

  it("Subscribe (sqs confirmed at once, idempotent), attributes, list, unsubscribe", async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "subs" }));
    const { SubscriptionArn } = await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: "sqs",
        Endpoint: queueArn,
        Attributes: { RawMessageDelivery: "true", FilterPolicy: '{"kind":["alarm"]}' },
      }),
    );
    expect(SubscriptionArn).toMatch(new RegExp(`^${TopicArn}:[0-9a-f-]{36}$`));
    const again = await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: "sqs",
        Endpoint: queueArn,
        Attributes: { RawMessageDelivery: "true" },
      }),
    );
    expect(again.SubscriptionArn).toBe(SubscriptionArn);
    const { Attributes } = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn }));
    expect(Attributes).toMatchObject({
      SubscriptionArn,
      TopicArn,
      Protocol: "sqs",
      Endpoint: queueArn,
      Owner: ACCOUNT,
      PendingConfirmation: "false",
      ConfirmationWasAuthenticated: "true",
      RawMessageDelivery: "true",
      FilterPolicy: '{"kind":["alarm"]}',
      FilterPolicyScope: "MessageAttributes",
    });
    await sns.send(
      new SetSubscriptionAttributesCommand({
        SubscriptionArn,
        AttributeName: "RawMessageDelivery",
        AttributeValue: "false",
      }),
    );
    await sns.send(
      new SetSubscriptionAttributesCommand({
        SubscriptionArn,
        AttributeName: "FilterPolicyScope",
        AttributeValue: "MessageBody",
      }),
    );
    const changed = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn }));
    expect(changed.Attributes).toMatchObject({
      RawMessageDelivery: "false",
      FilterPolicyScope: "MessageBody",
    });

    const byTopic = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
    expect(byTopic.Subscriptions).toEqual([
      { SubscriptionArn, Owner: ACCOUNT, Protocol: "sqs", Endpoint: queueArn, TopicArn },
    ]);
    const all = await sns.send(new ListSubscriptionsCommand({}));
    expect(all.Subscriptions?.map((s) => s.SubscriptionArn)).toContain(SubscriptionArn);
    const topicAttrs = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
    expect(topicAttrs.Attributes?.SubscriptionsConfirmed).toBe("1");

    await sns.send(new UnsubscribeCommand({ SubscriptionArn }));
    expect((await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }))).Subscriptions).toEqual([]);
    expect(
      (await sns.send(new GetTopicAttributesCommand({ TopicArn }))).Attributes?.SubscriptionsDeleted,
    ).toBe("1");
    const gone = await failure(sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn })));
    expect(gone.name).toBe("NotFoundException");
    expect(gone.$metadata.httpStatusCode).toBe(404);
  });

  it("email subscriptions start pending; ConfirmSubscription with the mailed token confirms", async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "mail-confirm" }));
    const sub = await sns.send(
      new SubscribeCommand({ TopicArn, Protocol: "email", Endpoint: "ops@example.com" }),
    );
    expect(sub.SubscriptionArn).toBe("pending confirmation");
    const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
    expect(listed.Subscriptions?.[0]?.SubscriptionArn).toBe("PendingConfirmation");
    const outbox = (await (
      await fetch(`${emu.url}/_emulator/sns/outbox?to=ops@example.com`)
    ).json()) as Array<{
      confirmUrl: string;
    }>;
    const token = new URL(outbox.at(-1)?.confirmUrl ?? "").searchParams.get("Token") ?? "";
    const bad = await failure(sns.send(new ConfirmSubscriptionCommand({ TopicArn, Token: "nope" })));
    expect(bad.name).toBe("InvalidParameterException");
    const { SubscriptionArn } = await sns.send(new ConfirmSubscriptionCommand({ TopicArn, Token: token }));
    expect(SubscriptionArn).toMatch(new RegExp(`^${TopicArn}:`));
    const attrs = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn }));
    expect(attrs.Attributes?.PendingConfirmation).toBe("false");
    const withArn = await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: "email-json",
        Endpoint: "x@example.com",
        ReturnSubscriptionArn: true,
      }),
    );
    expect(withArn.SubscriptionArn).toMatch(new RegExp(`^${TopicArn}:`));
  });

  it("Subscribe rejects bad protocols, endpoints and attributes", async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "sub-errors" }));
    const fifo = await sns.send(
      new CreateTopicCommand({ Name: "sub-errors.fifo", Attributes: { FifoTopic: "true" } }),
    );
    const cases: sdk.SubscribeInput[] = [
      { TopicArn, Protocol: "pigeon", Endpoint: "x" },
      { TopicArn, Protocol: "sqs", Endpoint: "not-an-arn" },
      { TopicArn, Protocol: "sqs", Endpoint: `${queueArn}.fifo` },
      { TopicArn, Protocol: "http", Endpoint: "https://example.com" },
      { TopicArn, Protocol: "email", Endpoint: "nobody" },
      { TopicArn, Protocol: "email", Endpoint: "a@b.c", Attributes: { RawMessageDelivery: "true" } },
      { TopicArn, Protocol: "sqs", Endpoint: queueArn, Attributes: { FilterPolicy: "{not json" } },
      { TopicArn, Protocol: "sqs", Endpoint: queueArn, Attributes: { FilterPolicy: '{"a":"b"}' } },
      {
        TopicArn,
        Protocol: "sqs",
        Endpoint: queueArn,
        Attributes: { FilterPolicy: '{"a":[{"numeric":["~",1]}]}' },
      },
      { TopicArn, Protocol: "sqs", Endpoint: queueArn, Attributes: { Bogus: "1" } },
      { TopicArn: fifo.TopicArn, Protocol: "http", Endpoint: "http://127.0.0.1:1/" },
    ];
    for (const input of cases) {
      const err = await failure(sns.send(new SubscribeCommand(input)));
      expect(err.name, JSON.stringify(input)).toBe("InvalidParameterException");
      expect(err.$metadata.httpStatusCode).toBe(400);
    }
    const missing = await failure(
      sns.send(new SubscribeCommand({ TopicArn: `${TopicArn}-gone`, Protocol: "sqs", Endpoint: queueArn })),
    );
    expect(missing.name).toBe("NotFoundException");
  });
});

describe("Publish and PublishBatch", () => {
  it("answers MessageId; FIFO answers SequenceNumber and dedups within 5 minutes", async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "pub" }));
    const out = await sns.send(new PublishCommand({ TopicArn, Message: "hi", Subject: "Hello" }));
    expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.SequenceNumber).toBeUndefined();
    const byTarget = await sns.send(new PublishCommand({ TargetArn: TopicArn, Message: "hi" }));
    expect(byTarget.MessageId).toBeTruthy();

    const fifo = await sns.send(
      new CreateTopicCommand({ Name: "pub.fifo", Attributes: { FifoTopic: "true" } }),
    );
    const a = await sns.send(
      new PublishCommand({
        TopicArn: fifo.TopicArn,
        Message: "1",
        MessageGroupId: "g",
        MessageDeduplicationId: "d1",
      }),
    );
    const b = await sns.send(
      new PublishCommand({
        TopicArn: fifo.TopicArn,
        Message: "2",
        MessageGroupId: "g",
        MessageDeduplicationId: "d2",
      }),
    );
    const dup = await sns.send(
      new PublishCommand({
        TopicArn: fifo.TopicArn,
        Message: "1",
        MessageGroupId: "g",
        MessageDeduplicationId: "d1",
      }),
    );
    expect(a.SequenceNumber).toMatch(/^\d{20}$/);
    expect(BigInt(b.SequenceNumber ?? 0)).toBeGreaterThan(BigInt(a.SequenceNumber ?? 0));
    expect(dup).toMatchObject({ MessageId: a.MessageId, SequenceNumber: a.SequenceNumber });
  });

  it("rejects bad messages with AWS's codes", async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "pub-errors" }));
    const fifo = await sns.send(
      new CreateTopicCommand({ Name: "pub-errors.fifo", Attributes: { FifoTopic: "true" } }),
    );
    const invalid = [
      { TopicArn, Message: "" },
      { TopicArn, Message: "x".repeat(262_145) },
      { TopicArn, Message: "x", Subject: "line\nbreak" },
      { TopicArn, Message: "x", Subject: "s".repeat(100) },
      { TopicArn, Message: "x", MessageStructure: "json" },
      { TopicArn, Message: '{"sqs":"only"}', MessageStructure: "json" },
      { TopicArn, Message: "x", MessageDeduplicationId: "d" },
      { TopicArn: fifo.TopicArn, Message: "x", MessageDeduplicationId: "d" },
      { TopicArn: fifo.TopicArn, Message: "x", MessageGroupId: "g" },
      { TopicArn: "not-an-arn", Message: "x" },
    ];
    for (const input of invalid) {
      const err = await failure(sns.send(new PublishCommand(input)));
      expect(err.name, JSON.stringify(input).slice(0, 80)).toBe("InvalidParameterException");
    }
    const attrs: Array<Record<string, sdk.MessageAttributeValue>> = [
      { n: { DataType: "Strange", StringValue: "x" } },
      { n: { DataType: "Number", StringValue: "abc" } },
      { n: { DataType: "String", StringValue: "" } },
      { "AWS.reserved": { DataType: "String", StringValue: "x" } },
    ];
    for (const MessageAttributes of attrs) {
      const err = await failure(sns.send(new PublishCommand({ TopicArn, Message: "x", MessageAttributes })));
      expect(err.name, JSON.stringify(MessageAttributes)).toBe("InvalidParameterValueException");
      expect(err.$metadata.httpStatusCode).toBe(400);
    }
    const missing = await failure(
      sns.send(new PublishCommand({ TopicArn: `${TopicArn}-gone`, Message: "x" })),
    );
    expect(missing.name).toBe("NotFoundException");
    expect(missing.$metadata.httpStatusCode).toBe(404);
    expect(missing.$fault).toBe("client");
    const foreign = await failure(
      sns.send(new PublishCommand({ TopicArn: "arn:aws:sns:us-east-1:123456789012:theirs", Message: "x" })),
    );
    expect(foreign.name).toBe("AuthorizationErrorException");
    expect(foreign.$metadata.httpStatusCode).toBe(403);
  });

  it("PublishBatch: per-entry results and failures; batch-level errors", async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "batch" }));
    const out = await sns.send(
      new PublishBatchCommand({
        TopicArn,
        PublishBatchRequestEntries: [
          { Id: "ok-1", Message: "one" },
          { Id: "bad", Message: "two", Subject: "" },
          {
            Id: "ok-2",
            Message: "three",
            MessageAttributes: { n: { DataType: "Number", StringValue: "3" } },
          },
        ],
      }),
    );
    expect(out.Successful?.map((s) => s.Id)).toEqual(["ok-1", "ok-2"]);
    expect(out.Successful?.[0]?.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.Failed).toEqual([
      { Id: "bad", Code: "InvalidParameter", Message: "Invalid parameter: Subject", SenderFault: true },
    ]);
    const cases: Array<[sdk.PublishBatchRequestEntry[], string]> = [
      [[], "EmptyBatchRequestException"],
      [
        Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, Message: "m" })),
        "TooManyEntriesInBatchRequestException",
      ],
      [
        [
          { Id: "same", Message: "a" },
          { Id: "same", Message: "b" },
        ],
        "BatchEntryIdsNotDistinctException",
      ],
      [[{ Id: "bad id!", Message: "a" }], "InvalidBatchEntryIdException"],
      [
        [
          { Id: "a", Message: "x".repeat(200_000) },
          { Id: "b", Message: "x".repeat(100_000) },
        ],
        "BatchRequestTooLongException",
      ],
    ];
    for (const [PublishBatchRequestEntries, name] of cases) {
      const err = await failure(sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries })));
      expect(err.name).toBe(name);
      expect(err.$metadata.httpStatusCode).toBe(400);
    }
  });
});

describe("persistence", () => {
  it("topics, subscriptions, pending tokens, FIFO sequence and the outbox survive a restart", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "sns-persist-"));
    let first: Emulator | undefined = await startEmulator({ port: 0, dataDir });
    let c = client(first);
    const { TopicArn } = await c.send(
      new CreateTopicCommand({
        Name: "kept.fifo",
        Attributes: { FifoTopic: "true" },
        Tags: [{ Key: "k", Value: "v" }],
      }),
    );
    const sqsSub = await c.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: "sqs",
        Endpoint: `arn:aws:sqs:us-east-1:${ACCOUNT}:q.fifo`,
        Attributes: { RawMessageDelivery: "true" },
      }),
    );
    const first1 = await c.send(
      new PublishCommand({ TopicArn, Message: "m", MessageGroupId: "g", MessageDeduplicationId: "once" }),
    );
    const std = await c.send(new CreateTopicCommand({ Name: "kept-mail" }));
    await c.send(
      new SubscribeCommand({ TopicArn: std.TopicArn, Protocol: "email", Endpoint: "p@example.com" }),
    );
    const mails = (await (await fetch(`${first.url}/_emulator/sns/outbox`)).json()) as Array<{
      confirmUrl: string;
    }>;
    c.destroy();
    await first.close();
    first = undefined;

    const second = await startEmulator({ port: 0, dataDir });
    c = client(second);
    try {
      const attrs = await c.send(
        new GetSubscriptionAttributesCommand({ SubscriptionArn: sqsSub.SubscriptionArn }),
      );
      expect(attrs.Attributes?.RawMessageDelivery).toBe("true");
      expect((await c.send(new ListTagsForResourceCommand({ ResourceArn: TopicArn }))).Tags).toEqual([
        { Key: "k", Value: "v" },
      ]);
      const dup = await c.send(
        new PublishCommand({ TopicArn, Message: "m", MessageGroupId: "g", MessageDeduplicationId: "once" }),
      );
      expect(dup.MessageId).toBe(first1.MessageId);
      const next = await c.send(
        new PublishCommand({ TopicArn, Message: "m", MessageGroupId: "g", MessageDeduplicationId: "twice" }),
      );
      expect(BigInt(next.SequenceNumber ?? 0)).toBe(BigInt(first1.SequenceNumber ?? 0) + 1n);
      const kept = (await (await fetch(`${second.url}/_emulator/sns/outbox`)).json()) as unknown[];
      expect(kept).toHaveLength(1);
      // The confirmation link from before the restart still confirms (the token was journaled).
      const token = new URL(mails[0]?.confirmUrl ?? "").searchParams.get("Token") ?? "";
      const confirmed = await c.send(
        new ConfirmSubscriptionCommand({ TopicArn: std.TopicArn, Token: token }),
      );
      expect(confirmed.SubscriptionArn).toMatch(/^arn:aws:sns:/);
    } finally {
      c.destroy();
      await second.close();
    }
  });
});

// ---- AWS CLI --------------------------------------------------------------------------------

const awsBin = findAwsCli();
const { env, remove: removeHome } = isolatedAwsEnv("sns-cli-home-");

function aws(args: string[]) {
  return runAwsCli(awsBin ?? "aws", ["--endpoint-url", emu.url, "--output", "json", ...args], env, 30_000);
}

describe.skipIf(!awsBin)(`AWS CLI (${awsBin ?? "absent: skipped"})`, () => {
  afterAll(removeHome);
  it("create-topic, subscribe, publish, list-subscriptions-by-topic, and an error", async () => {
    const created = await aws([
      "sns",
      "create-topic",
      "--name",
      "cli-topic",
      "--attributes",
      "DisplayName=CLI",
    ]);
    expect(created.code, created.stderr).toBe(0);
    const { TopicArn } = JSON.parse(created.stdout) as { TopicArn: string };
    expect(TopicArn).toBe(`arn:aws:sns:us-east-1:${ACCOUNT}:cli-topic`);
    const sub = await aws([
      "sns",
      "subscribe",
      "--topic-arn",
      TopicArn,
      "--protocol",
      "sqs",
      "--notification-endpoint",
      `arn:aws:sqs:us-east-1:${ACCOUNT}:cli-q`,
      "--attributes",
      "RawMessageDelivery=true",
    ]);
    expect(sub.code, sub.stderr).toBe(0);
    expect(JSON.parse(sub.stdout).SubscriptionArn).toMatch(new RegExp(`^${TopicArn}:`));
    const pub = await aws([
      "sns",
      "publish",
      "--topic-arn",
      TopicArn,
      "--message",
      "from the cli",
      "--subject",
      "CLI",
      "--message-attributes",
      '{"kind":{"DataType":"String","StringValue":"test"}}',
    ]);
    expect(pub.code, pub.stderr).toBe(0);
    expect(JSON.parse(pub.stdout).MessageId).toMatch(/^[0-9a-f-]{36}$/);
    const listed = await aws(["sns", "list-subscriptions-by-topic", "--topic-arn", TopicArn]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).Subscriptions).toHaveLength(1);
    const attrs = await aws(["sns", "get-topic-attributes", "--topic-arn", TopicArn]);
    expect(JSON.parse(attrs.stdout).Attributes.DisplayName).toBe("CLI");
    const missing = await aws(["sns", "publish", "--topic-arn", `${TopicArn}-gone`, "--message", "x"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("(NotFound)");
  });
});
