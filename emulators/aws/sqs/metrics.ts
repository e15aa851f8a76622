/**
 * The AWS/SQS metrics of every queue, published to CloudWatch through the ports on an interval:
 * the approximate gauges, the age of the oldest message, and the counters of the interval. As on
 * AWS, a message that redrive moves to a DLQ is not counted as sent to it.
 */
import type { MetricDatum, Ports } from "../core/ports.ts";
import { counts, type Model } from "./model.ts";

export type Counter =
  | "NumberOfMessagesSent"
  | "NumberOfMessagesReceived"
  | "NumberOfMessagesDeleted"
  | "NumberOfEmptyReceives";
const COUNTERS: Counter[] = [
  "NumberOfMessagesSent",
  "NumberOfMessagesReceived",
  "NumberOfMessagesDeleted",
  "NumberOfEmptyReceives",
];

export interface QueueStats {
  count(arn: string, counter: Counter, n?: number): void;
  sentBytes(arn: string, bytes: number): void;
}

export function createStats(): QueueStats & {
  drain(arn: string): { counters: Record<Counter, number>; sizes: number[] };
} {
  const byQueue = new Map<string, { counters: Record<Counter, number>; sizes: number[] }>();
  const entry = (arn: string) => {
    let e = byQueue.get(arn);
    if (!e) {
      e = { counters: Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>, sizes: [] };
      byQueue.set(arn, e);
    }
    return e;
  };
  return {
    count: (arn, counter, n = 1) => {
      entry(arn).counters[counter] += n;
    },
    sentBytes: (arn, bytes) => {
      entry(arn).sizes.push(bytes);
    },
    drain(arn) {
      const e = entry(arn);
      byQueue.delete(arn);
      return e;
    },
  };
}

/** One publication of every queue's metrics; the timer lives in index.ts. */
export function publishQueueMetrics(m: Model, stats: ReturnType<typeof createStats>, ports: Ports): void {
  const now = m.clock.now();
  for (const q of m.state.queues.values()) {
    const c = counts(m, q);
    let oldest = now;
    for (const msg of q.messages.values()) if (msg.sentAt < oldest) oldest = msg.sentAt;
    const { counters, sizes } = stats.drain(q.arn);
    const dimensions = [{ Name: "QueueName", Value: q.name }];
    const datum = (MetricName: string, Value: number, Unit: string): MetricDatum => ({
      MetricName,
      Dimensions: dimensions,
      Value,
      Unit,
      Timestamp: now,
    });
    const data: MetricDatum[] = [
      datum("ApproximateNumberOfMessagesVisible", c.visible, "Count"),
      datum("ApproximateNumberOfMessagesNotVisible", c.notVisible, "Count"),
      datum("ApproximateNumberOfMessagesDelayed", c.delayed, "Count"),
      datum("ApproximateAgeOfOldestMessage", Math.floor((now - oldest) / 1000), "Seconds"),
      ...COUNTERS.map((name) => datum(name, counters[name], "Count")),
    ];
    if (sizes.length > 0) {
      data.push({
        MetricName: "SentMessageSize",
        Dimensions: dimensions,
        StatisticValues: {
          SampleCount: sizes.length,
          Sum: sizes.reduce((a, b) => a + b, 0),
          Minimum: Math.min(...sizes),
          Maximum: Math.max(...sizes),
        },
        Unit: "Bytes",
        Timestamp: now,
      });
    }
    ports.putMetricData({ region: q.region, accountId: q.accountId }, "AWS/SQS", data);
  }
}
