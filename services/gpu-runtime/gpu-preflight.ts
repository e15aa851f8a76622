/**
 * The GPU preflight: before the runtime loads the model for real, one short generation runs in a
 * child process (gpu-preflight-child.ts) on the backend node-llama-cpp picked, every layer on the
 * GPU. node-llama-cpp's own binary test launches no kernel, so a CUDA binary whose PTX the driver
 * cannot compile loads fine and then aborts the whole process at the first decode (ggml: "CUDA
 * error: the provided PTX was compiled with an unsupported toolchain"). In a child that abort
 * costs nothing; its output says why.
 */
import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import type { LlamaGpuType } from "node-llama-cpp";
import { type BackendKind, BackendUnavailableError } from "./backend.ts";

/** `auto`: GPU backends only; `always`: the CPU too (tests); `off`: never. */
export type PreflightMode = "auto" | "always" | "off";
export const PREFLIGHT_MODES: readonly PreflightMode[] = ["auto", "always", "off"];

export interface PreflightSettings {
  mode: PreflightMode;
  /** A first PTX JIT compile on a GPU without SASS in the binary can take minutes. */
  timeoutMs: number;
}

export const DEFAULT_PREFLIGHT: PreflightSettings = { mode: "auto", timeoutMs: 300_000 };

export type PreflightResult =
  | { ok: true; ms: number }
  | {
      ok: false;
      ms: number;
      /** "was killed by SIGABRT", "exited with status 1", "did not finish within 300 s". */
      ended: string;
      /** The line that says what went wrong, when one does. */
      errorLine: string | undefined;
      /** The end of the child's stdout and stderr (llama.cpp writes errors to either). */
      output: string;
    };

const CHILD = path.join(import.meta.dirname, "gpu-preflight-child.ts");
const OUTPUT_KEPT = 16 * 1024;

export function preflightApplies(mode: PreflightMode, gpu: LlamaGpuType): boolean {
  return mode === "always" || (mode === "auto" && gpu !== false);
}

export function gpuName(gpu: LlamaGpuType): string {
  return gpu === false ? "cpu" : gpu;
}

/** The shell command that runs the same check by hand, for error messages. */
export function preflightCommand(modelPath: string, gpu: LlamaGpuType): string {
  return `node ${path.relative(process.cwd(), CHILD) || CHILD} ${modelPath} ${gpuName(gpu)}`;
}

/** Runs the child; `env` is added to this process's environment (tests set faults there). */
export function runPreflight(options: {
  modelPath: string;
  gpu: LlamaGpuType;
  timeoutMs: number;
  env?: Record<string, string>;
}): Promise<PreflightResult> {
  const started = performance.now();
  const child = spawn(process.execPath, [CHILD, path.resolve(options.modelPath), gpuName(options.gpu)], {
    stdio: ["ignore", "pipe", "pipe"],
    // An abort may leave a core file in the working directory: not in the repository.
    cwd: os.tmpdir(),
    // ggml's abort would otherwise attach gdb for a backtrace: slow, and not what we want here.
    env: { ...process.env, GGML_NO_BACKTRACE: "1", ...options.env },
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_KEPT);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, options.timeoutMs);
  // The runtime may exit mid-preflight (SIGTERM while loading): the child goes with it.
  const killChild = () => child.kill("SIGKILL");
  process.once("exit", killChild);
  return new Promise((resolve) => {
    const done = (ended: string | undefined) => {
      clearTimeout(timer);
      process.off("exit", killChild);
      const ms = Math.round(performance.now() - started);
      if (ended === undefined) resolve({ ok: true, ms });
      else resolve({ ok: false, ms, ended, errorLine: errorLine(output), output });
    };
    child.on("error", (err) => done(`could not start (${err.message})`));
    child.on("close", (code, signal) => {
      if (timedOut) done(`did not finish within ${options.timeoutMs / 1000} s`);
      else if (signal) done(`was killed by ${signal}`);
      else if (code !== 0) done(`exited with status ${code}`);
      else done(undefined);
    });
  });
}

/** The line that names the failure: a CUDA error first, then the last line saying error/abort. */
export function errorLine(output: string): string | undefined {
  const lines = output
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return (
    lines.find((l) => /CUDA error: /.test(l)) ??
    lines.findLast((l) => /\berror\b|GGML_ASSERT|abort/i.test(l)) ??
    lines.at(-1)
  );
}

/** The preflight failed on `gpu`: says what happened, quotes the error, names the fix. */
export class PreflightError extends BackendUnavailableError {
  override readonly name = "PreflightError";
  readonly gpu: string;
  readonly errorLine: string | undefined;
  readonly output: string;

  constructor(
    backend: BackendKind,
    gpu: LlamaGpuType,
    result: Extract<PreflightResult, { ok: false }>,
    context: { modelPath: string; timeoutMs: number },
  ) {
    const name = gpuName(gpu);
    super(
      backend,
      `backend ${backend}: the ${name} preflight (a 2-token generation with every layer on ${name}, ` +
        `in a child process) ${result.ended}${quoted(result.errorLine)} ${fixFor(backend, gpu, result, context)}`,
    );
    this.gpu = name;
    this.errorLine = result.errorLine;
    this.output = result.output;
  }
}

/** `: "the line"` closing the sentence (the line's own full stop does), or just a full stop. */
function quoted(line: string | undefined): string {
  if (!line) return ".";
  return `: "${line}"${/[.!?]$/.test(line) ? "" : "."}`;
}

function fixFor(
  backend: BackendKind,
  gpu: LlamaGpuType,
  result: Extract<PreflightResult, { ok: false }>,
  context: { modelPath: string; timeoutMs: number },
): string {
  const orBackend = backend === "cuda" ? "; or set GPU_RUNTIME_BACKEND=auto (the next backend) or cpu" : "";
  if (/unsupported toolchain/i.test(result.output))
    return (
      "The NVIDIA driver is older than the CUDA that compiled node-llama-cpp's CUDA binary, and the " +
      "binary has no SASS for this GPU, so the driver must compile its PTX and cannot (the CUDA 13.1 " +
      "build's PTX ISA 9.1 needs a CUDA 13.1 driver, R590+). Fix: upgrade the NVIDIA driver to R590 " +
      "or newer; or install only the CUDA 12 runtime libraries (libcudart.so.12, libcublas.so.12, " +
      "libcublasLt.so.12, no libcudart.so.13) so node-llama-cpp loads its CUDA 12.4 fallback" +
      `${orBackend}. \`npm run cuda:binaries -- --arch sm_XY\` shows what each binary needs.`
    );
  if (result.ended.startsWith("did not finish"))
    return (
      "A first PTX JIT compile on a GPU without SASS in the binary can take minutes: raise " +
      `GPU_RUNTIME_PREFLIGHT_TIMEOUT_SECONDS (now ${context.timeoutMs / 1000}), or keep ` +
      `the driver's JIT cache (~/.nv/ComputeCache) in the machine image${orBackend}.`
    );
  return (
    `See the whole output with: ${preflightCommand(context.modelPath, gpu)}` +
    `${orBackend}; GPU_RUNTIME_PREFLIGHT=off skips this check (a broken binary then fails at the first job).`
  );
}
