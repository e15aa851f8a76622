/**
 * The SNS model's topic and subscription rules: create, look up, attributes, tags, subscribe,
 * confirm. It knows no HTTP: operations hand it names and values, it hands back plain data and
 * records every change through the reducer. Publishing is in publish.ts, delivery in delivery.ts.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { Clock } from "../core/context.ts";
import { snsErrors } from "./errors.ts";
import { parseFilterPolicy, type Scope } from "./filter-policy.ts";
import {
  DEFAULT_HTTP_DELIVERY_POLICY,
  MAX_HTTP_RETRIES,
  MAX_MESSAGE_BYTES,
  MAX_TAG_KEY_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  MAX_TAGS,
  MAX_TOPIC_NAME_LENGTH,
  TOKEN_BYTES,
} from "./limits.ts";
import { apply, type Change, type Protocol, type SnsState, type Subscription, type Topic } from "./state.ts";

export interface Model {
  state: SnsState;
  clock: Clock;
  commit(change: Change): void;
}

export interface Where {
  region: string;
  accountId: string;
}

export function createModel(state: SnsState, clock: Clock, record: (c: Change) => void): Model {
  return {
    state,
    clock,
    commit(change) {
      apply(state, change);
      record(change);
    },
  };
}

export const topicArn = (where: Where, name: string) =>
  `arn:aws:sns:${where.region}:${where.accountId}:${name}`;

/** `arn:aws:<service>:<region>:<account>:<resource>`, or undefined. */
export function parseArn(
  arn: unknown,
): { service: string; region: string; account: string; resource: string } | undefined {
  if (typeof arn !== "string") return undefined;
  const m = /^arn:aws[\w-]*:([\w-]+):([\w-]*):(\d{12}):(.+)$/.exec(arn);
  return m
    ? { service: m[1] as string, region: m[2] as string, account: m[3] as string, resource: m[4] as string }
    : undefined;
}

/** A topic by ARN: InvalidParameter when malformed, AuthorizationError in another account, NotFound when absent. */
export function getTopic(m: Model, arn: unknown, action: string, where?: Where, param = "TopicArn"): Topic {
  const parts = parseArn(arn);
  if (parts?.service !== "sns" || parts.resource.includes(":")) throw snsErrors.invalidParameter(param);
  if (where && parts.account !== where.accountId) throw snsErrors.authorization(action, arn as string);
  const topic = m.state.topics.get(arn as string);
  if (!topic) throw snsErrors.topicNotFound();
  return topic;
}

export function getSubscription(m: Model, arn: unknown, action: string, where?: Where): Subscription {
  const parts = parseArn(arn);
  if (parts?.service !== "sns" || !parts.resource.includes(":"))
    throw snsErrors.invalidParameter("SubscriptionArn");
  if (where && parts.account !== where.accountId) throw snsErrors.authorization(action, arn as string);
  const s = m.state.subscriptions.get(arn as string);
  if (!s) throw snsErrors.subscriptionNotFound();
  return s;
}

// ---- topics --------------------------------------------------------------------------------

const TOPIC_ATTRIBUTES = new Set([
  "DisplayName",
  "Policy",
  "DeliveryPolicy",
  "KmsMasterKeyId",
  "SignatureVersion",
  "TracingConfig",
  "MaximumMessageSize",
  "ContentBasedDeduplication",
  "FifoThroughputScope",
  "ArchivePolicy",
  "DataProtectionPolicy",
]);
const FIFO_ONLY = new Set(["ContentBasedDeduplication", "FifoThroughputScope", "ArchivePolicy"]);
const FEEDBACK =
  /^(HTTP|Firehose|Lambda|Application|SQS)(SuccessFeedbackRoleArn|SuccessFeedbackSampleRate|FailureFeedbackRoleArn)$/;

function checkTopicAttribute(name: string, value: string, fifo: boolean): void {
  const reject = (reason: string) => snsErrors.invalidParameter(`Attributes Reason: ${reason}`);
  if (!TOPIC_ATTRIBUTES.has(name) && !FEEDBACK.test(name)) throw snsErrors.invalidParameter(`AttributeName`);
  if (FIFO_ONLY.has(name) && !fifo) throw reject(`${name} is only valid for FIFO Topics`);
  switch (name) {
    case "ContentBasedDeduplication":
      if (value !== "true" && value !== "false") throw reject(`${name} must be true or false`);
      return;
    case "SignatureVersion":
      if (value !== "1" && value !== "2") throw reject("SignatureVersion must be 1 or 2");
      return;
    case "TracingConfig":
      if (value !== "PassThrough" && value !== "Active")
        throw reject("TracingConfig must be PassThrough or Active");
      if (fifo && value === "Active")
        throw reject("TracingConfig Active is only supported on standard topics");
      return;
    case "FifoThroughputScope":
      if (value !== "Topic" && value !== "MessageGroup")
        throw reject("FifoThroughputScope must be Topic or MessageGroup");
      return;
    case "MaximumMessageSize": {
      const n = Number(value);
      if (!/^\d+$/.test(value) || n < MAX_MESSAGE_BYTES.min || n > MAX_MESSAGE_BYTES.max) {
        throw reject(
          `MaximumMessageSize must be between ${MAX_MESSAGE_BYTES.min} and ${MAX_MESSAGE_BYTES.max}`,
        );
      }
      return;
    }
    case "Policy":
    case "ArchivePolicy":
    case "DataProtectionPolicy":
      if (!isJsonObject(value)) throw reject(`${name}: failed to parse JSON`);
      return;
    case "DeliveryPolicy":
      parseDeliveryPolicy(value, "topic");
      return;
  }
}

function isJsonObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === "object" && !Array.isArray(v);
  } catch {
    return false;
  }
}

export function validateTopicName(name: string, fifo: boolean): void {
  const base = name.endsWith(".fifo") ? name.slice(0, -5) : name;
  if (name.length < 1 || name.length > MAX_TOPIC_NAME_LENGTH || !/^[A-Za-z0-9_-]+$/.test(base)) {
    throw snsErrors.invalidParameter("Topic Name");
  }
  if (name.endsWith(".fifo") !== fifo) {
    throw snsErrors.invalidParameter(
      "Fifo Topic names must end with .fifo and Standard Topic cannot end with .fifo",
    );
  }
}

export function validateTags(tags: Record<string, string>, existing = 0): void {
  for (const [k, v] of Object.entries(tags)) {
    if (k.length < 1 || k.length > MAX_TAG_KEY_LENGTH)
      throw snsErrors.invalidParameter("Tags Reason: invalid tag key");
    if (v.length > MAX_TAG_VALUE_LENGTH) throw snsErrors.invalidParameter("Tags Reason: invalid tag value");
  }
  if (Object.keys(tags).length + existing > MAX_TAGS) throw snsErrors.tagLimitExceeded();
}

export function createTopic(
  m: Model,
  where: Where,
  name: string,
  attributes: Record<string, string>,
  tags: Record<string, string>,
): Topic {
  const { FifoTopic, ...rest } = attributes;
  if (FifoTopic !== undefined && FifoTopic !== "true" && FifoTopic !== "false") {
    throw snsErrors.invalidParameter("Attributes Reason: FifoTopic must be true or false");
  }
  const fifo = FifoTopic === "true";
  validateTopicName(name, fifo);
  for (const [k, v] of Object.entries(rest)) checkTopicAttribute(k, v, fifo);
  validateTags(tags);
  const arn = topicArn(where, name);
  const existing = m.state.topics.get(arn);
  if (existing) {
    for (const [k, v] of Object.entries(rest)) {
      if ((existing.attributes[k] ?? defaultAttribute(existing, k)) !== v) {
        throw snsErrors.invalidParameter("Attributes Reason: Topic already exists with different attributes");
      }
    }
    for (const [k, v] of Object.entries(tags)) {
      if (existing.tags[k] !== v)
        throw snsErrors.invalidParameter("Tags Reason: Topic already exists with different tags");
    }
    return existing;
  }
  const topic: Topic = {
    arn,
    name,
    region: where.region,
    accountId: where.accountId,
    fifo,
    attributes: { ...rest },
    tags: { ...tags },
    createdAt: m.clock.now(),
    sequence: 0,
    dedup: {},
    subscriptionsDeleted: 0,
  };
  m.commit({ t: "topic", topic });
  return getTopic(m, arn, "CreateTopic");
}

function defaultAttribute(topic: Topic, name: string): string | undefined {
  if (name === "DisplayName") return "";
  if (name === "ContentBasedDeduplication" && topic.fifo) return "false";
  return undefined;
}

export function deleteTopic(m: Model, arn: string): void {
  if (m.state.topics.has(arn)) m.commit({ t: "topicDeleted", arn });
}

export function setTopicAttribute(m: Model, topic: Topic, name: string, value: string): void {
  if (name === "FifoTopic")
    throw snsErrors.invalidParameter("AttributeName: FifoTopic can only be set at creation");
  checkTopicAttribute(name, value, topic.fifo);
  m.commit({ t: "topic", topic: { ...topic, attributes: { ...topic.attributes, [name]: value } } });
}

export function topicAttributes(m: Model, topic: Topic): Record<string, string> {
  const subs = [...m.state.subscriptions.values()].filter((s) => s.topicArn === topic.arn);
  const pending = subs.filter((s) => s.pending).length;
  return {
    Policy: defaultPolicy(topic),
    Owner: topic.accountId,
    SubscriptionsPending: String(pending),
    TopicArn: topic.arn,
    EffectiveDeliveryPolicy: JSON.stringify(topicDeliveryPolicy(topic)),
    SubscriptionsConfirmed: String(subs.length - pending),
    DisplayName: "",
    SubscriptionsDeleted: String(topic.subscriptionsDeleted),
    ...(topic.fifo && { FifoTopic: "true", ContentBasedDeduplication: "false" }),
    ...topic.attributes,
  };
}

function defaultPolicy(topic: Topic): string {
  return JSON.stringify({
    Version: "2008-10-17",
    Id: "__default_policy_ID",
    Statement: [
      {
        Sid: "__default_statement_ID",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: [
          "SNS:GetTopicAttributes",
          "SNS:SetTopicAttributes",
          "SNS:AddPermission",
          "SNS:RemovePermission",
          "SNS:DeleteTopic",
          "SNS:Subscribe",
          "SNS:ListSubscriptionsByTopic",
          "SNS:Publish",
        ],
        Resource: topic.arn,
        Condition: { StringEquals: { "AWS:SourceOwner": topic.accountId } },
      },
    ],
  });
}

export function tagTopic(m: Model, topic: Topic, tags: Record<string, string>): void {
  const added = Object.keys(tags).filter((k) => !(k in topic.tags)).length;
  validateTags(tags, Object.keys(topic.tags).length + added - Object.keys(tags).length);
  m.commit({ t: "topic", topic: { ...topic, tags: { ...topic.tags, ...tags } } });
}

export function untagTopic(m: Model, topic: Topic, keys: string[]): void {
  const tags = { ...topic.tags };
  for (const k of keys) delete tags[k];
  m.commit({ t: "topic", topic: { ...topic, tags } });
}

// ---- delivery policies -----------------------------------------------------------------------

export interface RetryPolicy {
  minDelayTarget: number;
  maxDelayTarget: number;
  numRetries: number;
  numMaxDelayRetries: number;
  numNoDelayRetries: number;
  numMinDelayRetries: number;
  backoffFunction: string;
}

/** Checks an HTTP/S delivery policy (topic form `{http: {...}}` or subscription form). */
export function parseDeliveryPolicy(text: string, form: "topic" | "subscription"): Record<string, unknown> {
  const reject = (reason: string) => snsErrors.invalidParameter(`DeliveryPolicy: ${reason}`);
  if (!isJsonObject(text)) throw reject("failed to parse JSON");
  const policy = JSON.parse(text) as Record<string, Record<string, unknown> | undefined>;
  const retry = (form === "topic" ? policy.http?.defaultHealthyRetryPolicy : policy.healthyRetryPolicy) as
    | Partial<RetryPolicy>
    | undefined;
  if (retry) {
    const r = { ...DEFAULT_HTTP_DELIVERY_POLICY, ...retry };
    if (!Number.isInteger(r.numRetries) || r.numRetries < 0 || r.numRetries > MAX_HTTP_RETRIES) {
      throw reject(`numRetries must be between 0 and ${MAX_HTTP_RETRIES}`);
    }
    if (!(r.minDelayTarget >= 1 && r.minDelayTarget <= r.maxDelayTarget && r.maxDelayTarget <= 3600)) {
      throw reject("minDelayTarget must be between 1 and maxDelayTarget (at most 3600)");
    }
    if (!["linear", "arithmetic", "geometric", "exponential"].includes(r.backoffFunction)) {
      throw reject("backoffFunction must be one of linear, arithmetic, geometric, exponential");
    }
  }
  return policy;
}

function topicDeliveryPolicy(topic: Topic) {
  const given = topic.attributes.DeliveryPolicy
    ? (JSON.parse(topic.attributes.DeliveryPolicy) as { http?: Record<string, unknown> })
    : {};
  return {
    http: {
      defaultHealthyRetryPolicy: {
        ...DEFAULT_HTTP_DELIVERY_POLICY,
        ...(given.http?.defaultHealthyRetryPolicy as object),
      },
      disableSubscriptionOverrides: given.http?.disableSubscriptionOverrides ?? false,
      defaultRequestPolicy: {
        headerContentType: "text/plain; charset=UTF-8",
        ...(given.http?.defaultRequestPolicy as object),
      },
    },
  };
}

/** The policy an HTTP/S subscription is delivered with: the topic's, overridden by its own. */
export function effectiveDeliveryPolicy(topic: Topic, s: Subscription) {
  const fromTopic = topicDeliveryPolicy(topic).http;
  const own = s.attributes.DeliveryPolicy
    ? (JSON.parse(s.attributes.DeliveryPolicy) as Record<string, Record<string, unknown> | undefined>)
    : {};
  const override = !fromTopic.disableSubscriptionOverrides;
  return {
    healthyRetryPolicy: {
      ...fromTopic.defaultHealthyRetryPolicy,
      ...(override && own.healthyRetryPolicy),
    } as RetryPolicy,
    requestPolicy: { ...fromTopic.defaultRequestPolicy, ...(override && own.requestPolicy) } as {
      headerContentType: string;
    },
    ...(own.throttlePolicy && { throttlePolicy: own.throttlePolicy }),
  };
}

// ---- subscriptions ---------------------------------------------------------------------------

const PROTOCOLS = new Set<Protocol>(["sqs", "http", "https", "email", "email-json"]);
const SUBSCRIPTION_ATTRIBUTES = new Set([
  "DeliveryPolicy",
  "FilterPolicy",
  "FilterPolicyScope",
  "RawMessageDelivery",
  "RedrivePolicy",
  "SubscriptionRoleArn",
  "ReplayPolicy",
]);

function checkEndpoint(topic: Topic, protocol: string, endpoint: unknown): asserts protocol is Protocol {
  if (!PROTOCOLS.has(protocol as Protocol)) {
    throw snsErrors.invalidParameter(`Amazon SNS does not support this protocol string: ${protocol}`);
  }
  if (topic.fifo && protocol !== "sqs")
    throw snsErrors.invalidParameter(`Invalid protocol type: ${protocol}`);
  if (typeof endpoint !== "string" || endpoint === "") throw snsErrors.invalidParameter("Endpoint");
  switch (protocol) {
    case "sqs": {
      const arn = parseArn(endpoint);
      if (arn?.service !== "sqs") throw snsErrors.invalidParameter("SQS endpoint ARN");
      if (arn.resource.endsWith(".fifo") && !topic.fifo) {
        throw snsErrors.invalidParameter(
          "Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics",
        );
      }
      return;
    }
    case "http":
    case "https":
      if (!endpoint.startsWith(`${protocol}://`))
        throw snsErrors.invalidParameter("Endpoint must match the specified protocol");
      try {
        new URL(endpoint);
      } catch {
        throw snsErrors.invalidParameter("Endpoint");
      }
      return;
    default:
      if (!/^[^@\s]+@[^@\s]+$/.test(endpoint)) throw snsErrors.invalidParameter("Email address");
  }
}

function checkSubscriptionAttribute(
  protocol: Protocol,
  name: string,
  value: string,
  all: Record<string, string>,
): void {
  const reject = (reason: string) => snsErrors.invalidParameter(`Attributes Reason: ${reason}`);
  if (!SUBSCRIPTION_ATTRIBUTES.has(name)) throw snsErrors.invalidParameter("AttributeName");
  switch (name) {
    case "RawMessageDelivery":
      if (value !== "true" && value !== "false") throw reject("RawMessageDelivery: Invalid value");
      if (value === "true" && (protocol === "email" || protocol === "email-json")) {
        throw reject(`Delivery protocol [${protocol}] does not support raw message delivery.`);
      }
      return;
    case "FilterPolicyScope":
      if (value !== "MessageAttributes" && value !== "MessageBody") {
        throw reject("FilterPolicyScope: Invalid value. Valid values: MessageAttributes, MessageBody");
      }
      return;
    case "FilterPolicy":
      parseFilterPolicy(value, (all.FilterPolicyScope as Scope | undefined) ?? "MessageAttributes");
      return;
    case "DeliveryPolicy":
      if (protocol !== "http" && protocol !== "https")
        throw reject(`DeliveryPolicy: only for HTTP/S, not ${protocol}`);
      parseDeliveryPolicy(value, "subscription");
      return;
    case "RedrivePolicy": {
      const target = isJsonObject(value)
        ? (JSON.parse(value) as { deadLetterTargetArn?: unknown }).deadLetterTargetArn
        : undefined;
      if (parseArn(target)?.service !== "sqs")
        throw reject("RedrivePolicy: deadLetterTargetArn must be an SQS queue ARN");
      return;
    }
    case "SubscriptionRoleArn":
      throw reject("SubscriptionRoleArn is only for firehose subscriptions");
  }
}

/** Returns the subscription and whether it is new; SQS ones start confirmed, the rest pending. */
export function subscribe(
  m: Model,
  topic: Topic,
  protocol: string,
  endpoint: unknown,
  attributes: Record<string, string>,
  owner: string,
): { subscription: Subscription; created: boolean } {
  checkEndpoint(topic, protocol, endpoint);
  const endpointText = endpoint as string;
  for (const [k, v] of Object.entries(attributes)) checkSubscriptionAttribute(protocol, k, v, attributes);
  const existing = [...m.state.subscriptions.values()].find(
    (s) => s.topicArn === topic.arn && s.protocol === protocol && s.endpoint === endpointText,
  );
  if (existing) {
    for (const [k, v] of Object.entries(attributes)) {
      if ((existing.attributes[k] ?? (k === "RawMessageDelivery" ? "false" : undefined)) !== v) {
        throw snsErrors.invalidParameter(
          "Attributes Reason: Subscription already exists with different attributes",
        );
      }
    }
    return { subscription: existing, created: false };
  }
  const pending = protocol !== "sqs";
  const subscription: Subscription = {
    arn: `${topic.arn}:${randomUUID()}`,
    topicArn: topic.arn,
    protocol,
    endpoint: endpointText,
    owner,
    attributes: { ...attributes },
    pending,
    ...(pending && { token: randomBytes(TOKEN_BYTES).toString("hex") }),
    confirmationWasAuthenticated: !pending,
    createdAt: m.clock.now(),
  };
  m.commit({ t: "subscription", s: subscription });
  return { subscription, created: true };
}

export function confirmSubscription(
  m: Model,
  topic: Topic,
  token: string,
  authenticated: boolean,
): Subscription {
  const s = [...m.state.subscriptions.values()].find((x) => x.topicArn === topic.arn && x.token === token);
  if (!s) throw snsErrors.invalidParameter("Token");
  if (s.pending)
    m.commit({ t: "subscription", s: { ...s, pending: false, confirmationWasAuthenticated: authenticated } });
  return s;
}

export function unsubscribe(m: Model, arn: string): void {
  if (m.state.subscriptions.has(arn)) m.commit({ t: "unsubscribed", arn });
}

export function setSubscriptionAttribute(m: Model, s: Subscription, name: string, value: string): void {
  const attributes = { ...s.attributes, [name]: value };
  checkSubscriptionAttribute(s.protocol, name, value, attributes);
  if (name === "FilterPolicyScope" && attributes.FilterPolicy) {
    parseFilterPolicy(attributes.FilterPolicy, value as Scope);
  }
  if (name === "FilterPolicy" && value === "") delete attributes.FilterPolicy;
  m.commit({ t: "subscription", s: { ...s, attributes } });
}

export function subscriptionAttributes(m: Model, s: Subscription): Record<string, string> {
  const topic = m.state.topics.get(s.topicArn);
  const http = s.protocol === "http" || s.protocol === "https";
  return {
    ConfirmationWasAuthenticated: String(s.confirmationWasAuthenticated),
    PendingConfirmation: String(s.pending),
    Owner: s.owner,
    RawMessageDelivery: "false",
    TopicArn: s.topicArn,
    Endpoint: s.endpoint,
    Protocol: s.protocol,
    SubscriptionArn: s.arn,
    SubscriptionPrincipal: `arn:aws:iam::${s.owner}:user/emulator`,
    ...(http && topic && { EffectiveDeliveryPolicy: JSON.stringify(effectiveDeliveryPolicy(topic, s)) }),
    ...(s.attributes.FilterPolicy && { FilterPolicyScope: "MessageAttributes" }),
    ...s.attributes,
  };
}
