/**
 * The runtime's settings: `gpuRuntime` and `ports.gpuRuntime` from config/platform.json, each
 * overridable from the environment (what an EC2 user-data script or a container sets):
 * GPU_RUNTIME_BACKEND, MODEL_PATH, MODEL_SHA256, GPU_RUNTIME_THREADS, GPU_RUNTIME_PORT,
 * GPU_RUNTIME_HOST. A preset model (`tiny`, `tinyllama`) is generated on first use.
 *
 * The queue worker and its local adapter:
 * - GPU_RUNTIME_WORKER: `off` runs the HTTP API alone (no queue, no AWS calls). Default on.
 * - GPU_RUNTIME_RETRY_DELAY_SECONDS: how long a failed job waits before its next attempt (default 5).
 * - GPU_RUNTIME_ON_STOP: what SIGTERM does to a running job: `release` (default: back to the
 *   queue at once) or `finish` (let it complete first).
 * - GPU_RUNTIME_POWER_GATE: `1`/`on` makes the runtime follow its emulated EC2 instance
 *   (power-gate.ts, a local adapter; `make dev` sets it). Off by default, as on AWS.
 * - GPU_RUNTIME_FAULTS: fault injection for tests (fault-injection.ts).
 *
 * The GPU preflight (gpu-preflight.ts):
 * - GPU_RUNTIME_PREFLIGHT: `auto` (default: GPU backends only), `always` (the CPU too: tests),
 *   `off`.
 * - GPU_RUNTIME_PREFLIGHT_TIMEOUT_SECONDS: how long the preflight may take (default 300: a first
 *   PTX JIT compile on a T4 can take minutes).
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { PlatformConfig } from "../lib/config.ts";
import { repoRoot } from "../lib/config.ts";
import type { BackendKind } from "./backend.ts";
import { type Faults, parseFaults } from "./fault-injection.ts";
import {
  DEFAULT_PREFLIGHT,
  PREFLIGHT_MODES,
  type PreflightMode,
  type PreflightSettings,
} from "./gpu-preflight.ts";
import type { LlamaBackendOptions } from "./llama-backend.ts";

export interface RuntimeSettings {
  port: number;
  host: string;
  backend: Omit<LlamaBackendOptions, "logger">;
  maxTokens: number;
  worker: {
    enabled: boolean;
    retryDelaySeconds: number;
    onStop: "release" | "finish";
  };
  powerGate: boolean;
  faults: Faults | undefined;
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
  const powerGate = switchFromEnv("GPU_RUNTIME_POWER_GATE", env.GPU_RUNTIME_POWER_GATE, false);
  if (threads === 0 && fs.statSync(modelPath).size < SMALL_MODEL_BYTES) threads = 1;
  return {
    port: intFromEnv("GPU_RUNTIME_PORT", env.GPU_RUNTIME_PORT, 0, 65535) ?? config.ports.gpuRuntime,
    host: env.GPU_RUNTIME_HOST || "127.0.0.1",
    backend: {
      modelPath,
      backend,
      threads,
      // Under the power gate (make dev) the rest of the platform shares the machine.
      reserveCores: powerGate ? 1 : 0,
      contextSize: rt.contextSize,
      slots: rt.slots,
      preflight: preflightFromEnv(env),
    },
    maxTokens: config.limits.maxTokens,
    worker: {
      enabled: switchFromEnv("GPU_RUNTIME_WORKER", env.GPU_RUNTIME_WORKER, true),
      retryDelaySeconds:
        intFromEnv("GPU_RUNTIME_RETRY_DELAY_SECONDS", env.GPU_RUNTIME_RETRY_DELAY_SECONDS, 0, 43_200) ?? 5,
      onStop: onStopFromEnv(env.GPU_RUNTIME_ON_STOP),
    },
    powerGate,
    faults: parseFaults(env.GPU_RUNTIME_FAULTS),
  };
}

function switchFromEnv(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  if (["1", "on", "true", "yes"].includes(value.toLowerCase())) return true;
  if (["0", "off", "false", "no"].includes(value.toLowerCase())) return false;
  throw new SettingsError(`${name}=${value} must be on or off (1/0, true/false)`);
}

function preflightFromEnv(env: NodeJS.ProcessEnv): PreflightSettings {
  const mode = (env.GPU_RUNTIME_PREFLIGHT || DEFAULT_PREFLIGHT.mode) as PreflightMode;
  if (!PREFLIGHT_MODES.includes(mode))
    throw new SettingsError(
      `GPU_RUNTIME_PREFLIGHT=${mode} must be one of ${PREFLIGHT_MODES.join(", ")} (auto: GPU backends only)`,
    );
  const seconds = intFromEnv(
    "GPU_RUNTIME_PREFLIGHT_TIMEOUT_SECONDS",
    env.GPU_RUNTIME_PREFLIGHT_TIMEOUT_SECONDS,
    1,
    3600,
  );
  return { mode, timeoutMs: seconds === undefined ? DEFAULT_PREFLIGHT.timeoutMs : seconds * 1000 };
}

function onStopFromEnv(value: string | undefined): "release" | "finish" {
  if (value === undefined || value === "" || value === "release") return "release";
  if (value === "finish") return "finish";
  throw new SettingsError(`GPU_RUNTIME_ON_STOP=${value} must be release or finish`);
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
