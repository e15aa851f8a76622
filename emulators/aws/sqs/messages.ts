/**
 * SQS message rules: send (dedup, delays, FIFO sequence), receive (visibility, FIFO group lock and
 * order, redrive to the DLQ on the receive that would exceed maxReceiveCount, retention, long
 * polling), delete and visibility changes with AWS's receipt-handle semantics.
 */
import { createHash, randomFillSync, randomUUID } from "node:crypto";
import { sqsErrors } from "./errors.ts";
import { DEDUP_WINDOW_MS, DELAY_SECONDS, VISIBILITY_TIMEOUT_SECONDS } from "./limits.ts";
import { type MessageAttributeValue, md5Hex, md5OfAttributes } from "./md5.ts";
import { messageBytes, validateBody, validateId, validateMessageAttributes } from "./message-rules.ts";
import { getQueue, type Model, redrivePolicy } from "./model.ts";
import type { Change, Message, Queue } from "./state.ts";

export interface SendInput {
  MessageBody?: unknown;
  DelaySeconds?: unknown;
  MessageAttributes?: unknown;
  MessageSystemAttributes?: unknown;
  MessageGroupId?: unknown;
  MessageDeduplicationId?: unknown;
}

export interface SendResult {
  MessageId: string;
  MD5OfMessageBody: string;
  MD5OfMessageAttributes?: string;
  MD5OfMessageSystemAttributes?: string;
  SequenceNumber?: string;
}

export function integerParam(
  name: string,
  value: unknown,
  range: { min: number; max: number },
): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < range.min || n > range.max) {
    throw sqsErrors.parameterOutOfRange(
      name,
      value,
      `Must be between ${range.min} and ${range.max}, if provided.`,
    );
  }
  return n;
}

/** Validates one message without storing it; returns what send needs. SendMessageBatch checks all first. */
function prepare(q: Queue, input: SendInput) {
  const body = validateBody(input.MessageBody);
  const attributes = validateMessageAttributes(input.MessageAttributes);
  const systemAttributes = validateMessageAttributes(
    input.MessageSystemAttributes,
    "message system attribute",
  );
  for (const name of Object.keys(systemAttributes ?? {})) {
    if (name !== "AWSTraceHeader")
      throw sqsErrors.invalidParameterValue(`Message system attribute name '${name}' is invalid.`);
  }
  const max = Number(q.attributes.MaximumMessageSize);
  const bytes = messageBytes(body, attributes);
  if (bytes > max) {
    throw sqsErrors.invalidParameterValue(
      `One or more parameters are invalid. Reason: Message must be shorter than ${max} bytes.`,
    );
  }
  const notForThisQueue = (name: string, value: unknown) =>
    sqsErrors.parameterOutOfRange(
      name,
      value,
      "The request include parameter that is not valid for this queue type.",
    );
  const delay = integerParam("DelaySeconds", input.DelaySeconds, DELAY_SECONDS);
  let groupId: string | undefined;
  let dedupId: string | undefined;
  if (q.fifo) {
    if (delay !== undefined && delay !== 0) throw notForThisQueue("DelaySeconds", delay);
    if (input.MessageGroupId === undefined || input.MessageGroupId === "")
      throw sqsErrors.missingParameter("MessageGroupId");
    groupId = validateId("MessageGroupId", input.MessageGroupId);
    if (input.MessageDeduplicationId !== undefined && input.MessageDeduplicationId !== "") {
      dedupId = validateId("MessageDeduplicationId", input.MessageDeduplicationId);
    } else if (q.attributes.ContentBasedDeduplication === "true") {
      dedupId = createHash("sha256").update(body, "utf8").digest("hex");
    } else {
      throw sqsErrors.invalidParameterValue(
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
      );
    }
  } else {
    if (input.MessageDeduplicationId !== undefined)
      throw notForThisQueue("MessageDeduplicationId", input.MessageDeduplicationId);
    // Standard queues accept MessageGroupId (fair queues); it is returned but orders nothing.
    if (input.MessageGroupId !== undefined) groupId = validateId("MessageGroupId", input.MessageGroupId);
  }
  const delayMs = (delay ?? Number(q.attributes.DelaySeconds)) * 1000;
  return { body, attributes, systemAttributes, groupId, dedupId, delayMs, bytes };
}

export type Prepared = ReturnType<typeof prepare>;
export { prepare as prepareMessage };

export function sendMessage(m: Model, q: Queue, input: SendInput, senderId: string): SendResult {
  return store(m, q, prepare(q, input), senderId);
}

export function store(m: Model, q: Queue, p: Prepared, senderId: string): SendResult {
  const now = m.clock.now();
  const md5Body = md5Hex(p.body);
  const md5Attributes = md5OfAttributes(p.attributes);
  const md5SystemAttributes = md5OfAttributes(p.systemAttributes);
  // Built field by field, not with conditional spreads: this runs for every message sent.
  const result = (id: string, sequenceNumber?: string): SendResult => {
    const r: SendResult = { MessageId: id, MD5OfMessageBody: md5Body };
    if (md5Attributes) r.MD5OfMessageAttributes = md5Attributes;
    if (md5SystemAttributes) r.MD5OfMessageSystemAttributes = md5SystemAttributes;
    if (sequenceNumber) r.SequenceNumber = sequenceNumber;
    return r;
  };

  let dedupKey: string | undefined;
  if (q.fifo && p.dedupId !== undefined) {
    dedupKey =
      q.attributes.DeduplicationScope === "messageGroup" ? `${p.groupId}\u0000${p.dedupId}` : p.dedupId;
    const seen = q.dedup.get(dedupKey);
    if (seen && seen.expiresAt > now) return result(seen.messageId, seen.sequenceNumber);
    sweepDedup(q, now);
  }
  const message: Message = {
    id: randomUUID(),
    body: p.body,
    md5Body,
    senderId,
    sentAt: now,
    visibleAt: now + p.delayMs,
    receiveCount: 0,
  };
  if (p.attributes) {
    message.attributes = p.attributes;
    message.md5Attributes = md5Attributes;
  }
  if (p.systemAttributes) {
    message.systemAttributes = p.systemAttributes;
    message.md5SystemAttributes = md5SystemAttributes;
  }
  if (p.groupId !== undefined) message.groupId = p.groupId;
  if (p.dedupId !== undefined) message.dedupId = p.dedupId;
  const change: Extract<Change, { t: "sent" }> = { t: "sent", arn: q.arn, m: message };
  if (q.fifo) {
    change.sequence = q.sequence + 1;
    message.sequenceNumber = String(change.sequence).padStart(20, "0");
  }
  if (dedupKey !== undefined) {
    change.dedupKey = dedupKey;
    change.dedupExpiresAt = now + DEDUP_WINDOW_MS;
  }
  m.commit(change);
  m.waiters.wake(q.arn);
  m.stats.count(q.arn, "NumberOfMessagesSent");
  m.stats.sentBytes(q.arn, p.bytes);
  return result(message.id, message.sequenceNumber);
}

// Expired dedup entries only matter to memory; replay skips them by their expiry time anyway.
function sweepDedup(q: Queue, now: number): void {
  if (q.dedup.size < 1024 || q.dedup.size % 256 !== 0) return;
  for (const [k, v] of q.dedup) if (v.expiresAt <= now) q.dedup.delete(k);
}

// ---- receive ------------------------------------------------------------------------------

export interface ReceiveOptions {
  max: number;
  waitMs: number;
  visibilityMs: number;
  /** System attribute names asked for ("All" for every one). */
  systemNames: Set<string>;
  /** MessageAttributeNames filters: "All", ".*", "prefix.*" or exact names. */
  attributeNames: string[];
}

export interface ReceivedMessage {
  MessageId: string;
  ReceiptHandle: string;
  MD5OfBody: string;
  Body: string;
  Attributes?: Record<string, string>;
  MD5OfMessageAttributes?: string;
  MessageAttributes?: Record<string, MessageAttributeValue>;
}

export const SYSTEM_ATTRIBUTE_NAMES = new Set([
  "All",
  "SenderId",
  "SentTimestamp",
  "ApproximateReceiveCount",
  "ApproximateFirstReceiveTimestamp",
  "SequenceNumber",
  "MessageDeduplicationId",
  "MessageGroupId",
  "AWSTraceHeader",
  "DeadLetterQueueSourceArn",
]);

export async function receiveMessages(
  m: Model,
  arn: string,
  opts: ReceiveOptions,
): Promise<ReceivedMessage[]> {
  const deadline = m.clock.now() + opts.waitMs;
  for (;;) {
    const q = m.state.queues.get(arn);
    if (!q) return [];
    const got = takeAvailable(m, q, opts);
    const now = m.clock.now();
    if (got.length > 0 || now >= deadline) {
      if (got.length === 0) m.stats.count(arn, "NumberOfEmptyReceives");
      return got;
    }
    if (m.waiters.closed) return got; // the server is closing: answer now, never spin
    await m.waiters.wait(arn, deadline, nextVisibleAt(q, now), now);
  }
}

function nextVisibleAt(q: Queue, now: number): number | undefined {
  let next: number | undefined;
  for (const msg of q.messages.values()) {
    if (msg.visibleAt > now && (next === undefined || msg.visibleAt < next)) next = msg.visibleAt;
  }
  return next;
}

function takeAvailable(m: Model, q: Queue, opts: ReceiveOptions): ReceivedMessage[] {
  const now = m.clock.now();
  const retentionMs = Number(q.attributes.MessageRetentionPeriod) * 1000;
  const policy = redrivePolicy(q);
  const dlq = policy ? m.state.queues.get(policy.deadLetterTargetArn) : undefined;
  const picked: Message[] = [];
  const expired: Message[] = [];
  const toDlq: Message[] = [];

  // Returns false when a FIFO group must stop at this message.
  const consider = (msg: Message): boolean => {
    if (now - msg.sentAt >= retentionMs) {
      expired.push(msg);
      return true;
    }
    if (msg.visibleAt > now) return false;
    if (policy && dlq && msg.receiveCount >= policy.maxReceiveCount) {
      toDlq.push(msg); // the receive that would exceed maxReceiveCount moves it instead
      return true;
    }
    picked.push(msg);
    return true;
  };

  if (q.fifo) {
    for (const group of q.groups.values()) {
      if (picked.length >= opts.max) break;
      if (group.some((msg) => msg.receiveCount > 0 && msg.visibleAt > now)) continue; // group locked
      for (const msg of group) {
        if (picked.length >= opts.max || !consider(msg)) break;
      }
    }
  } else {
    for (const msg of q.messages.values()) {
      if (picked.length >= opts.max) break;
      consider(msg);
    }
  }

  for (const msg of expired) m.commit({ t: "deleted", arn: q.arn, id: msg.id });
  if (dlq) {
    for (const msg of toDlq)
      m.commit({ t: "moved", from: q.arn, to: dlq.arn, id: msg.id, at: now, deadLetter: true });
    if (toDlq.length > 0) m.waiters.wake(dlq.arn);
  }
  return picked.map((msg) => deliver(m, q, msg, now, opts));
}

function deliver(m: Model, q: Queue, msg: Message, now: number, opts: ReceiveOptions): ReceivedMessage {
  const receipt = makeReceipt(q.arn, msg.id);
  m.commit({
    t: "received",
    arn: q.arn,
    id: msg.id,
    rc: msg.receiveCount + 1,
    vis: now + opts.visibilityMs,
    at: now,
    rh: receipt,
  });
  const out: ReceivedMessage = {
    MessageId: msg.id,
    ReceiptHandle: receipt,
    MD5OfBody: msg.md5Body,
    Body: msg.body,
  };
  const system = systemAttributes(msg, opts.systemNames);
  if (system) out.Attributes = system;
  const attrs = filterAttributes(msg.attributes, opts.attributeNames);
  if (attrs) {
    out.MessageAttributes = attrs;
    out.MD5OfMessageAttributes =
      attrs === msg.attributes ? (msg.md5Attributes as string) : (md5OfAttributes(attrs) as string);
  }
  return out;
}

function systemAttributes(msg: Message, names: Set<string>): Record<string, string> | undefined {
  if (names.size === 0) return undefined;
  const all = names.has("All");
  const out: Record<string, string> = {};
  const put = (name: string, value: string | number | undefined) => {
    if (value !== undefined && (all || names.has(name))) out[name] = String(value);
  };
  put("SenderId", msg.senderId);
  put("SentTimestamp", msg.sentAt);
  put("ApproximateReceiveCount", msg.receiveCount);
  put("ApproximateFirstReceiveTimestamp", msg.firstReceiveAt);
  put("SequenceNumber", msg.sequenceNumber);
  put("MessageDeduplicationId", msg.dedupId);
  put("MessageGroupId", msg.groupId);
  put("AWSTraceHeader", msg.systemAttributes?.AWSTraceHeader?.StringValue);
  put("DeadLetterQueueSourceArn", msg.deadLetterSourceArn);
  return Object.keys(out).length > 0 ? out : undefined;
}

function filterAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
  names: string[],
): Record<string, MessageAttributeValue> | undefined {
  if (!attributes || names.length === 0) return undefined;
  if (names.includes("All") || names.includes(".*")) return attributes;
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    const match = names.some((n) => (n.endsWith(".*") ? name.startsWith(n.slice(0, -1)) : n === name));
    if (match) out[name] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

// ---- receipt handles ----------------------------------------------------------------------

// A handle is 28 bytes, base64url: the message id (16), a tag of the queue ARN (4) and a nonce (8)
// that makes each receive's handle different. Short on purpose: clients sign every request body.
const arnTags = new Map<string, Buffer>();
function arnTag(arn: string): Buffer {
  let tag = arnTags.get(arn);
  if (!tag) {
    tag = createHash("sha1").update(arn).digest().subarray(0, 4);
    arnTags.set(arn, tag);
  }
  return tag;
}

// Nonces come from a pool refilled in bulk: one randomBytes call per delivered message showed up in
// profiles (about 6% of the server's busy time).
const NONCE_BYTES = 8;
const noncePool = Buffer.alloc(NONCE_BYTES * 512);
let nonceAt = noncePool.length;

function makeReceipt(arn: string, id: string): string {
  if (nonceAt >= noncePool.length) {
    randomFillSync(noncePool);
    nonceAt = 0;
  }
  const handle = Buffer.allocUnsafe(28);
  handle.write(id.replaceAll("-", ""), 0, 16, "hex");
  arnTag(arn).copy(handle, 16);
  noncePool.copy(handle, 20, nonceAt, nonceAt + NONCE_BYTES);
  nonceAt += NONCE_BYTES;
  return handle.toString("base64url");
}

function parseReceipt(handle: unknown, arn: string): string | undefined {
  if (typeof handle !== "string" || !/^[A-Za-z0-9_-]{38}$/.test(handle)) return undefined;
  const bytes = Buffer.from(handle, "base64url");
  if (!bytes.subarray(16, 20).equals(arnTag(arn))) return undefined;
  const hex = bytes.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function resolveReceipt(m: Model, q: Queue, handle: unknown): { msg?: Message; current: boolean } {
  const id = parseReceipt(handle, q.arn);
  if (!id) throw sqsErrors.receiptHandleIsInvalid(String(handle ?? ""));
  const msg = getQueue(m, q.arn).messages.get(id);
  return { msg, current: msg?.receipt === handle };
}

/**
 * AWS: a deleted message's handle deletes nothing and succeeds; a handle from an earlier receive
 * "succeeds, but the message will not be deleted" on standard queues; FIFO queues answer that the
 * receipt handle has expired, also once the visibility timeout has passed.
 */
export function deleteMessage(m: Model, q: Queue, handle: unknown): void {
  if (handle === undefined || handle === "") throw sqsErrors.missingParameter("ReceiptHandle");
  const { msg, current } = resolveReceipt(m, q, handle);
  if (!msg) return;
  const now = m.clock.now();
  if (!current || (q.fifo && msg.visibleAt <= now)) {
    if (q.fifo) throw sqsErrors.receiptHandleExpired(String(handle));
    return;
  }
  m.commit({ t: "deleted", arn: q.arn, id: msg.id });
  m.stats.count(q.arn, "NumberOfMessagesDeleted");
  if (q.fifo) m.waiters.wake(q.arn); // its group may now be free
}

export function changeVisibility(m: Model, q: Queue, handle: unknown, timeout: unknown): void {
  if (handle === undefined || handle === "") throw sqsErrors.missingParameter("ReceiptHandle");
  if (timeout === undefined) throw sqsErrors.missingParameter("VisibilityTimeout");
  const seconds = integerParam("VisibilityTimeout", timeout, VISIBILITY_TIMEOUT_SECONDS) as number;
  const { msg, current } = resolveReceipt(m, q, handle);
  if (!msg || !current) {
    throw sqsErrors.parameterOutOfRange(
      "ReceiptHandle",
      handle,
      "Message does not exist or is not available for visibility timeout change.",
    );
  }
  const now = m.clock.now();
  if (msg.visibleAt <= now) throw sqsErrors.messageNotInflight();
  const receivedAt = msg.lastReceiveAt ?? now;
  if (now + seconds * 1000 - receivedAt > VISIBILITY_TIMEOUT_SECONDS.max * 1000) {
    throw sqsErrors.parameterOutOfRange(
      "VisibilityTimeout",
      seconds,
      "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]",
    );
  }
  m.commit({ t: "visibility", arn: q.arn, id: msg.id, vis: now + seconds * 1000 });
  if (seconds === 0) m.waiters.wake(q.arn);
}
