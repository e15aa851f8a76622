/**
 * Builds and runs a gateway: AWS clients (services/lib/aws-clients.ts), the ID-token verifier,
 * the throttle store, the access-log shipper (its own stream in the access log group) and the
 * breach-metric batcher, wired into app.ts and listening on `port`. `close()` stops accepting,
 * then flushes the logs and metrics, so a graceful stop loses nothing.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import type { Express } from "express";
import {
  type ClientOptions,
  createCloudWatchClient,
  createEc2Client,
  createLogsClient,
  createS3Client,
  createSqsClient,
} from "../lib/aws-clients.ts";
import type { PlatformConfig } from "../lib/config.ts";
import type { Job } from "../lib/job.ts";
import { LogShipper } from "../lib/log-shipper.ts";
import { createLogger, type Logger } from "../lib/logger.ts";
import { MetricBatcher } from "../lib/metric-batcher.ts";
import { createApp } from "./app.ts";
import { GpuInstances } from "./gpu-instance.ts";
import { JobQueue } from "./job-queue.ts";
import { createIdTokenVerifier, type IdTokenVerifier } from "./jwt-auth.ts";
import { MemorySlidingLogStore, type ThrottleStore } from "./throttle-store.ts";

export const BREACH_METRIC = "ApiRateLimitBreaches";

export interface GatewayOptions {
  config: PlatformConfig;
  /** @defaultValue "127.0.0.1" */
  host?: string;
  /** 0 picks a free port. @defaultValue config.ports.gateway */
  port?: number;
  /** The Cognito issuer (`<base>/<userPoolId>`). */
  issuer: string;
  /** @defaultValue `<issuer>/.well-known/jwks.json` */
  jwksUrl?: string;
  /** Accepted app client ids. @defaultValue every client in config.cognito.clients */
  audience?: string[];
  /** Endpoint/region overrides for the AWS clients (tests); the environment otherwise. */
  aws?: ClientOptions;
  logger?: Logger;
  /** @defaultValue Date.now */
  now?: () => number;
  /** @defaultValue an in-memory sliding log with config.limits */
  throttleStore?: ThrottleStore;
  /** Overrides config.limits (the benchmark raises them). */
  limits?: Partial<PlatformConfig["limits"]>;
  onEnqueue?: (job: Job) => void | Promise<void>;
  /** @defaultValue `gateway/<date>/<host>-<pid>-<random>` */
  logStream?: string;
  /** @defaultValue 1000 */
  logFlushIntervalMs?: number;
  /** @defaultValue 5000 */
  metricFlushIntervalMs?: number;
  /** How long /ping reuses one reading of the queue and GPU. @defaultValue 1000 */
  pingCacheMs?: number;
}

export interface Gateway {
  url: string;
  port: number;
  app: Express;
  verifier: IdTokenVerifier;
  accessLogs: LogShipper;
  metrics: MetricBatcher;
  close(): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config } = options;
  const logger = options.logger ?? createLogger("gateway");
  const now = options.now ?? Date.now;
  const limits = { ...config.limits, ...options.limits };
  const aws = options.aws ?? {};

  const accessLogs = new LogShipper({
    logs: createLogsClient(aws),
    group: config.logs.accessLogGroup,
    stream: options.logStream ?? defaultStreamName(),
    logger,
    flushIntervalMs: options.logFlushIntervalMs ?? 1000,
  });
  await accessLogs.start();
  const metrics = new MetricBatcher({
    cloudwatch: createCloudWatchClient(aws),
    namespace: config.metricNamespace,
    logger,
    flushIntervalMs: options.metricFlushIntervalMs ?? 5000,
    now,
  });
  const verifier = createIdTokenVerifier({
    issuer: options.issuer,
    audience: options.audience ?? config.cognito.clients.map((c) => c.clientId),
    ...(options.jwksUrl ? { jwksUrl: options.jwksUrl } : {}),
  });

  const app = createApp({
    logger,
    verifier,
    allowedOrigins: config.gateway.allowedOrigins,
    throttleStore:
      options.throttleStore ??
      new MemorySlidingLogStore([
        { windowMs: 1000, limit: limits.burstPerSecond },
        { windowMs: 60_000, limit: limits.requestsPerMinute },
      ]),
    burstLimit: limits.burstPerSecond,
    maxBodyBytes: limits.maxRequestBodyBytes,
    maxTokens: limits.maxTokens,
    model: config.gateway.model,
    jobs: new JobQueue({
      s3: createS3Client(aws),
      sqs: createSqsClient(aws),
      bucket: config.bucket,
      queueName: config.queues.jobs.name,
      idleTimeSeconds: config.gpu.idleStopSeconds,
    }),
    gpu: new GpuInstances(createEc2Client(aws), config.gpu.nameTag),
    accessLogSink: (line, at) => accessLogs.push(line, at),
    onRateLimitBreach: () => metrics.add(BREACH_METRIC),
    now,
    ...(options.onEnqueue ? { onEnqueue: options.onEnqueue } : {}),
    ...(options.pingCacheMs !== undefined ? { pingCacheMs: options.pingCacheMs } : {}),
  });

  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? config.ports.gateway, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  logger.info({ url, issuer: options.issuer, logStream: accessLogs.stream }, "gateway listening");

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    app,
    verifier,
    accessLogs,
    metrics,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          // In-flight requests get a moment; then their sockets go.
          setTimeout(() => server.closeAllConnections(), 2000).unref();
        });
        await Promise.all([accessLogs.close(), metrics.close()]);
      })();
      return closing;
    },
  };
}

function defaultStreamName(): string {
  const day = new Date().toISOString().slice(0, 10);
  const host = os.hostname().replace(/[^\w.-]/g, "_");
  return `gateway/${day}/${host}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
