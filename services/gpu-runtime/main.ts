/**
 * Starts the GPU runtime: `node services/gpu-runtime/main.ts`. It listens at once (so /health
 * answers while the model loads), loads the model, logs `ready`, and consumes the job queue
 * (runtime.ts). With GPU_RUNTIME_POWER_GATE on (`make dev`) it loads and consumes only while its
 * emulated EC2 instance runs. A model that can't load (e.g. backend cuda without CUDA) ends the
 * process with status 1 and the reason (gate off; with the gate, /health says why).
 * SIGINT/SIGTERM (or the launcher going away) stop it cleanly: no new requests or jobs, the
 * running job is given back to the queue (GPU_RUNTIME_ON_STOP=finish: completed first), the
 * model unloads, job events and metrics are flushed.
 */
import { loadConfig } from "../lib/config.ts";
import { LogGroupMissingError } from "../lib/log-shipper.ts";
import { createLogger } from "../lib/logger.ts";
import { stopWithLauncher } from "../lib/process-lifecycle.ts";
import { type Runtime, startRuntime } from "./runtime.ts";
import { resolveSettings } from "./settings.ts";

const logger = createLogger("gpu-runtime");

async function main(): Promise<void> {
  const config = loadConfig();
  const settings = await resolveSettings(config);
  let runtime: Runtime;
  try {
    runtime = await startRuntime({ config, settings, logger });
  } catch (err) {
    const why =
      err instanceof LogGroupMissingError
        ? err.message
        : `the runtime did not start: ${(err as Error).message}`;
    logger.fatal({ err }, why);
    process.exit(1);
  }
  const { url } = runtime;
  logger.info(
    {
      url,
      model: settings.backend.modelPath,
      worker: settings.worker.enabled,
      powerGate: runtime.gate ? runtime.gate.state : "off",
    },
    runtime.gate ? "listening; the model loads when the GPU instance runs" : "listening, loading the model",
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A stop that hangs (say, on an emulator that went away mid-call) must not need kill -9.
      logger.warn({ signal }, "stopping again: exiting without waiting");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, inFlight: settings.worker.onStop }, "stopping");
    runtime.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "stop failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  // Started by the launcher (make dev): stop with it, even when it is killed outright.
  stopWithLauncher(stop);

  if (runtime.gate) return;
  try {
    const info = await runtime.ready;
    logger.info(
      {
        url,
        backend: info?.backend,
        model: info?.id,
        loadMs: info?.loadMs,
        preflightMs: info?.preflightMs,
        worker: settings.worker.enabled,
      },
      "ready",
    );
  } catch (err) {
    logger.fatal({ err }, `model load failed: ${(err as Error).message}`);
    await runtime.close().catch(() => {});
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  logger.fatal({ err }, (err as Error).message);
  process.exit(1);
});
