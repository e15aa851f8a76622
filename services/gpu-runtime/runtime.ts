/**
 * The GPU runtime put together: the HTTP API (server.ts), the queue worker (worker.ts) with its
 * job events and metrics, and, when enabled, the power gate (power-gate.ts, a local adapter).
 *
 * - **Gate off** (AWS): the model loads when the server listens; the worker consumes once it
 *   has loaded.
 * - **Gate on** (local): the server answers at once (/health 200 `waiting`); when the instance
 *   is `running` the model loads (/health 503 `loading`), then the worker consumes; when it is
 *   anything else the in-flight job is given back to the queue (not as a failure), the worker
 *   stops consuming and the model unloads. Changes are applied one at a time, in order.
 *
 * `main.ts` runs this as a process; tests run it in process too.
 */

import type { AddressInfo } from "node:net";
import os from "node:os";
import { GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import {
  type ClientOptions,
  createCloudWatchClient,
  createEc2Client,
  createLogsClient,
  createS3Client,
  createSqsClient,
} from "../lib/aws-clients.ts";
import type { PlatformConfig } from "../lib/config.ts";
import { LogShipper } from "../lib/log-shipper.ts";
import type { Logger } from "../lib/logger.ts";
import { MetricBatcher } from "../lib/metric-batcher.ts";
import type { InferenceBackend, ModelInfo } from "./backend.ts";
import { EngineBackend } from "./engine-backend.ts";
import { FaultyBackend } from "./fault-injection.ts";
import { JobEvents } from "./job-events.ts";
import { type GateState, PowerGate } from "./power-gate.ts";
import { createRuntimeServer, type GateView, type RuntimeServer } from "./server.ts";
import type { RuntimeSettings } from "./settings.ts";
import { type InFlight, type PowerTimeline, QueueWorker, type QueueWorkerOptions } from "./worker.ts";

export interface RuntimeOptions {
  config: PlatformConfig;
  settings: RuntimeSettings;
  logger: Logger;
  /** @defaultValue node-llama-cpp in its own process (EngineBackend) from settings, wrapped in the settings' faults, if any */
  backend?: InferenceBackend;
  /** Endpoint/region overrides for the AWS clients (tests); the environment otherwise. */
  aws?: ClientOptions;
  /** @defaultValue settings.port */
  port?: number;
  /** @defaultValue 250 */
  gatePollMs?: number;
  /** Worker tuning (tests shorten the waits). */
  worker?: Pick<QueueWorkerOptions, "waitTimeSeconds" | "heartbeatMs" | "queueDepthIntervalMs">;
  /** @defaultValue `gpu-runtime/<date>/<host>-<pid>-<random>` */
  logStream?: string;
  /** @defaultValue 5000 */
  metricFlushIntervalMs?: number;
}

export interface Runtime {
  url: string;
  port: number;
  server: RuntimeServer;
  worker: QueueWorker | undefined;
  gate: PowerGate | undefined;
  /** Gate off: resolves when the model has loaded and the worker consumes (rejects if the load failed). Gate on: resolves at once. */
  ready: Promise<ModelInfo | undefined>;
  /** Stops the gate and the worker (`inFlight`: what happens to a running job), then the server, logs and metrics. */
  close(inFlight?: InFlight): Promise<void>;
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config, settings, logger } = options;
  const now = Date.now;
  let backend: InferenceBackend =
    options.backend ??
    new EngineBackend({ ...settings.backend, logger, crashPrompt: settings.faults?.crashPrompt });
  if (settings.faults) {
    logger.warn({ faults: settings.faults }, "fault injection is on (GPU_RUNTIME_FAULTS)");
    backend = new FaultyBackend(backend, settings.faults);
  }
  const aws = options.aws ?? {};
  const gated = settings.powerGate && settings.worker.enabled;
  let gate: PowerGate | undefined;
  const gateView = (): GateView =>
    gate ? { gate: gate.state, instance: gate.instance?.state ?? "none" } : { gate: "off" };

  const server = createRuntimeServer({
    backend,
    limits: { maxTokens: settings.maxTokens, defaultMaxTokens: settings.maxTokens },
    logger,
    loadOnListen: !gated,
    gate: gateView,
  });
  const timeline: PowerTimeline = { loadStartedAt: now() };
  const address: AddressInfo = await server.listen(options.port ?? settings.port, settings.host);
  const url = `http://${address.address}:${address.port}`;

  let worker: QueueWorker | undefined;
  let shipper: LogShipper | undefined;
  let metrics: MetricBatcher | undefined;
  let ready: Promise<ModelInfo | undefined> = gated ? Promise.resolve(undefined) : server.ready;
  try {
    if (settings.worker.enabled) {
      const sqs = createSqsClient(aws);
      shipper = new LogShipper({
        logs: createLogsClient(aws),
        group: config.logs.jobLogGroup,
        stream: options.logStream ?? defaultStreamName(),
        logger,
      });
      await shipper.start();
      metrics = new MetricBatcher({
        cloudwatch: createCloudWatchClient(aws),
        namespace: config.metricNamespace,
        logger,
        flushIntervalMs: options.metricFlushIntervalMs ?? 5000,
      });
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: config.queues.jobs.name }));
      if (!QueueUrl) throw new Error(`GetQueueUrl ${config.queues.jobs.name} returned no QueueUrl`);
      const w = new QueueWorker({
        sqs,
        s3: createS3Client(aws),
        bucket: config.bucket,
        queueUrl: QueueUrl,
        backend,
        events: new JobEvents({ shipper, logger }),
        metrics,
        logger,
        retryDelaySeconds: settings.worker.retryDelaySeconds,
        ...options.worker,
        timeline: () => ({
          ...timeline,
          ...(gate ? { bootStartedAt: gate.instance?.launchTime, runningAt: gate.runningAt } : {}),
        }),
      });
      worker = w;
      if (gated) {
        await w.start({ paused: true });
        gate = new PowerGate({
          ec2: createEc2Client(aws),
          nameTag: config.gpu.nameTag,
          pollMs: options.gatePollMs ?? 250,
          logger,
          onChange: (state) => follow(state),
        });
        ready = Promise.resolve(undefined);
      } else {
        ready = server.ready.then(async (info) => {
          timeline.loadedAt = now();
          await w.start();
          return info;
        });
      }
    }
  } catch (err) {
    await server.close().catch(() => {});
    await shipper?.close(1000);
    throw err;
  }
  ready.catch(() => {});

  // The gate's changes, applied one at a time: each step looks at the latest wanted state.
  let wanted: GateState = "waiting";
  let powered: "off" | "on" | "failed" = "off";
  let closing = false;
  let steps: Promise<void> = Promise.resolve();
  function follow(state: GateState): void {
    wanted = state;
    steps = steps.then(step).catch((err: unknown) => logger.error({ err }, "power gate step failed"));
  }
  async function step(): Promise<void> {
    if (closing || !worker) return;
    if (wanted === "running" && powered !== "on") {
      timeline.loadStartedAt = now();
      timeline.loadedAt = undefined;
      logger.info("GPU instance running: loading the model");
      try {
        const info = await server.load();
        timeline.loadedAt = now();
        powered = "on";
        worker.resume();
        logger.info(
          { backend: info.backend, model: info.id, loadMs: info.loadMs },
          "model loaded: consuming the job queue",
        );
      } catch {
        powered = "failed"; // /health says why; the next start tries again
      }
    } else if (wanted === "waiting" && powered !== "off") {
      logger.info("GPU instance not running: giving back the in-flight job and unloading the model");
      await worker.pause("release");
      await server.unload();
      powered = "off";
      logger.info("model unloaded; waiting for the GPU instance");
    }
  }
  await gate?.start();

  return {
    url,
    port: address.port,
    server,
    worker,
    gate,
    ready,
    async close(inFlight: InFlight = settings.worker.onStop) {
      closing = true;
      gate?.stop();
      await steps;
      await worker?.stop(inFlight);
      await server.close();
      await Promise.all([shipper?.close(), metrics?.close()]);
    },
  };
}

function defaultStreamName(): string {
  const day = new Date().toISOString().slice(0, 10);
  const host = os.hostname().replace(/[^\w.-]/g, "_");
  return `gpu-runtime/${day}/${host}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
