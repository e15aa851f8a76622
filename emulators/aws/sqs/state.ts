/**
 * SQS state and the one reducer that changes it. Every mutation the model makes is a `Change`
 * applied here; the journal stores the same changes, so replaying them after a crash rebuilds
 * exactly what clients were told. Nothing here validates: the model decides, this records.
 */
import type { MessageAttributeValue } from "./md5.ts";

export interface Message {
  id: string;
  body: string;
  md5Body: string;
  attributes?: Record<string, MessageAttributeValue>;
  md5Attributes?: string;
  systemAttributes?: Record<string, MessageAttributeValue>;
  md5SystemAttributes?: string;
  senderId: string;
  sentAt: number;
  /** Not deliverable before this (delay, or visibility timeout after a receive). */
  visibleAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
  lastReceiveAt?: number;
  /** The most recent receipt handle; older ones are stale. */
  receipt?: string;
  groupId?: string;
  dedupId?: string;
  sequenceNumber?: string;
  deadLetterSourceArn?: string;
}

export interface DedupEntry {
  messageId: string;
  sequenceNumber?: string;
  expiresAt: number;
}

export interface Queue {
  arn: string;
  name: string;
  accountId: string;
  region: string;
  fifo: boolean;
  /** Configured attributes in AWS's string form (VisibilityTimeout: "30", ...). */
  attributes: Record<string, string>;
  tags: Record<string, string>;
  createdAt: number;
  modifiedAt: number;
  lastPurgeAt?: number;
  /** Last FIFO sequence number handed out. */
  sequence: number;
  /** Every undeleted message, in send order. */
  messages: Map<string, Message>;
  /** FIFO only: each group's messages in order. */
  groups: Map<string, Message[]>;
  dedup: Map<string, DedupEntry>;
}

export interface MoveTask {
  taskId: string;
  handle: string;
  sourceArn: string;
  destinationArn?: string;
  maxPerSecond?: number;
  status: "RUNNING" | "COMPLETED" | "CANCELLING" | "CANCELLED" | "FAILED";
  moved: number;
  toMove: number;
  startedAt: number;
  failureReason?: string;
}

export interface SqsState {
  queues: Map<string, Queue>;
  tasks: MoveTask[];
}

export type QueueMeta = Omit<Queue, "messages" | "groups" | "dedup">;

export type Change =
  | { t: "queue"; q: QueueMeta }
  | { t: "queueDeleted"; arn: string }
  | { t: "purged"; arn: string; at: number }
  | { t: "sent"; arn: string; m: Message; dedupKey?: string; dedupExpiresAt?: number; sequence?: number }
  | { t: "received"; arn: string; id: string; rc: number; vis: number; at: number; rh: string }
  | { t: "visibility"; arn: string; id: string; vis: number }
  | { t: "deleted"; arn: string; id: string }
  /** deadLetter: into a DLQ keeping counts; otherwise a redrive back that starts the message afresh. */
  | { t: "moved"; from: string; to: string; id: string; at: number; deadLetter: boolean }
  | { t: "task"; task: MoveTask };

export function emptyState(): SqsState {
  return { queues: new Map(), tasks: [] };
}

function newQueue(meta: QueueMeta): Queue {
  return { ...meta, messages: new Map(), groups: new Map(), dedup: new Map() };
}

function addMessage(queue: Queue, m: Message): void {
  queue.messages.set(m.id, m);
  if (queue.fifo && m.groupId !== undefined) {
    const group = queue.groups.get(m.groupId);
    if (group) group.push(m);
    else queue.groups.set(m.groupId, [m]);
  }
}

function removeMessage(queue: Queue, id: string): Message | undefined {
  const m = queue.messages.get(id);
  if (!m) return undefined;
  queue.messages.delete(id);
  if (queue.fifo && m.groupId !== undefined) {
    const group = queue.groups.get(m.groupId);
    if (group) {
      const at = group.indexOf(m);
      if (at >= 0) group.splice(at, 1);
      if (group.length === 0) queue.groups.delete(m.groupId);
    }
  }
  return m;
}

export function apply(state: SqsState, change: Change): void {
  switch (change.t) {
    case "queue": {
      const existing = state.queues.get(change.q.arn);
      if (existing) Object.assign(existing, change.q);
      else state.queues.set(change.q.arn, newQueue(change.q));
      return;
    }
    case "queueDeleted":
      state.queues.delete(change.arn);
      return;
    case "purged": {
      const q = state.queues.get(change.arn);
      if (!q) return;
      q.messages.clear();
      q.groups.clear();
      q.lastPurgeAt = change.at;
      return;
    }
    case "sent": {
      const q = state.queues.get(change.arn);
      if (!q) return;
      addMessage(q, change.m); // the model built it for this change alone; no copy needed
      if (change.sequence !== undefined) q.sequence = change.sequence;
      if (change.dedupKey !== undefined && change.dedupExpiresAt !== undefined) {
        q.dedup.set(change.dedupKey, {
          messageId: change.m.id,
          sequenceNumber: change.m.sequenceNumber,
          expiresAt: change.dedupExpiresAt,
        });
      }
      return;
    }
    case "received": {
      const m = state.queues.get(change.arn)?.messages.get(change.id);
      if (!m) return;
      m.receiveCount = change.rc;
      m.visibleAt = change.vis;
      m.firstReceiveAt ??= change.at;
      m.lastReceiveAt = change.at;
      m.receipt = change.rh;
      return;
    }
    case "visibility": {
      const m = state.queues.get(change.arn)?.messages.get(change.id);
      if (m) m.visibleAt = change.vis;
      return;
    }
    case "deleted": {
      const q = state.queues.get(change.arn);
      if (q) removeMessage(q, change.id);
      return;
    }
    case "moved": {
      const from = state.queues.get(change.from);
      const to = state.queues.get(change.to);
      if (!from || !to) return;
      const m = removeMessage(from, change.id);
      if (!m) return;
      if (change.deadLetter) {
        addMessage(to, { ...m, receipt: undefined, visibleAt: change.at, deadLetterSourceArn: change.from });
      } else {
        const { receipt: _r, firstReceiveAt: _f, lastReceiveAt: _l, deadLetterSourceArn: _d, ...rest } = m;
        addMessage(to, { ...rest, receiveCount: 0, visibleAt: change.at, sentAt: change.at });
      }
      return;
    }
    case "task": {
      const at = state.tasks.findIndex((t) => t.taskId === change.task.taskId);
      if (at >= 0) state.tasks[at] = { ...change.task };
      else state.tasks.push({ ...change.task });
      return;
    }
  }
}

/** JSON form for the snapshot: maps become arrays, FIFO groups are rebuilt from send order. */
export function snapshot(state: SqsState): unknown {
  return {
    queues: [...state.queues.values()].map(({ messages, groups: _g, dedup, ...meta }) => ({
      meta,
      messages: [...messages.values()],
      dedup: [...dedup.entries()],
    })),
    tasks: state.tasks,
  };
}

export function restore(state: SqsState, data: unknown): void {
  const saved = data as {
    queues: Array<{ meta: QueueMeta; messages: Message[]; dedup: Array<[string, DedupEntry]> }>;
    tasks: MoveTask[];
  };
  state.queues.clear();
  for (const { meta, messages, dedup } of saved.queues) {
    const q = newQueue(meta);
    for (const m of messages) addMessage(q, m);
    for (const [k, v] of dedup) q.dedup.set(k, v);
    state.queues.set(q.arn, q);
  }
  state.tasks = saved.tasks ?? [];
}
