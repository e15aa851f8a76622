/**
 * Picks the compute backend: node-llama-cpp's choice for the requested kind, checked by the GPU
 * preflight (gpu-preflight.ts) before the model loads for real.
 *
 * - `cuda`: fails at once without the CUDA driver and runtime libraries; fails with
 *   `PreflightError` when the CUDA binary cannot run a kernel on this GPU.
 * - `auto`: a backend that fails its preflight is logged, disposed and excluded, and node-llama-cpp
 *   picks again (CUDA, then Vulkan, then the CPU).
 * - `cpu`: never touches a GPU; preflighted only with `GPU_RUNTIME_PREFLIGHT=always`.
 */
import { getLlama, getLlamaGpuTypes, type Llama, type LlamaGpuType, LlamaLogLevel } from "node-llama-cpp";
import type { Logger } from "../lib/logger.ts";
import { type BackendKind, BackendUnavailableError } from "./backend.ts";
import {
  gpuName,
  PreflightError,
  type PreflightResult,
  type PreflightSettings,
  preflightApplies,
} from "./gpu-preflight.ts";

export interface CheckedLlama<L> {
  llama: L;
  /** Time spent in preflights, failed ones included; undefined when none ran. */
  preflightMs: number | undefined;
}

/**
 * `open(exclude)` gets a Llama with those GPU types left out, `check(gpu)` preflights one
 * (`openLlama` and `runPreflight` in the runtime; stand-ins in tests, for GPUs this machine lacks).
 */
export async function openCheckedLlama<L extends { gpu: LlamaGpuType; dispose(): Promise<void> }>(options: {
  backend: BackendKind;
  modelPath: string;
  preflight: PreflightSettings;
  open: (exclude: LlamaGpuType[]) => Promise<L>;
  check: (gpu: LlamaGpuType) => Promise<PreflightResult>;
  logger?: Logger | undefined;
}): Promise<CheckedLlama<L>> {
  const { backend, modelPath, preflight, logger } = options;
  const excluded: LlamaGpuType[] = [];
  let spent: number | undefined;
  for (;;) {
    const llama = await options.open(excluded);
    const gpu = llama.gpu;
    if (!preflightApplies(preflight.mode, gpu)) return { llama, preflightMs: spent };
    if (excluded.includes(gpu)) {
      await llama.dispose();
      throw new BackendUnavailableError(
        backend,
        `node-llama-cpp picked ${gpuName(gpu)} again after it was excluded`,
      );
    }
    const result = await options.check(gpu);
    spent = (spent ?? 0) + result.ms;
    if (result.ok) {
      logger?.info({ backend: gpuName(gpu), preflightMs: result.ms }, `${gpuName(gpu)} preflight passed`);
      return { llama, preflightMs: spent };
    }
    await llama.dispose();
    const error = new PreflightError(backend, gpu, result, { modelPath, timeoutMs: preflight.timeoutMs });
    if (backend !== "auto" || gpu === false) throw error;
    logger?.warn(
      { backend: gpuName(gpu), preflightMs: result.ms, output: result.output.slice(-2000) },
      `${error.message} Trying the next backend.`,
    );
    excluded.push(gpu);
  }
}

/** getLlama for a backend kind; `cuda` checks for the libraries before loading anything. */
export async function openLlama(backend: BackendKind, exclude: LlamaGpuType[] = []): Promise<Llama> {
  if (backend === "cuda") {
    const supported = await getLlamaGpuTypes("supported");
    if (!supported.includes("cuda"))
      throw new BackendUnavailableError(
        "cuda",
        "backend cuda was requested but CUDA is not usable on this machine: no NVIDIA driver " +
          "(libnvidia-ml, libcuda) with the CUDA runtime (libcudart, libcublas) was found. " +
          `Usable here: ${supported.map(gpuName).join(", ")}. ` +
          "Set GPU_RUNTIME_BACKEND=cpu or auto, or install the NVIDIA driver and CUDA runtime.",
      );
  }
  const gpu =
    backend === "cpu"
      ? false
      : backend === "cuda"
        ? "cuda"
        : exclude.length
          ? { type: "auto" as const, exclude }
          : "auto";
  try {
    return await getLlama({ gpu, build: "never", logLevel: LlamaLogLevel.error, progressLogs: false });
  } catch (err) {
    throw new BackendUnavailableError(
      backend,
      `backend ${backend} could not start: no usable prebuilt llama.cpp binary ` +
        `(${(err as Error).message}). node-llama-cpp is configured never to build from source.`,
      { cause: err },
    );
  }
}
