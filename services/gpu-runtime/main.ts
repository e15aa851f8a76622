/**
 * Starts the GPU runtime: `node services/gpu-runtime/main.ts`. It listens at once (so /health
 * answers 503 while the model loads), loads the model, and logs `ready`. A model that can't
 * load (e.g. backend cuda without CUDA) ends the process with status 1 and the reason.
 * SIGINT/SIGTERM stop it cleanly: no new requests, running ones finish, the model unloads.
 */
import { loadConfig } from "../lib/config.ts";
import { createLogger } from "../lib/logger.ts";
import { LlamaBackend } from "./llama-backend.ts";
import { createRuntimeServer } from "./server.ts";
import { resolveSettings } from "./settings.ts";

const logger = createLogger("gpu-runtime");

async function main(): Promise<void> {
  const settings = await resolveSettings(loadConfig());
  const backend = new LlamaBackend({ ...settings.backend, logger });
  const runtime = createRuntimeServer({
    backend,
    limits: { maxTokens: settings.maxTokens, defaultMaxTokens: settings.maxTokens },
    logger,
  });
  const address = await runtime.listen(settings.port, settings.host);
  logger.info(
    { url: `http://${address.address}:${address.port}`, model: settings.backend.modelPath },
    "listening, loading the model",
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
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

  try {
    const info = await runtime.ready;
    logger.info(
      {
        url: `http://${address.address}:${address.port}`,
        backend: info.backend,
        model: info.id,
        loadMs: info.loadMs,
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
