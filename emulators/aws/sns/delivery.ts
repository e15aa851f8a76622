/**
 * Fan-out of a published message to its subscriptions: SQS through the `sendToQueue` port and
 * email to the outbox before Publish answers (both are in-process and journaled with it), HTTP/S
 * by POST with AWS's headers and retry policy after it (never blocking it). A failure is counted and kept in a short log (`GET
 * /_emulator/sns/deliveries`); nothing here throws into the server.
 *
 * HTTP/S outcome (AWS: "SNS only retries on server-side errors"): 2xx delivers; 429, 5xx, a
 * connection error or a 15-s timeout is retried by the delivery policy; other 4xx are final.
 */

import { randomUUID } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { Ports } from "../core/ports.ts";
import {
  confirmationDocument,
  confirmationMail,
  notificationDocument,
  notificationMail,
} from "./envelope.ts";
import { matchesAttributes, matchesBody, parseFilterPolicy, type Scope } from "./filter-policy.ts";
import { DELIVERY_POLICY_SECOND_MS, HTTP_TIMEOUT_MS, OUTBOX_CAPACITY } from "./limits.ts";
import { effectiveDeliveryPolicy, type Model, type RetryPolicy } from "./model.ts";
import { messageFor, type Notification } from "./publish.ts";
import type { Subscription, Topic } from "./state.ts";

export interface DeliveryStats {
  delivered: number;
  failed: number;
  retries: number;
  filteredOut: number;
}

export interface DeliveryLogEntry {
  at: string;
  subscriptionArn: string;
  protocol: string;
  endpoint: string;
  messageId: string;
  outcome: "delivered" | "retrying" | "failed";
  detail?: string;
  attempt: number;
}

const LOG_CAPACITY = 200;

export interface Delivery {
  stats: DeliveryStats;
  log: DeliveryLogEntry[];
  /** Schedules fan-out of `n` to `topic`'s confirmed subscriptions. */
  publish(topic: Topic, n: Notification, base: string): void;
  /** Sends what a new pending subscription needs: a confirmation POST or mail. */
  requestConfirmation(topic: Topic, s: Subscription, base: string): void;
  close(): void;
}

/** Delays (in policy seconds) before each retry, by AWS's four phases. */
export function retryDelays(p: RetryPolicy): number[] {
  const delays: number[] = [];
  for (let i = 0; i < p.numNoDelayRetries; i++) delays.push(0);
  for (let i = 0; i < p.numMinDelayRetries; i++) delays.push(p.minDelayTarget);
  const backoff = Math.max(
    0,
    p.numRetries - p.numNoDelayRetries - p.numMinDelayRetries - p.numMaxDelayRetries,
  );
  for (let k = 1; k <= backoff; k++) {
    const f = k / backoff;
    const span = p.maxDelayTarget - p.minDelayTarget;
    const shape =
      p.backoffFunction === "exponential"
        ? (2 ** (f * 10) - 1) / (2 ** 10 - 1)
        : p.backoffFunction === "geometric"
          ? f ** 3
          : p.backoffFunction === "arithmetic"
            ? f ** 2
            : f;
    delays.push(p.minDelayTarget + span * shape);
  }
  for (let i = 0; i < p.numMaxDelayRetries; i++) delays.push(p.maxDelayTarget);
  return delays.slice(0, p.numRetries);
}

function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    const target = new URL(url);
    const lib = target.protocol === "https:" ? https : http;
    const req = lib.request(
      target,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        timeout: HTTP_TIMEOUT_MS,
        signal,
        // Local HTTPS endpoints use self-signed certificates; AWS would insist on a trusted one.
        ...(target.protocol === "https:" && { rejectUnauthorized: false }),
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
        res.on("error", (err) => resolve({ error: err.message }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${HTTP_TIMEOUT_MS} ms`)));
    req.on("error", (err) => resolve({ error: err.message }));
    req.end(body);
  });
}

export function createDelivery(m: Model, ports: Ports): Delivery {
  const stats: DeliveryStats = { delivered: 0, failed: 0, retries: 0, filteredOut: 0 };
  const log: DeliveryLogEntry[] = [];
  const abort = new AbortController();
  const timers = new Set<NodeJS.Timeout>();

  const note = (
    s: Subscription,
    messageId: string,
    outcome: DeliveryLogEntry["outcome"],
    attempt: number,
    detail?: string,
  ) => {
    if (outcome === "delivered") stats.delivered++;
    else if (outcome === "failed") stats.failed++;
    else stats.retries++;
    log.push({
      at: new Date(m.clock.now()).toISOString(),
      subscriptionArn: s.arn,
      protocol: s.protocol,
      endpoint: s.endpoint,
      messageId,
      outcome,
      attempt,
      ...(detail !== undefined && { detail }),
    });
    if (log.length > LOG_CAPACITY) log.splice(0, log.length - LOG_CAPACITY);
  };

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    timers.add(timer);
  };

  /** POSTs with retries per the subscription's effective delivery policy. */
  function postWithRetries(
    topic: Topic,
    s: Subscription,
    messageId: string,
    type: string,
    body: string,
    raw: boolean,
  ): void {
    const policy = effectiveDeliveryPolicy(topic, s);
    const delays = retryDelays(policy.healthyRetryPolicy);
    const headers: Record<string, string> = {
      "content-type": policy.requestPolicy.headerContentType,
      "user-agent": "Amazon Simple Notification Service Agent",
      "x-amz-sns-message-type": type,
      "x-amz-sns-message-id": messageId,
      "x-amz-sns-topic-arn": topic.arn,
      ...(type !== "SubscriptionConfirmation" && { "x-amz-sns-subscription-arn": s.arn }),
      ...(raw && { "x-amz-sns-rawdelivery": "true" }),
    };
    const attempt = (n: number) => {
      if (abort.signal.aborted) return;
      post(s.endpoint, headers, body, abort.signal).then((result) => {
        if (abort.signal.aborted) return;
        const status = "status" in result ? result.status : 0;
        const detail = "error" in result ? result.error : `HTTP ${status}`;
        if (status >= 200 && status < 300) return note(s, messageId, "delivered", n);
        const retryable = status === 0 || status === 429 || status >= 500;
        const delay = delays[n - 1];
        if (!retryable || delay === undefined) return note(s, messageId, "failed", n, detail);
        note(s, messageId, "retrying", n, detail);
        later(delay * DELIVERY_POLICY_SECOND_MS, () => attempt(n + 1));
      });
    };
    attempt(1);
  }

  function mail(
    s: Subscription,
    messageId: string,
    kind: "SubscriptionConfirmation" | "Notification",
    parts: {
      from: string;
      subject: string;
      body: string;
      confirmUrl?: string;
      unsubscribeUrl?: string;
    },
    timestamp: string,
  ): void {
    m.commit({
      t: "mail",
      capacity: OUTBOX_CAPACITY,
      mail: {
        id: m.state.mailSeq + 1,
        sentAt: timestamp,
        kind,
        protocol: s.protocol as "email" | "email-json",
        to: s.endpoint,
        topicArn: s.topicArn,
        subscriptionArn: s.pending ? "PendingConfirmation" : s.arn,
        messageId,
        ...parts,
      },
    });
    note(s, messageId, "delivered", 1);
  }

  function wanted(s: Subscription, n: Notification): boolean {
    const text = s.attributes.FilterPolicy;
    if (!text) return true;
    const scope = (s.attributes.FilterPolicyScope as Scope | undefined) ?? "MessageAttributes";
    const policy = parseFilterPolicy(text, scope);
    if (!policy) return true;
    if (scope === "MessageAttributes") return matchesAttributes(policy, n.attributes);
    try {
      return matchesBody(policy, JSON.parse(n.message));
    } catch {
      return false;
    }
  }

  function deliverOne(topic: Topic, s: Subscription, n: Notification, base: string): void {
    const raw = s.attributes.RawMessageDelivery === "true";
    switch (s.protocol) {
      case "sqs": {
        const fifoQueue = s.endpoint.endsWith(".fifo");
        try {
          ports.sendToQueue(s.endpoint, {
            body: raw ? messageFor(n, "sqs") : JSON.stringify(notificationDocument(topic, n, s, base)),
            ...(raw && Object.keys(n.attributes).length > 0 && { attributes: n.attributes }),
            ...(n.groupId !== undefined && { groupId: n.groupId }),
            ...(fifoQueue && n.dedupId !== undefined && { dedupId: n.dedupId }),
          });
          note(s, n.messageId, "delivered", 1);
        } catch (err) {
          note(
            s,
            n.messageId,
            "failed",
            1,
            err instanceof Error ? `${err.name}: ${err.message}` : String(err),
          );
        }
        return;
      }
      case "http":
      case "https": {
        const body = raw
          ? messageFor(n, s.protocol)
          : JSON.stringify(notificationDocument(topic, n, s, base));
        postWithRetries(topic, s, n.messageId, "Notification", body, raw);
        return;
      }
      case "email":
      case "email-json":
        mail(s, n.messageId, "Notification", notificationMail(topic, n, s, base), n.timestamp);
        return;
    }
  }

  return {
    stats,
    log,
    publish(topic, n, base) {
      // SQS and email deliveries are in-process state changes: made before Publish answers, they
      // are journaled with it, so a kill right after the answer loses nothing. HTTP goes out after.
      for (const s of m.state.subscriptions.values()) {
        if (s.topicArn !== topic.arn || s.pending) continue;
        try {
          if (!wanted(s, n)) {
            stats.filteredOut++;
            continue;
          }
          if (s.protocol === "http" || s.protocol === "https") {
            setImmediate(() => {
              if (!abort.signal.aborted) deliverOne(topic, s, n, base);
            });
          } else {
            deliverOne(topic, s, n, base);
          }
        } catch (err) {
          note(s, n.messageId, "failed", 1, err instanceof Error ? err.message : String(err));
        }
      }
    },
    requestConfirmation(topic, s, base) {
      const messageId = randomUUID();
      const timestamp = new Date(m.clock.now()).toISOString();
      if (s.protocol === "email" || s.protocol === "email-json") {
        mail(
          s,
          messageId,
          "SubscriptionConfirmation",
          confirmationMail(topic, s, messageId, timestamp, base),
          timestamp,
        );
        return;
      }
      if (s.protocol === "http" || s.protocol === "https") {
        const body = JSON.stringify(confirmationDocument(topic, s, messageId, timestamp, base));
        setImmediate(() => postWithRetries(topic, s, messageId, "SubscriptionConfirmation", body, false));
      }
    },
    close() {
      abort.abort();
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
