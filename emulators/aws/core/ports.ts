/**
 * How emulated services reach each other without importing each other (SNS delivers to SQS,
 * alarms publish to SNS, SQS and Logs metric filters feed CloudWatch). Each service provides the
 * ports it owns; the server wires them, so a service only sees this interface.
 */
import { AwsError } from "./aws-error.ts";

export interface Where {
  region: string;
  accountId: string;
}

export interface MetricDatum {
  MetricName: string;
  Dimensions?: Array<{ Name: string; Value: string }>;
  Value?: number;
  Values?: number[];
  Counts?: number[];
  StatisticValues?: { SampleCount: number; Sum: number; Minimum: number; Maximum: number };
  Unit?: string;
  /** epoch ms; now when absent */
  Timestamp?: number;
  StorageResolution?: number;
}

export interface QueueDelivery {
  body: string;
  attributes?: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
  groupId?: string;
  dedupId?: string;
}

export interface Publication {
  message: string;
  subject?: string;
  attributes?: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
  groupId?: string;
  dedupId?: string;
}

export interface Ports {
  putMetricData(where: Where, namespace: string, data: MetricDatum[]): void;
  /** Returns the message id; throws AwsError when the topic does not exist. */
  publish(topicArn: string, publication: Publication): string;
  /** Throws AwsError when the queue does not exist. */
  sendToQueue(queueArn: string, delivery: QueueDelivery): void;
}

/** Ports whose owner is not running answer with an error rather than silently dropping work. */
export function createPorts(): { ports: Ports; provide(partial: Partial<Ports>): void } {
  const provided: Partial<Ports> = {};
  const missing = (port: string) =>
    new AwsError("InternalFailure", `No emulated service provides ${port}.`, { status: 500 });
  const ports: Ports = {
    putMetricData: (where, namespace, data) => provided.putMetricData?.(where, namespace, data),
    publish: (topicArn, publication) => {
      if (!provided.publish) throw missing("publish");
      return provided.publish(topicArn, publication);
    },
    sendToQueue: (queueArn, delivery) => {
      if (!provided.sendToQueue) throw missing("sendToQueue");
      provided.sendToQueue(queueArn, delivery);
    },
  };
  return { ports, provide: (partial) => Object.assign(provided, partial) };
}
