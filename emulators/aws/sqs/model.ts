/**
 * The SQS model's queue-level rules: create, look up, attributes, tags, purge, counts. It knows no
 * HTTP: operations hand it names and values, it hands back queues and plain data. Message rules
 * are in messages.ts, move tasks in move-tasks.ts.
 */
import type { Clock } from "../core/context.ts";
import {
  COMPUTED,
  defaults,
  parseRedrivePolicy,
  type RedrivePolicy,
  SETTABLE,
  validateAttributes,
} from "./attributes.ts";
import { sqsErrors } from "./errors.ts";
import { MAX_QUEUE_NAME_LENGTH, MAX_TAGS, PURGE_INTERVAL_MS } from "./limits.ts";
import type { QueueStats } from "./metrics.ts";
import { apply, type Change, type Queue, type QueueMeta, type SqsState } from "./state.ts";
import type { Waiters } from "./waiters.ts";

export interface Model {
  state: SqsState;
  clock: Clock;
  waiters: Waiters;
  /** Counters for the AWS/SQS metrics (not state: they reset every publication). */
  stats: QueueStats;
  /** Applies a change and journals it. */
  commit(change: Change): void;
}

export function createModel(
  state: SqsState,
  clock: Clock,
  waiters: Waiters,
  stats: QueueStats,
  record: (c: Change) => void,
): Model {
  return {
    state,
    clock,
    waiters,
    stats,
    commit(change) {
      apply(state, change);
      record(change);
    },
  };
}

export function queueArn(region: string, accountId: string, name: string): string {
  return `arn:aws:sqs:${region}:${accountId}:${name}`;
}

export function getQueue(m: Model, arn: string): Queue {
  const q = m.state.queues.get(arn);
  if (!q) throw sqsErrors.queueDoesNotExist();
  return q;
}

function meta(q: Queue): QueueMeta {
  const { messages: _m, groups: _g, dedup: _d, ...rest } = q;
  return rest;
}

export function validateQueueName(name: string, fifo: boolean): void {
  const base = name.endsWith(".fifo") ? name.slice(0, -5) : name;
  const ok =
    name.length >= 1 &&
    name.length <= MAX_QUEUE_NAME_LENGTH &&
    base.length >= 1 &&
    /^[A-Za-z0-9_-]+$/.test(base) &&
    name.endsWith(".fifo") === fifo;
  if (!ok) {
    throw sqsErrors.invalidParameterValue(
      fifo
        ? "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length."
        : "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.",
    );
  }
}

export function createQueue(
  m: Model,
  where: { region: string; accountId: string },
  name: string,
  attributes: Record<string, unknown>,
  tags: Record<string, string>,
): Queue {
  const fifo = String(attributes.FifoQueue ?? "false") === "true";
  validateQueueName(name, fifo);
  const given = validateAttributes(attributes, fifo, true);
  const arn = queueArn(where.region, where.accountId, name);
  const existing = m.state.queues.get(arn);
  if (existing) {
    for (const [k, v] of Object.entries(given)) {
      if (existing.attributes[k] !== v) throw sqsErrors.queueNameExists(name, k);
    }
    return existing;
  }
  if (given.RedrivePolicy) checkRedrive(m, fifo, given.RedrivePolicy);
  if (Object.keys(tags).length > MAX_TAGS)
    throw sqsErrors.invalidParameterValue(`Too many tags: at most ${MAX_TAGS}.`);
  const now = m.clock.now();
  const q: QueueMeta = {
    arn,
    name,
    accountId: where.accountId,
    region: where.region,
    fifo,
    attributes: { ...defaults(fifo), ...given },
    tags: { ...tags },
    createdAt: now,
    modifiedAt: now,
    sequence: 0,
  };
  m.commit({ t: "queue", q });
  return getQueue(m, arn);
}

function checkRedrive(m: Model, fifo: boolean, value: string): void {
  const policy = parseRedrivePolicy(value);
  if (!policy) return;
  const dlq = m.state.queues.get(policy.deadLetterTargetArn);
  const bad = (reason: string) =>
    sqsErrors.invalidParameterValue(
      `Value ${value} for parameter RedrivePolicy is invalid. Reason: ${reason}`,
    );
  if (!dlq) throw bad("Dead letter target does not exist.");
  if (dlq.fifo !== fifo)
    throw bad("Dead-letter queue must be of the same type (standard or FIFO) as the source queue.");
}

export function redrivePolicy(q: Queue): RedrivePolicy | undefined {
  const value = q.attributes.RedrivePolicy;
  return value ? parseRedrivePolicy(value) : undefined;
}

export function setAttributes(m: Model, q: Queue, attributes: Record<string, unknown>): void {
  const given = validateAttributes(attributes, q.fifo, false);
  if (given.RedrivePolicy) checkRedrive(m, q.fifo, given.RedrivePolicy);
  const merged = { ...q.attributes, ...given };
  if (given.RedrivePolicy === "") delete merged.RedrivePolicy;
  m.commit({ t: "queue", q: { ...meta(q), attributes: merged, modifiedAt: m.clock.now() } });
}

export function listQueues(m: Model, where: { region: string; accountId: string }, prefix: string): Queue[] {
  return [...m.state.queues.values()]
    .filter((q) => q.region === where.region && q.accountId === where.accountId && q.name.startsWith(prefix))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function deleteQueue(m: Model, q: Queue): void {
  m.commit({ t: "queueDeleted", arn: q.arn });
  m.waiters.wake(q.arn);
}

export interface Counts {
  visible: number;
  notVisible: number;
  delayed: number;
}

export function counts(m: Model, q: Queue): Counts {
  const now = m.clock.now();
  const retentionMs = Number(q.attributes.MessageRetentionPeriod) * 1000;
  const c: Counts = { visible: 0, notVisible: 0, delayed: 0 };
  for (const msg of q.messages.values()) {
    if (now - msg.sentAt >= retentionMs) continue;
    if (msg.visibleAt <= now) c.visible++;
    else if (msg.receiveCount > 0) c.notVisible++;
    else c.delayed++;
  }
  return c;
}

export function getAttributes(m: Model, q: Queue, names: string[]): Record<string, string> {
  const known = new Set<string>([...Object.keys(SETTABLE), ...COMPUTED, "All"]);
  for (const n of names) if (!known.has(n)) throw sqsErrors.invalidAttributeName(n);
  const all = names.includes("All");
  const want = (n: string) => all || names.includes(n);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(q.attributes)) if (want(k)) out[k] = v;
  if (want("QueueArn")) out.QueueArn = q.arn;
  if (want("CreatedTimestamp")) out.CreatedTimestamp = String(Math.floor(q.createdAt / 1000));
  if (want("LastModifiedTimestamp")) out.LastModifiedTimestamp = String(Math.floor(q.modifiedAt / 1000));
  if (
    want("ApproximateNumberOfMessages") ||
    want("ApproximateNumberOfMessagesNotVisible") ||
    want("ApproximateNumberOfMessagesDelayed")
  ) {
    const c = counts(m, q);
    if (want("ApproximateNumberOfMessages")) out.ApproximateNumberOfMessages = String(c.visible);
    if (want("ApproximateNumberOfMessagesNotVisible"))
      out.ApproximateNumberOfMessagesNotVisible = String(c.notVisible);
    if (want("ApproximateNumberOfMessagesDelayed"))
      out.ApproximateNumberOfMessagesDelayed = String(c.delayed);
  }
  return out;
}

export function tagQueue(m: Model, q: Queue, tags: Record<string, string>): void {
  const merged = { ...q.tags, ...tags };
  if (Object.keys(merged).length > MAX_TAGS)
    throw sqsErrors.invalidParameterValue(`Too many tags: at most ${MAX_TAGS}.`);
  m.commit({ t: "queue", q: { ...meta(q), tags: merged } });
}

export function untagQueue(m: Model, q: Queue, keys: string[]): void {
  const tags = { ...q.tags };
  for (const k of keys) delete tags[k];
  m.commit({ t: "queue", q: { ...meta(q), tags } });
}

export function purgeQueue(m: Model, q: Queue): void {
  const now = m.clock.now();
  if (q.lastPurgeAt !== undefined && now - q.lastPurgeAt < PURGE_INTERVAL_MS) {
    throw sqsErrors.purgeQueueInProgress(q.name);
  }
  m.commit({ t: "purged", arn: q.arn, at: now });
}

/** Queues whose RedrivePolicy names `dlq` as their dead-letter target. */
export function deadLetterSources(m: Model, dlq: Queue): Queue[] {
  return [...m.state.queues.values()]
    .filter((q) => redrivePolicy(q)?.deadLetterTargetArn === dlq.arn)
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

interface PolicyDocument {
  Version: string;
  Id?: string;
  Statement: Array<{ Sid?: string; [k: string]: unknown }>;
}

function policyOf(q: Queue): PolicyDocument {
  return q.attributes.Policy
    ? (JSON.parse(q.attributes.Policy) as PolicyDocument)
    : { Version: "2012-10-17", Id: `${q.arn}/SQSDefaultPolicy`, Statement: [] };
}

/** AddPermission writes a policy statement named by its label, as AWS does. */
export function addPermission(
  m: Model,
  q: Queue,
  label: string,
  accounts: string[],
  actions: string[],
): void {
  const policy = policyOf(q);
  if (policy.Statement.some((s) => s.Sid === label)) {
    throw sqsErrors.invalidParameterValue(
      `Value ${label} for parameter Label is invalid. Reason: Already exists.`,
    );
  }
  policy.Statement.push({
    Sid: label,
    Effect: "Allow",
    Principal: { AWS: accounts.map((a) => `arn:aws:iam::${a}:root`) },
    Action: actions.map((a) => `SQS:${a}`),
    Resource: q.arn,
  });
  m.commit({
    t: "queue",
    q: { ...meta(q), attributes: { ...q.attributes, Policy: JSON.stringify(policy) } },
  });
}

export function removePermission(m: Model, q: Queue, label: string): void {
  const policy = policyOf(q);
  const kept = policy.Statement.filter((s) => s.Sid !== label);
  if (kept.length === policy.Statement.length) {
    throw sqsErrors.invalidParameterValue(
      `Value ${label} for parameter Label is invalid. Reason: can't find label on existing policy.`,
    );
  }
  const attributes = { ...q.attributes };
  if (kept.length > 0) attributes.Policy = JSON.stringify({ ...policy, Statement: kept });
  else delete attributes.Policy;
  m.commit({ t: "queue", q: { ...meta(q), attributes } });
}
