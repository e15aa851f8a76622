/**
 * Queue attributes: which exist, which can be set, their defaults and valid values. Values are
 * kept as AWS's strings; numbers are parsed where the model needs them.
 */
import { sqsErrors } from "./errors.ts";
import {
  DELAY_SECONDS,
  MAX_MESSAGE_BYTES,
  MAX_RECEIVE_COUNT,
  MIN_MESSAGE_BYTES,
  RETENTION_SECONDS,
  VISIBILITY_TIMEOUT_SECONDS,
  WAIT_TIME_SECONDS,
} from "./limits.ts";

type Check = (value: string, fifo: boolean) => string | undefined; // returns a reason when invalid

const intIn =
  (min: number, max: number): Check =>
  (value) =>
    /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max
      ? undefined
      : `Must be an integer from ${min} to ${max}.`;
const oneOf =
  (...values: string[]): Check =>
  (value) =>
    values.includes(value) ? undefined : `Must be one of ${values.join(", ")}.`;
const bool = oneOf("true", "false");
const anyString: Check = () => undefined;
const json: Check = (value) => {
  try {
    JSON.parse(value);
    return undefined;
  } catch {
    return "Must be valid JSON.";
  }
};

interface AttributeRule {
  check: Check;
  /** Only on FIFO queues (AWS: InvalidAttributeName elsewhere). */
  fifoOnly?: boolean;
  /** Settable only by CreateQueue. */
  createOnly?: boolean;
}

/** Attributes a client may set. RedrivePolicy is checked by the model (it needs the DLQ). */
export const SETTABLE: Record<string, AttributeRule> = {
  DelaySeconds: { check: intIn(DELAY_SECONDS.min, DELAY_SECONDS.max) },
  MaximumMessageSize: { check: intIn(MIN_MESSAGE_BYTES, MAX_MESSAGE_BYTES) },
  MessageRetentionPeriod: { check: intIn(RETENTION_SECONDS.min, RETENTION_SECONDS.max) },
  ReceiveMessageWaitTimeSeconds: { check: intIn(WAIT_TIME_SECONDS.min, WAIT_TIME_SECONDS.max) },
  VisibilityTimeout: { check: intIn(VISIBILITY_TIMEOUT_SECONDS.min, VISIBILITY_TIMEOUT_SECONDS.max) },
  Policy: { check: json },
  RedrivePolicy: { check: json },
  RedriveAllowPolicy: { check: json },
  KmsMasterKeyId: { check: anyString },
  KmsDataKeyReusePeriodSeconds: { check: intIn(60, 86_400) },
  SqsManagedSseEnabled: { check: bool },
  FifoQueue: { check: bool, createOnly: true },
  ContentBasedDeduplication: { check: bool, fifoOnly: true },
  DeduplicationScope: { check: oneOf("messageGroup", "queue"), fifoOnly: true },
  FifoThroughputLimit: { check: oneOf("perQueue", "perMessageGroupId"), fifoOnly: true },
};

/** Attributes only GetQueueAttributes returns. */
export const COMPUTED = [
  "ApproximateNumberOfMessages",
  "ApproximateNumberOfMessagesNotVisible",
  "ApproximateNumberOfMessagesDelayed",
  "CreatedTimestamp",
  "LastModifiedTimestamp",
  "QueueArn",
] as const;

export function defaults(fifo: boolean): Record<string, string> {
  const base: Record<string, string> = {
    VisibilityTimeout: String(VISIBILITY_TIMEOUT_SECONDS.default),
    MaximumMessageSize: String(MAX_MESSAGE_BYTES),
    MessageRetentionPeriod: String(RETENTION_SECONDS.default),
    DelaySeconds: String(DELAY_SECONDS.default),
    ReceiveMessageWaitTimeSeconds: "0",
    SqsManagedSseEnabled: "true",
  };
  if (fifo) {
    Object.assign(base, {
      FifoQueue: "true",
      ContentBasedDeduplication: "false",
      DeduplicationScope: "queue",
      FifoThroughputLimit: "perQueue",
    });
  }
  return base;
}

/** Validates attributes for CreateQueue (`creating`) or SetQueueAttributes; returns them as strings. */
export function validateAttributes(
  input: Record<string, unknown>,
  fifo: boolean,
  creating: boolean,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(input)) {
    const rule = SETTABLE[name];
    if (!rule || (rule.fifoOnly && !fifo) || (rule.createOnly && !creating)) {
      throw sqsErrors.invalidAttributeName(name);
    }
    const value =
      typeof raw === "string" ? raw : typeof raw === "number" || typeof raw === "boolean" ? String(raw) : "";
    if (name === "FifoQueue" && value === "false" && fifo) {
      throw sqsErrors.invalidAttributeValue(name, "A queue named .fifo must be a FIFO queue.");
    }
    const reason = rule.check(value, fifo);
    if (reason) throw sqsErrors.invalidAttributeValue(name, reason);
    out[name] = value;
  }
  if (fifo && out.FifoThroughputLimit === "perMessageGroupId" && out.DeduplicationScope === "queue") {
    throw sqsErrors.invalidAttributeValue(
      "FifoThroughputLimit",
      "perMessageGroupId is allowed only when DeduplicationScope is messageGroup.",
    );
  }
  return out;
}

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

/** Parses a RedrivePolicy value; existence and type of the DLQ are checked by the model. */
export function parseRedrivePolicy(value: string): RedrivePolicy | undefined {
  if (value === "") return undefined;
  const bad = (reason: string) =>
    sqsErrors.invalidParameterValue(
      `Value ${value} for parameter RedrivePolicy is invalid. Reason: ${reason}`,
    );
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw bad("Redrive policy is not a valid JSON map.");
  }
  const arn = parsed.deadLetterTargetArn;
  const count = Number(parsed.maxReceiveCount);
  if (typeof arn !== "string" || arn === "")
    throw bad("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.");
  if (parsed.maxReceiveCount === undefined)
    throw bad("Redrive policy does not contain mandatory attribute: maxReceiveCount.");
  if (!Number.isInteger(count) || count < MAX_RECEIVE_COUNT.min || count > MAX_RECEIVE_COUNT.max) {
    throw bad(
      `Invalid value for maxReceiveCount: ${String(parsed.maxReceiveCount)}, valid values are from 1 to 1000 both inclusive.`,
    );
  }
  return { deadLetterTargetArn: arn, maxReceiveCount: count };
}
