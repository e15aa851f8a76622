/**
 * SNS state and the one reducer that changes it. Every mutation the model makes is a `Change`
 * applied here and journaled, so a restart rebuilds topics, subscriptions (with their pending
 * confirmation tokens), FIFO sequence and dedup windows, and the email outbox.
 */

export interface DedupEntry {
  messageId: string;
  sequenceNumber: string;
  expiresAt: number;
}

export interface Topic {
  arn: string;
  name: string;
  region: string;
  accountId: string;
  fifo: boolean;
  /** Attributes as set (AWS's string form); computed ones are added on read. */
  attributes: Record<string, string>;
  tags: Record<string, string>;
  createdAt: number;
  /** FIFO: last sequence number handed out. */
  sequence: number;
  /** FIFO: dedup key -> first publication, for 5 minutes. */
  dedup: Record<string, DedupEntry>;
  subscriptionsDeleted: number;
}

export type Protocol = "sqs" | "http" | "https" | "email" | "email-json";

export interface Subscription {
  arn: string;
  topicArn: string;
  protocol: Protocol;
  endpoint: string;
  owner: string;
  attributes: Record<string, string>;
  pending: boolean;
  /** Pending subscriptions: the token ConfirmSubscription and the SubscribeURL carry. */
  token?: string;
  confirmationWasAuthenticated: boolean;
  createdAt: number;
}

/** A mail the emulator would have sent (there is no mail server): see GET /_emulator/sns/outbox. */
export interface Mail {
  id: number;
  sentAt: string;
  kind: "SubscriptionConfirmation" | "Notification";
  protocol: "email" | "email-json";
  from: string;
  to: string;
  subject: string;
  body: string;
  topicArn: string;
  subscriptionArn: string;
  messageId: string;
  /** SubscriptionConfirmation: open it (GET) to confirm. */
  confirmUrl?: string;
  /** Notification: open it (GET) to unsubscribe. */
  unsubscribeUrl?: string;
}

export interface SnsState {
  topics: Map<string, Topic>;
  subscriptions: Map<string, Subscription>;
  outbox: Mail[];
  mailSeq: number;
}

export type Change =
  | { t: "topic"; topic: Topic }
  | { t: "topicDeleted"; arn: string }
  | { t: "subscription"; s: Subscription }
  | { t: "unsubscribed"; arn: string }
  | { t: "published"; topicArn: string; sequence: number; dedupKey: string; entry: DedupEntry; now: number }
  | { t: "mail"; mail: Mail; capacity: number }
  | { t: "outboxCleared" };

export function emptyState(): SnsState {
  return { topics: new Map(), subscriptions: new Map(), outbox: [], mailSeq: 0 };
}

export function apply(state: SnsState, change: Change): void {
  switch (change.t) {
    case "topic":
      state.topics.set(change.topic.arn, structuredClone(change.topic));
      return;
    case "topicDeleted":
      state.topics.delete(change.arn);
      for (const [arn, s] of state.subscriptions)
        if (s.topicArn === change.arn) state.subscriptions.delete(arn);
      return;
    case "subscription":
      state.subscriptions.set(change.s.arn, structuredClone(change.s));
      return;
    case "unsubscribed": {
      const s = state.subscriptions.get(change.arn);
      if (!s) return;
      state.subscriptions.delete(change.arn);
      const topic = state.topics.get(s.topicArn);
      if (topic) topic.subscriptionsDeleted += 1;
      return;
    }
    case "published": {
      const topic = state.topics.get(change.topicArn);
      if (!topic) return;
      topic.sequence = change.sequence;
      for (const [key, entry] of Object.entries(topic.dedup)) {
        if (entry.expiresAt <= change.now) delete topic.dedup[key];
      }
      topic.dedup[change.dedupKey] = { ...change.entry };
      return;
    }
    case "mail":
      state.outbox.push({ ...change.mail });
      state.mailSeq = Math.max(state.mailSeq, change.mail.id);
      if (state.outbox.length > change.capacity)
        state.outbox.splice(0, state.outbox.length - change.capacity);
      return;
    case "outboxCleared":
      state.outbox = [];
      return;
  }
}

export function snapshot(state: SnsState): unknown {
  return {
    topics: [...state.topics.values()],
    subscriptions: [...state.subscriptions.values()],
    outbox: state.outbox,
    mailSeq: state.mailSeq,
  };
}

export function restore(state: SnsState, data: unknown): void {
  const saved = data as {
    topics?: Topic[];
    subscriptions?: Subscription[];
    outbox?: Mail[];
    mailSeq?: number;
  };
  state.topics = new Map((saved.topics ?? []).map((t) => [t.arn, t]));
  state.subscriptions = new Map((saved.subscriptions ?? []).map((s) => [s.arn, s]));
  state.outbox = saved.outbox ?? [];
  state.mailSeq = saved.mailSeq ?? 0;
}
