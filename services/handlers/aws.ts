/**
 * What every handler needs: the config, the AWS clients (from services/lib/aws-clients.ts), a
 * logger and a clock. A handler module builds one set at module scope, as a Lambda keeps its
 * clients across warm invocations; tests and the gateway build their own with an endpoint.
 */
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { EC2Client } from "@aws-sdk/client-ec2";
import type { S3Client } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from "@aws-sdk/client-sqs";
import {
  type ClientOptions,
  createCloudWatchClient,
  createEc2Client,
  createLogsClient,
  createS3Client,
  createSqsClient,
} from "../lib/aws-clients.ts";
import { loadConfig, type PlatformConfig } from "../lib/config.ts";
import { createLogger, type Logger } from "../lib/logger.ts";

export interface HandlerDeps {
  config: PlatformConfig;
  sqs: SQSClient;
  ec2: EC2Client;
  s3: S3Client;
  cloudwatch: CloudWatchClient;
  logs: CloudWatchLogsClient;
  logger: Logger;
  /** @defaultValue Date.now */
  now?: () => number;
}

export interface DepsOptions {
  config?: PlatformConfig;
  logger?: Logger;
  /** Endpoint and region for the clients; the environment otherwise (AWS_ENDPOINT_URL, as everywhere). */
  aws?: ClientOptions;
}

/** Clients for every AWS service a handler touches; nothing is sent until a handler runs. */
export function handlerDeps(name: string, options: DepsOptions = {}): HandlerDeps {
  const aws = options.aws ?? {};
  return {
    config: options.config ?? loadConfig(),
    sqs: createSqsClient(aws),
    ec2: createEc2Client(aws),
    s3: createS3Client(aws),
    cloudwatch: createCloudWatchClient(aws),
    logs: createLogsClient(aws),
    logger: options.logger ?? createLogger(name),
  };
}

const urls = new WeakMap<SQSClient, Map<string, Promise<string>>>();

/** The queue's URL, looked up once per client (a failed lookup is retried on the next call). */
export function queueUrl(sqs: SQSClient, name: string): Promise<string> {
  const byName = urls.get(sqs) ?? new Map<string, Promise<string>>();
  urls.set(sqs, byName);
  let url = byName.get(name);
  if (!url) {
    url = sqs.send(new GetQueueUrlCommand({ QueueName: name })).then(({ QueueUrl }) => {
      if (!QueueUrl) throw new Error(`GetQueueUrl ${name} returned no QueueUrl`);
      return QueueUrl;
    });
    byName.set(name, url);
    url.catch(() => byName.delete(name));
  }
  return url;
}

export interface QueueCounts {
  /** ApproximateNumberOfMessages: waiting to be received. */
  visible: number;
  /** ApproximateNumberOfMessagesNotVisible: received and not yet deleted (in flight). */
  inFlight: number;
  /** ApproximateNumberOfMessagesDelayed. */
  delayed: number;
}

export async function queueCounts(sqs: SQSClient, name: string): Promise<QueueCounts> {
  const { Attributes: a = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: await queueUrl(sqs, name),
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
      ],
    }),
  );
  return {
    visible: Number(a.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
