/**
 * An in-memory `InferenceBackend` for tests of the HTTP layer and of callers: no model, no
 * native code. "Tokens" are words; the answer echoes the prompt's words backwards, then counts.
 * `load()` waits for `release()` when built with `{ holdLoad: true }`, so `/health` can be
 * observed while loading.
 */
import {
  type Generation,
  type GenerationRequest,
  type InferenceBackend,
  type ModelInfo,
  makeTimings,
  PromptTooLongError,
} from "./backend.ts";

export interface FakeBackendOptions {
  /** @defaultValue false */
  holdLoad?: boolean;
  /** Make `load()` reject with this error. */
  failLoad?: Error;
  /** @defaultValue 256 */
  contextSize?: number;
}

export class FakeBackend implements InferenceBackend {
  readonly #options: FakeBackendOptions;
  #info: ModelInfo | undefined;
  #release: () => void = () => {};
  readonly #released: Promise<void>;
  /** Every request seen, for assertions. */
  readonly requests: GenerationRequest[] = [];

  constructor(options: FakeBackendOptions = {}) {
    this.#options = options;
    this.#released = options.holdLoad
      ? new Promise((resolve) => (this.#release = resolve))
      : Promise.resolve();
  }

  get info(): ModelInfo | undefined {
    return this.#info;
  }

  /** Lets a held `load()` finish. */
  release(): void {
    this.#release();
  }

  async load(): Promise<ModelInfo> {
    await this.#released;
    if (this.#options.failLoad) throw this.#options.failLoad;
    this.#info = {
      id: "fake",
      path: "(memory)",
      backend: "cpu",
      threads: 1,
      contextSize: this.#options.contextSize ?? 256,
      trainContextSize: this.#options.contextSize ?? 256,
      vocabSize: 0,
      parameters: 0,
      sizeBytes: 0,
      loadMs: 0,
    };
    return this.#info;
  }

  async generate(request: GenerationRequest, onText?: (chunk: string) => void): Promise<Generation> {
    const info = this.#info;
    if (!info) throw new Error("the model is not loaded: call load() first");
    this.requests.push(request);
    const text =
      "text" in request.prompt
        ? request.prompt.text
        : request.prompt.messages.map((m) => m.content).join(" ");
    const words = text.split(/\s+/).filter(Boolean);
    const promptTokens = words.length + 1;
    if (promptTokens + request.maxTokens > info.contextSize)
      throw new PromptTooLongError(promptTokens, request.maxTokens, info.contextSize);
    const answer = [...words].reverse();
    for (let i = 1; answer.length < request.maxTokens; i++) answer.push(String(i));
    let out = "";
    let finishReason: Generation["finishReason"] = "length";
    let count = 0;
    for (const word of answer.slice(0, request.maxTokens)) {
      request.signal?.throwIfAborted();
      const piece = count === 0 ? word : ` ${word}`;
      const next = out + piece;
      const stopAt = Math.min(...(request.stop ?? []).map((s) => next.indexOf(s)).filter((i) => i >= 0));
      count++;
      if (Number.isFinite(stopAt)) {
        onText?.(next.slice(out.length, stopAt));
        out = next.slice(0, stopAt);
        finishReason = "stop";
        break;
      }
      onText?.(piece);
      out = next;
      await Promise.resolve();
    }
    return {
      text: out,
      promptTokens,
      completionTokens: count,
      finishReason,
      timings: makeTimings(promptTokens, count, 1, 1),
    };
  }

  async unload(): Promise<void> {
    this.#info = undefined;
  }
}
