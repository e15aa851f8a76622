/**
 * The runtime's settings: `gpuRuntime` and `ports.gpuRuntime` from config/platform.json, each
 * overridable from the environment (what an EC2 user-data script or a container sets):
 * GPU_RUNTIME_BACKEND, MODEL_PATH, MODEL_SHA256, GPU_RUNTIME_THREADS, GPU_RUNTIME_PORT,
 * GPU_RUNTIME_HOST. A preset model (`tiny`, `tinyllama`) is generated on first use.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { PlatformConfig } from "../lib/config.ts";
import { repoRoot } from "../lib/config.ts";
import type { BackendKind } from "./backend.ts";
import type { LlamaBackendOptions } from "./llama-backend.ts";

export interface RuntimeSettings {
  port: number;
  host: string;
  backend: Omit<LlamaBackendOptions, "logger">;
  maxTokens: number;
}

const BACKENDS: readonly BackendKind[] = ["auto", "cpu", "cuda"];
/** Below this the per-operation thread sync costs more than a second thread gains. */
const SMALL_MODEL_BYTES = 64 * 1024 * 1024;

export class SettingsError extends Error {
  override readonly name = "SettingsError";
}

function intFromEnv(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new SettingsError(`${name}=${value} must be an integer ${min}..${max}`);
  return n;
}

/** Resolves settings; generates a preset model and checks a configured sha256 (so it may take a while). */
export async function resolveSettings(
  config: PlatformConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RuntimeSettings> {
  const rt = config.gpuRuntime;
  const backend = (env.GPU_RUNTIME_BACKEND || rt.backend) as BackendKind;
  if (!BACKENDS.includes(backend))
    throw new SettingsError(`GPU_RUNTIME_BACKEND=${backend} must be one of ${BACKENDS.join(", ")}`);
  const model = env.MODEL_PATH || rt.model;
  const modelPath = await modelFile(model);
  const sha256 = env.MODEL_SHA256 || rt.modelSha256;
  if (sha256) await checkSha256(modelPath, sha256.toLowerCase());
  let threads = intFromEnv("GPU_RUNTIME_THREADS", env.GPU_RUNTIME_THREADS, 0, 256) ?? rt.threads;
  if (threads === 0 && fs.statSync(modelPath).size < SMALL_MODEL_BYTES) threads = 1;
  return {
    port: intFromEnv("GPU_RUNTIME_PORT", env.GPU_RUNTIME_PORT, 0, 65535) ?? config.ports.gpuRuntime,
    host: env.GPU_RUNTIME_HOST || "127.0.0.1",
    backend: { modelPath, backend, threads, contextSize: rt.contextSize, slots: rt.slots },
    maxTokens: config.limits.maxTokens,
  };
}

async function modelFile(model: string): Promise<string> {
  if (model === "tiny" || model === "tinyllama") {
    const { ensureModel } = await import("../../scripts/models/models.ts");
    return ensureModel(model);
  }
  const file = path.resolve(repoRoot, model);
  if (!fs.existsSync(file))
    throw new SettingsError(
      `model file ${file} does not exist: set MODEL_PATH or gpuRuntime.model (tiny, tinyllama or a .gguf path)`,
    );
  return file;
}

async function checkSha256(file: string, expected: string): Promise<void> {
  const hash = createHash("sha256");
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  const actual = hash.digest("hex");
  if (actual !== expected)
    throw new SettingsError(`model file ${file} has sha256 ${actual}, expected ${expected}`);
}
