/**
 * The one factory for AWS SDK v3 clients, so every service reaches AWS, LocalStack or our
 * emulator the same way. The endpoint comes from `AWS_ENDPOINT_URL_<SERVICE>` or
 * `AWS_ENDPOINT_URL` (as the SDK itself reads them); when one is set we are in local mode and
 * sign with dummy credentials. With none set, the SDK's default endpoint and credential chain
 * apply, as on AWS. Adding a service is one line: `new XClient(clientConfig("X", options))`.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { EC2Client } from "@aws-sdk/client-ec2";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { loadConfig } from "./config.ts";

export interface ClientOptions {
  /** Wins over the environment; useful in tests. */
  endpoint?: string;
  /** Defaults to `AWS_REGION`, `AWS_DEFAULT_REGION`, then config/platform.json. */
  region?: string;
  env?: NodeJS.ProcessEnv;
}

/** LocalStack's and our emulator's convention; any non-empty pair is accepted locally. */
export const LOCAL_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" } as const;

export interface BaseClientConfig {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * `envId` is the SDK's serviceId upper-cased with spaces as `_` (SQS, S3, CLOUDWATCH, SNS,
 * CLOUDWATCH_LOGS, EC2, COGNITO_IDENTITY_PROVIDER), as in `AWS_ENDPOINT_URL_<envId>`.
 */
export function clientConfig(envId: string, options: ClientOptions = {}): BaseClientConfig {
  const env = options.env ?? process.env;
  const region =
    options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? loadConfig(undefined, env).region;
  const endpoint = options.endpoint ?? endpointFromEnv(envId, env);
  // Explicit endpoint: SQS would otherwise follow queue URLs, and it makes local mode visible here.
  return endpoint ? { region, endpoint, credentials: { ...LOCAL_CREDENTIALS } } : { region };
}

/** The endpoint the SDK would take from the environment, or undefined on AWS. */
export function endpointFromEnv(envId: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === "true") return undefined;
  return env[`AWS_ENDPOINT_URL_${envId}`] || env.AWS_ENDPOINT_URL || undefined;
}

export function createSqsClient(options: ClientOptions = {}): SQSClient {
  // Without this the SDK sends each call to the QueueUrl's host, whatever the endpoint says.
  return new SQSClient({ ...clientConfig("SQS", options), useQueueUrlAsEndpoint: false });
}

export function createS3Client(options: ClientOptions = {}): S3Client {
  const config = clientConfig("S3", options);
  // Path-style locally: `<bucket>.127.0.0.1` does not resolve.
  return new S3Client({ ...config, forcePathStyle: config.endpoint !== undefined });
}

export const createCloudWatchClient = (o: ClientOptions = {}) =>
  new CloudWatchClient(clientConfig("CLOUDWATCH", o));
export const createLogsClient = (o: ClientOptions = {}) =>
  new CloudWatchLogsClient(clientConfig("CLOUDWATCH_LOGS", o));
export const createEc2Client = (o: ClientOptions = {}) => new EC2Client(clientConfig("EC2", o));
export const createSnsClient = (o: ClientOptions = {}) => new SNSClient(clientConfig("SNS", o));
