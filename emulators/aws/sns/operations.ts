/**
 * The SNS action table: one entry per AWS action name. Each unpacks its input, calls the model
 * and shapes the output as the SDK's `<Action>Result`. Wire formats are query.ts's business.
 */
import { AwsError } from "../core/aws-error.ts";
import type { RequestContext } from "../core/context.ts";
import type { Input, Operation } from "../core/service.ts";
import type { Delivery } from "./delivery.ts";
import { snsErrors } from "./errors.ts";
import { MAX_BATCH_ENTRIES, MAX_BATCH_ENTRY_ID_LENGTH, PAGE_SIZE } from "./limits.ts";
import {
  confirmSubscription,
  createTopic,
  deleteTopic,
  getSubscription,
  getTopic,
  type Model,
  parseArn,
  setSubscriptionAttribute,
  setTopicAttribute,
  subscribe,
  subscriptionAttributes,
  tagTopic,
  topicAttributes,
  unsubscribe,
  untagTopic,
  type Where,
} from "./model.ts";
import { maxMessageBytes, type PublishInput, preparePublish } from "./publish.ts";
import type { Subscription, Topic } from "./state.ts";

const where = (ctx: RequestContext): Where => ({ region: ctx.region, accountId: ctx.accountId });

function required(input: Input, name: string): string {
  const v = input[name];
  if (typeof v !== "string" || v === "") throw snsErrors.invalidParameter(name);
  return v;
}

function stringMap(value: unknown, name: string): Record<string, string> {
  if (value === undefined || value === "") return {};
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw snsErrors.invalidParameter(name);
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, String(v ?? "")]),
  );
}

function tagList(value: unknown): Record<string, string> {
  if (value === undefined || value === "") return {};
  if (!Array.isArray(value)) throw snsErrors.invalidParameter("Tags");
  const tags: Record<string, string> = {};
  for (const t of value as Array<{ Key?: unknown; Value?: unknown }>) {
    if (typeof t?.Key !== "string") throw snsErrors.invalidParameter("Tags Reason: tag key is required");
    tags[t.Key] = typeof t.Value === "string" ? t.Value : "";
  }
  return tags;
}

function list(value: unknown): unknown[] {
  if (value === undefined || value === "") return [];
  return Array.isArray(value) ? value : [value];
}

/** Opaque NextToken: the index of the next item, base64. */
function page<T>(items: T[], token: unknown): { items: T[]; NextToken?: string } {
  let start = 0;
  if (token !== undefined && token !== "") {
    start = Number(Buffer.from(String(token), "base64").toString("utf8"));
    if (!Number.isInteger(start) || start < 0) throw snsErrors.invalidParameter("NextToken");
  }
  const slice = items.slice(start, start + PAGE_SIZE);
  const next = start + slice.length;
  return {
    items: slice,
    ...(next < items.length && { NextToken: Buffer.from(String(next)).toString("base64") }),
  };
}

const summary = (s: Subscription) => ({
  SubscriptionArn: s.pending ? "PendingConfirmation" : s.arn,
  Owner: s.owner,
  Protocol: s.protocol,
  Endpoint: s.endpoint,
  TopicArn: s.topicArn,
});

function checkBatch(entries: unknown[]): void {
  if (entries.length === 0) throw snsErrors.emptyBatchRequest();
  if (entries.length > MAX_BATCH_ENTRIES) throw snsErrors.tooManyEntriesInBatchRequest(entries.length);
  const seen = new Set<string>();
  for (const e of entries as Array<{ Id?: unknown }>) {
    const id = e?.Id;
    if (typeof id !== "string" || id.length > MAX_BATCH_ENTRY_ID_LENGTH || !/^[A-Za-z0-9_-]+$/.test(id)) {
      throw snsErrors.invalidBatchEntryId();
    }
    if (seen.has(id)) throw snsErrors.batchEntryIdsNotDistinct(id);
    seen.add(id);
  }
}

export interface SnsContext {
  model: Model;
  delivery: Delivery;
  /** Remembers the endpoint clients use, for URLs in messages published through the port. */
  seen(ctx: RequestContext): void;
}

export function snsOperations({ model: m, delivery, seen }: SnsContext): Record<string, Operation> {
  const topic = (input: Input, ctx: RequestContext, action: string, param = "TopicArn"): Topic => {
    seen(ctx);
    return getTopic(m, input[param], action, where(ctx), param);
  };

  const publishOne = (t: Topic, input: PublishInput, ctx: RequestContext) => {
    const { notification, duplicate } = preparePublish(m, t, input);
    if (!duplicate) delivery.publish(t, notification, ctx.endpoint);
    return {
      MessageId: notification.messageId,
      ...(notification.sequenceNumber !== undefined && { SequenceNumber: notification.sequenceNumber }),
    };
  };

  return {
    CreateTopic(input, ctx) {
      const name = required(input, "Name");
      const t = createTopic(
        m,
        where(ctx),
        name,
        stringMap(input.Attributes, "Attributes"),
        tagList(input.Tags),
      );
      return { TopicArn: t.arn };
    },
    DeleteTopic(input, ctx) {
      const arn = required(input, "TopicArn");
      const parts = parseArn(arn);
      if (parts?.service !== "sns") throw snsErrors.invalidParameter("TopicArn");
      if (parts.account !== ctx.accountId) throw snsErrors.authorization("DeleteTopic", arn);
      deleteTopic(m, arn); // idempotent: deleting a topic that does not exist is no error
      return {};
    },
    ListTopics(input, ctx) {
      const arns = [...m.state.topics.values()]
        .filter((t) => t.accountId === ctx.accountId && t.region === ctx.region)
        .map((t) => t.arn)
        .sort();
      const { items, NextToken } = page(arns, input.NextToken);
      return { Topics: items.map((TopicArn) => ({ TopicArn })), ...(NextToken && { NextToken }) };
    },
    GetTopicAttributes(input, ctx) {
      return { Attributes: topicAttributes(m, topic(input, ctx, "GetTopicAttributes")) };
    },
    SetTopicAttributes(input, ctx) {
      const t = topic(input, ctx, "SetTopicAttributes");
      setTopicAttribute(m, t, required(input, "AttributeName"), String(input.AttributeValue ?? ""));
      return {};
    },
    Subscribe(input, ctx) {
      const t = topic(input, ctx, "Subscribe");
      const protocol = required(input, "Protocol");
      const attributes = stringMap(input.Attributes, "Attributes");
      const { subscription: s } = subscribe(m, t, protocol, input.Endpoint, attributes, ctx.accountId);
      if (s.pending) delivery.requestConfirmation(t, s, ctx.endpoint);
      const returnArn = input.ReturnSubscriptionArn === true || input.ReturnSubscriptionArn === "true";
      return { SubscriptionArn: s.pending && !returnArn ? "pending confirmation" : s.arn };
    },
    ConfirmSubscription(input, ctx) {
      const t = topic(input, ctx, "ConfirmSubscription");
      const authenticated =
        input.AuthenticateOnUnsubscribe === "true" || input.AuthenticateOnUnsubscribe === true;
      return { SubscriptionArn: confirmSubscription(m, t, required(input, "Token"), authenticated).arn };
    },
    Unsubscribe(input, ctx) {
      seen(ctx);
      const arn = required(input, "SubscriptionArn");
      const parts = parseArn(arn);
      if (parts?.service !== "sns" || !parts.resource.includes(":")) {
        throw snsErrors.invalidParameter("SubscriptionArn");
      }
      unsubscribe(m, arn);
      return {};
    },
    ListSubscriptions(input, ctx) {
      const subs = [...m.state.subscriptions.values()].filter((s) => s.owner === ctx.accountId);
      const { items, NextToken } = page(subs, input.NextToken);
      return { Subscriptions: items.map(summary), ...(NextToken && { NextToken }) };
    },
    ListSubscriptionsByTopic(input, ctx) {
      const t = topic(input, ctx, "ListSubscriptionsByTopic");
      const subs = [...m.state.subscriptions.values()].filter((s) => s.topicArn === t.arn);
      const { items, NextToken } = page(subs, input.NextToken);
      return { Subscriptions: items.map(summary), ...(NextToken && { NextToken }) };
    },
    GetSubscriptionAttributes(input, ctx) {
      const s = getSubscription(m, input.SubscriptionArn, "GetSubscriptionAttributes", where(ctx));
      return { Attributes: subscriptionAttributes(m, s) };
    },
    SetSubscriptionAttributes(input, ctx) {
      const s = getSubscription(m, input.SubscriptionArn, "SetSubscriptionAttributes", where(ctx));
      setSubscriptionAttribute(m, s, required(input, "AttributeName"), String(input.AttributeValue ?? ""));
      return {};
    },
    Publish(input, ctx) {
      if (input.PhoneNumber !== undefined)
        throw snsErrors.invalidParameter("PhoneNumber Reason: SMS is not emulated");
      const param = input.TopicArn !== undefined ? "TopicArn" : "TargetArn";
      if (input.TopicArn !== undefined && input.TargetArn !== undefined) {
        throw snsErrors.invalidParameter("TopicArn or TargetArn Reason: Only one of them may be given");
      }
      if (input[param] === undefined) {
        throw snsErrors.invalidParameter("TopicArn or TargetArn Reason: One of them must be given");
      }
      return publishOne(topic(input, ctx, "Publish", param), input, ctx);
    },
    PublishBatch(input, ctx) {
      const t = topic(input, ctx, "Publish");
      const entries = list(input.PublishBatchRequestEntries) as Array<Input>;
      checkBatch(entries);
      let total = 0;
      for (const e of entries) if (typeof e.Message === "string") total += Buffer.byteLength(e.Message);
      const max = maxMessageBytes(t);
      if (total > max) throw snsErrors.batchRequestTooLong(total, max);
      const Successful: Array<Record<string, string>> = [];
      const Failed: Array<Record<string, unknown>> = [];
      for (const e of entries) {
        try {
          Successful.push({ Id: e.Id as string, ...publishOne(t, e, ctx) });
        } catch (err) {
          if (!(err instanceof AwsError)) throw err;
          Failed.push({ Id: e.Id, Code: err.queryCode, Message: err.message, SenderFault: err.senderFault });
        }
      }
      return { Successful, Failed };
    },
    TagResource(input, ctx) {
      tagTopic(m, resource(input, ctx, "TagResource"), tagList(input.Tags));
      return {};
    },
    UntagResource(input, ctx) {
      untagTopic(m, resource(input, ctx, "UntagResource"), list(input.TagKeys).map(String));
      return {};
    },
    ListTagsForResource(input, ctx) {
      const t = resource(input, ctx, "ListTagsForResource");
      return { Tags: Object.entries(t.tags).map(([Key, Value]) => ({ Key, Value })) };
    },
  };

  function resource(input: Input, ctx: RequestContext, action: string): Topic {
    try {
      return topic(input, ctx, action, "ResourceArn");
    } catch (err) {
      if (err instanceof AwsError && err.code === "NotFound") throw snsErrors.resourceNotFound();
      throw err;
    }
  }
}
