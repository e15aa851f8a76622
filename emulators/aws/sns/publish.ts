/**
 * Publish rules: what a message, its subject, structure, attributes and FIFO ids may be, and FIFO
 * sequencing with the 5-minute dedup window. The result is a `Notification` the delivery side
 * fans out; nothing here does I/O.
 */
import { createHash, randomUUID } from "node:crypto";
import { snsErrors } from "./errors.ts";
import type { AttributeValue } from "./filter-policy.ts";
import {
  DEDUP_WINDOW_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  MAX_ATTRIBUTE_NAME_LENGTH,
  MAX_GROUP_OR_DEDUP_ID_LENGTH,
  MAX_SUBJECT_LENGTH,
} from "./limits.ts";
import type { Model } from "./model.ts";
import type { Topic } from "./state.ts";

export interface PublishInput {
  Message?: unknown;
  Subject?: unknown;
  MessageStructure?: unknown;
  MessageAttributes?: unknown;
  MessageGroupId?: unknown;
  MessageDeduplicationId?: unknown;
}

/** One published message, as every subscription's delivery sees it. */
export interface Notification {
  messageId: string;
  topicArn: string;
  fifo: boolean;
  /** The `default` message (or the whole message without MessageStructure=json). */
  message: string;
  /** MessageStructure=json: per-protocol messages (`sqs`, `http`, `email`, ...). */
  perProtocol?: Record<string, string>;
  subject?: string;
  attributes: Record<string, AttributeValue>;
  groupId?: string;
  dedupId?: string;
  sequenceNumber?: string;
  /** ISO 8601 with milliseconds, as in AWS's envelope. */
  timestamp: string;
}

export interface Prepared {
  notification: Notification;
  /** FIFO: a duplicate within the dedup window is acknowledged but not delivered again. */
  duplicate: boolean;
}

export const maxMessageBytes = (topic: Topic) =>
  Number(topic.attributes.MaximumMessageSize ?? DEFAULT_MAX_MESSAGE_BYTES);

const ATTRIBUTE_TYPES = /^(String|Number|Binary)(\..+)?$/;

export function validateAttributes(raw: unknown): Record<string, AttributeValue> {
  if (raw === undefined || raw === "") return {};
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    throw snsErrors.invalidParameter("MessageAttributes");
  const out: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(raw as Record<string, Record<string, unknown> | undefined>)) {
    const bad = (reason: string) =>
      snsErrors.invalidParameterValue(`The message attribute '${name}' ${reason}`);
    if (
      name.length === 0 ||
      name.length > MAX_ATTRIBUTE_NAME_LENGTH ||
      !/^[A-Za-z0-9_.-]+$/.test(name) ||
      name.startsWith(".") ||
      name.endsWith(".") ||
      name.includes("..") ||
      /^(aws|amazon)\./i.test(name)
    ) {
      throw snsErrors.invalidParameterValue(`The message attribute name '${name}' is invalid.`);
    }
    const type = value?.DataType;
    if (typeof type !== "string" || type === "") throw bad("must contain non-empty message attribute type.");
    if (!ATTRIBUTE_TYPES.test(type)) {
      throw bad(
        "has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.",
      );
    }
    if (type.startsWith("Binary")) {
      const binary = value?.BinaryValue;
      if (typeof binary !== "string" || binary === "") {
        throw bad(`must contain non-empty message attribute value for message attribute type '${type}'.`);
      }
      out[name] = { DataType: type, BinaryValue: binary };
      continue;
    }
    const text = value?.StringValue;
    if (typeof text !== "string" || text === "") {
      throw bad(`must contain non-empty message attribute value for message attribute type '${type}'.`);
    }
    if (type.startsWith("Number") && !/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text.trim())) {
      throw snsErrors.invalidParameterValue(`Could not cast message attribute '${name}' value to number.`);
    }
    if (type.startsWith("String.Array")) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (!Array.isArray(parsed) || parsed.some((v) => v !== null && typeof v === "object")) {
        throw bad("String.Array: must be a JSON array of strings, numbers, true, false or null.");
      }
    }
    out[name] = { DataType: type, StringValue: text };
  }
  return out;
}

function attributeBytes(attributes: Record<string, AttributeValue>): number {
  let n = 0;
  for (const [name, v] of Object.entries(attributes)) {
    n += Buffer.byteLength(name) + Buffer.byteLength(v.DataType);
    n +=
      v.BinaryValue !== undefined
        ? Buffer.from(v.BinaryValue, "base64").length
        : Buffer.byteLength(v.StringValue ?? "");
  }
  return n;
}

function fifoId(name: string, value: unknown): string {
  if (
    typeof value !== "string" ||
    value.length > MAX_GROUP_OR_DEDUP_ID_LENGTH ||
    !/^[\x21-\x7e]+$/.test(value)
  ) {
    throw snsErrors.invalidParameter(
      `${name} Reason: ${name} can only include alphanumeric and punctuation characters. 1 to 128 in length.`,
    );
  }
  return value;
}

/** Validates one publication against its topic; FIFO sequencing and dedup are recorded. */
export function preparePublish(m: Model, topic: Topic, input: PublishInput): Prepared {
  const message = input.Message;
  if (typeof message !== "string" || message === "") throw snsErrors.invalidParameter("Empty message");

  let subject: string | undefined;
  if (input.Subject !== undefined) {
    subject = String(input.Subject);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what AWS rejects.
    if (subject === "" || subject.length > MAX_SUBJECT_LENGTH || /[\u0000-\u001f\u007f]/.test(subject)) {
      throw snsErrors.invalidParameter("Subject");
    }
  }

  let perProtocol: Record<string, string> | undefined;
  let defaultMessage = message;
  if (input.MessageStructure !== undefined) {
    if (input.MessageStructure !== "json") throw snsErrors.invalidParameter("MessageStructure");
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      throw snsErrors.invalidParameter("Message Structure - JSON message body failed to parse");
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw snsErrors.invalidParameter("Message Structure - JSON message body failed to parse");
    }
    const entries = Object.entries(parsed as Record<string, unknown>).filter(
      ([, v]) => typeof v === "string",
    );
    perProtocol = Object.fromEntries(entries) as Record<string, string>;
    if (perProtocol.default === undefined) {
      throw snsErrors.invalidParameter("Message Structure - No default entry in JSON message body");
    }
    defaultMessage = perProtocol.default;
  }

  const attributes = validateAttributes(input.MessageAttributes);
  const max = maxMessageBytes(topic);
  if (Buffer.byteLength(message) + attributeBytes(attributes) > max) {
    throw snsErrors.invalidParameter(`Message too long (more than ${max} bytes)`);
  }

  const groupId =
    input.MessageGroupId === undefined ? undefined : fifoId("MessageGroupId", input.MessageGroupId);
  const now = m.clock.now();
  const notification: Notification = {
    messageId: randomUUID(),
    topicArn: topic.arn,
    fifo: topic.fifo,
    message: defaultMessage,
    ...(perProtocol && { perProtocol }),
    ...(subject !== undefined && { subject }),
    attributes,
    ...(groupId !== undefined && { groupId }),
    timestamp: new Date(now).toISOString(),
  };
  if (!topic.fifo) {
    if (input.MessageDeduplicationId !== undefined) {
      throw snsErrors.invalidParameter(
        "MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
      );
    }
    return { notification, duplicate: false };
  }

  if (groupId === undefined)
    throw snsErrors.invalidParameter("The MessageGroupId parameter is required for FIFO topics");
  let dedupId: string;
  if (input.MessageDeduplicationId !== undefined) {
    dedupId = fifoId("MessageDeduplicationId", input.MessageDeduplicationId);
  } else if (topic.attributes.ContentBasedDeduplication === "true") {
    dedupId = createHash("sha256").update(message, "utf8").digest("hex");
  } else {
    throw snsErrors.invalidParameter(
      "The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
    );
  }
  notification.dedupId = dedupId;
  const dedupKey =
    topic.attributes.FifoThroughputScope === "MessageGroup" ? `${groupId}\u0000${dedupId}` : dedupId;
  const seen = topic.dedup[dedupKey];
  if (seen && seen.expiresAt > now) {
    return {
      notification: { ...notification, messageId: seen.messageId, sequenceNumber: seen.sequenceNumber },
      duplicate: true,
    };
  }
  const sequence = topic.sequence + 1;
  const sequenceNumber = (10n ** 19n + BigInt(sequence)).toString(); // 20 digits, like AWS's
  notification.sequenceNumber = sequenceNumber;
  m.commit({
    t: "published",
    topicArn: topic.arn,
    sequence,
    dedupKey,
    entry: { messageId: notification.messageId, sequenceNumber, expiresAt: now + DEDUP_WINDOW_MS },
    now,
  });
  return { notification, duplicate: false };
}

/** The message a protocol gets: its own key under MessageStructure=json, else the default. */
export function messageFor(n: Notification, protocol: string): string {
  return n.perProtocol?.[protocol] ?? n.message;
}
