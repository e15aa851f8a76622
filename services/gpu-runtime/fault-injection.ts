/**
 * Fault injection for the runtime as a process (tests, chaos drills): wraps any
 * `InferenceBackend` so a job can be made slow (to kill or stop the runtime mid-job, or to
 * outlast the visibility timeout) or fail. Set with `GPU_RUNTIME_FAULTS`, a JSON object:
 *
 *   {"delayMs": 4000}            every generation waits 4 s (abortably) before it runs
 *   {"loadDelayMs": 1500}        the model takes 1.5 s longer to load
 *   {"failPrompt": "^boom"}      a prompt matching this regular expression fails
 *   {"crashPrompt": "^crash"}    a prompt matching this regular expression aborts the inference
 *                                engine process, as a native crash would (engine.ts)
 *   {"preflightAbort": true}     the GPU preflight's child prints a ggml CUDA error and aborts, as a
 *                                binary with PTX too new for the driver does (gpu-preflight.ts)
 *
 * Off (no wrapper) when the variable is unset. The runtime logs a warning when it is on.
 */
import type { Generation, GenerationRequest, InferenceBackend, ModelInfo } from "./backend.ts";

export interface Faults {
  delayMs?: number;
  loadDelayMs?: number;
  failPrompt?: string;
  crashPrompt?: string;
  preflightAbort?: boolean;
}

export class InjectedFailure extends Error {
  override readonly name = "InjectedFailure";
}

export function parseFaults(text: string | undefined): Faults | undefined {
  if (!text) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`GPU_RUNTIME_FAULTS is not JSON: ${(err as Error).message}`);
  }
  const f = data as Record<string, unknown>;
  const ms = (key: string) => {
    const v = f[key];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
      throw new Error(`GPU_RUNTIME_FAULTS.${key} must be a whole number of milliseconds`);
    return v;
  };
  const known = ["delayMs", "loadDelayMs", "failPrompt", "crashPrompt", "preflightAbort"];
  const unknown = Object.keys(f).filter((k) => !known.includes(k));
  if (typeof data !== "object" || data === null || unknown.length > 0)
    throw new Error(`GPU_RUNTIME_FAULTS takes only ${known.join(", ")}`);
  for (const key of ["failPrompt", "crashPrompt"])
    if (f[key] !== undefined && typeof f[key] !== "string")
      throw new Error(`GPU_RUNTIME_FAULTS.${key} must be a regular expression string`);
  if (f.preflightAbort !== undefined && typeof f.preflightAbort !== "boolean")
    throw new Error("GPU_RUNTIME_FAULTS.preflightAbort must be true or false");
  const faults: Faults = {};
  const delayMs = ms("delayMs");
  const loadDelayMs = ms("loadDelayMs");
  if (delayMs !== undefined) faults.delayMs = delayMs;
  if (loadDelayMs !== undefined) faults.loadDelayMs = loadDelayMs;
  if (typeof f.failPrompt === "string") faults.failPrompt = f.failPrompt;
  if (typeof f.crashPrompt === "string") faults.crashPrompt = f.crashPrompt;
  if (f.preflightAbort === true) faults.preflightAbort = true;
  return faults;
}

export class FaultyBackend implements InferenceBackend {
  readonly #inner: InferenceBackend;
  readonly #faults: Faults;
  readonly #fail: RegExp | undefined;

  constructor(inner: InferenceBackend, faults: Faults) {
    this.#inner = inner;
    this.#faults = faults;
    this.#fail = faults.failPrompt === undefined ? undefined : new RegExp(faults.failPrompt);
  }

  get info(): ModelInfo | undefined {
    return this.#inner.info;
  }

  async load(): Promise<ModelInfo> {
    if (this.#faults.loadDelayMs) await delay(this.#faults.loadDelayMs);
    return this.#inner.load();
  }

  async generate(request: GenerationRequest, onText?: (chunk: string) => void): Promise<Generation> {
    if (this.#faults.delayMs) await delay(this.#faults.delayMs, request.signal);
    if (this.#fail?.test(promptText(request)))
      throw new InjectedFailure(`injected failure (prompt matches /${this.#fail.source}/)`);
    return this.#inner.generate(request, onText);
  }

  unload(): Promise<void> {
    return this.#inner.unload();
  }
}

/** The prompt as one string, for the faults' regular expressions. */
export function promptText(request: Pick<GenerationRequest, "prompt">): string {
  const prompt = request.prompt;
  return "text" in prompt ? prompt.text : prompt.messages.map((m) => m.content).join("\n");
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
