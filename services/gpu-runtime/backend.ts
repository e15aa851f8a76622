/**
 * The seam between the GPU runtime and the inference engine. The HTTP server and the queue
 * worker only see `InferenceBackend`; `llama-backend.ts` runs real inference through
 * node-llama-cpp, `fake-backend.ts` is the in-memory stand-in for HTTP-layer tests.
 */

export type BackendKind = "auto" | "cpu" | "cuda";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** Raw text is completed as is; chat messages go through the model's chat template. */
export type Prompt = { text: string } | { messages: ChatMessage[] };

export interface GenerationRequest {
  prompt: Prompt;
  /** Upper bound on generated tokens; generation also stops at an end-of-generation token. */
  maxTokens: number;
  /** 0 is greedy decoding: the same prompt always gives the same tokens. */
  temperature: number;
  /** Sampling seed; only matters when temperature > 0. */
  seed?: number;
  topP?: number;
  topK?: number;
  /** Stop strings: generation ends before the first one, which is not returned. */
  stop?: string[];
  signal?: AbortSignal;
}

export interface Timings {
  /** Prompt evaluation up to the first generated token. */
  promptMs: number;
  /** Every later token. */
  decodeMs: number;
  promptTokensPerSecond: number;
  decodeTokensPerSecond: number;
}

export type FinishReason = "stop" | "length";

export interface Generation {
  text: string;
  promptTokens: number;
  completionTokens: number;
  finishReason: FinishReason;
  timings: Timings;
}

export interface ModelInfo {
  /** The name clients pass as `model`: the file name without `.gguf`. */
  id: string;
  path: string;
  /** The compute backend actually in use. */
  backend: "cpu" | "cuda" | "vulkan" | "metal";
  threads: number;
  contextSize: number;
  trainContextSize: number;
  vocabSize: number;
  parameters: number;
  sizeBytes: number;
  /** From the start of load() to ready, the preflight included. */
  loadMs: number;
  /** The GPU preflight's share of loadMs; absent when none ran (the CPU, or GPU_RUNTIME_PREFLIGHT=off). */
  preflightMs?: number;
}

export interface InferenceBackend {
  /** Loads the model; resolves with what was loaded. Rejects with `BackendUnavailableError`. */
  load(): Promise<ModelInfo>;
  /** Set once `load()` has resolved, until `unload()`. */
  readonly info: ModelInfo | undefined;
  /** Runs one request on a fresh context sequence. `onText` receives the text as it is made. */
  generate(request: GenerationRequest, onText?: (chunk: string) => void): Promise<Generation>;
  unload(): Promise<void>;
}

/** The requested backend can't run here (e.g. `cuda` without a usable CUDA driver and runtime). */
export class BackendUnavailableError extends Error {
  readonly backend: BackendKind;
  constructor(backend: BackendKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BackendUnavailableError";
    this.backend = backend;
  }
}

/** The prompt plus `maxTokens` can't fit the context window. */
export class PromptTooLongError extends Error {
  readonly promptTokens: number;
  readonly maxTokens: number;
  readonly contextSize: number;
  constructor(promptTokens: number, maxTokens: number, contextSize: number) {
    super(
      `the prompt is ${promptTokens} tokens and max_tokens is ${maxTokens}: together they must fit the ` +
        `${contextSize}-token context`,
    );
    this.name = "PromptTooLongError";
    this.promptTokens = promptTokens;
    this.maxTokens = maxTokens;
    this.contextSize = contextSize;
  }
}

export function makeTimings(
  promptTokens: number,
  completionTokens: number,
  promptMs: number,
  decodeMs: number,
) {
  const rate = (n: number, ms: number) => (ms > 0 ? Math.round((n / ms) * 1000 * 10) / 10 : 0);
  return {
    promptMs: Math.round(promptMs * 100) / 100,
    decodeMs: Math.round(decodeMs * 100) / 100,
    promptTokensPerSecond: rate(promptTokens, promptMs),
    // The first token comes out of the prompt pass; the decode rate counts the rest.
    decodeTokensPerSecond: rate(Math.max(0, completionTokens - 1), decodeMs),
  } satisfies Timings;
}
