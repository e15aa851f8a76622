/**
 * `InferenceBackend` on node-llama-cpp (llama.cpp's prebuilt binaries, in process).
 *
 * - Never builds llama.cpp from source (`build: "never"`): a missing binary is an error.
 * - `cuda` fails at once, before any binary loads, when the CUDA driver and runtime libraries
 *   are not found; `auto` picks CUDA, then Vulkan, then the CPU; `cpu` never touches a GPU.
 * - A GPU backend is preflighted first: one short generation in a child process (open-llama.ts,
 *   gpu-preflight.ts), so a binary that cannot run on this GPU fails at start, not at a job.
 * - Each request runs on a fresh context sequence: node-llama-cpp reuses a sequence's cached
 *   prompt prefix, which changes batch shapes and so, on near-flat logits, greedy tokens.
 * - `slots` sequences run at once; further requests wait for a free one, in arrival order.
 */
import os from "node:os";
import path from "node:path";
import {
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaModel,
  type LlamaText,
  resolveChatWrapper,
  type Token,
} from "node-llama-cpp";
import type { Logger } from "../lib/logger.ts";
import {
  type BackendKind,
  type ChatMessage,
  type Generation,
  type GenerationRequest,
  type InferenceBackend,
  type ModelInfo,
  makeTimings,
  PromptTooLongError,
} from "./backend.ts";
import { DEFAULT_PREFLIGHT, type PreflightSettings, runPreflight } from "./gpu-preflight.ts";
import { openCheckedLlama, openLlama } from "./open-llama.ts";

export interface LlamaBackendOptions {
  modelPath: string;
  /** @defaultValue "auto" */
  backend?: BackendKind;
  /** CPU threads for evaluation; 0 means `autoThreads`. @defaultValue 0 */
  threads?: number;
  /** Cores `autoThreads` leaves to the rest of the machine (1 under make dev's power gate). @defaultValue 0 */
  reserveCores?: number;
  /** Tokens per sequence, at most the model's training context. @defaultValue 2048 */
  contextSize?: number;
  /** Requests evaluated at once, each on its own sequence. @defaultValue 1 */
  slots?: number;
  /** Fixed so a prompt is always split into the same batches. @defaultValue 512 */
  batchSize?: number;
  /** The GPU preflight before the model loads. @defaultValue `{ mode: "auto", timeoutMs: 300_000 }` */
  preflight?: PreflightSettings;
  logger?: Logger;
}

/**
 * Threads when none are configured: one per physical core, but leaving `reserve` logical CPUs to
 * whatever shares the machine, and at least one. ggml's threads spin while they wait for each
 * other, so on a 2-vCPU machine that also runs the gateway and the emulator, 2 threads ran the
 * TinyLlama-shaped model at 0.67x of 1 thread (docs/benchmarks.md).
 */
export function autoThreads(physicalCores: number, logicalCpus: number, reserve: number): number {
  return Math.max(1, Math.min(physicalCores, logicalCpus - reserve));
}

/** A FIFO semaphore over the context's sequences. */
class Slots {
  #free: number;
  readonly #waiting: Array<() => void> = [];
  constructor(count: number) {
    this.#free = count;
  }
  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

export class LlamaBackend implements InferenceBackend {
  readonly #options: Required<Omit<LlamaBackendOptions, "logger" | "contextSize">> & { contextSize?: number };
  readonly #logger: Logger | undefined;
  #llama: Llama | undefined;
  #model: LlamaModel | undefined;
  #context: LlamaContext | undefined;
  #slots: Slots | undefined;
  #info: ModelInfo | undefined;
  #chatWrapper: ChatWrapper | undefined;

  constructor(options: LlamaBackendOptions) {
    this.#options = {
      modelPath: options.modelPath,
      backend: options.backend ?? "auto",
      threads: options.threads ?? 0,
      reserveCores: options.reserveCores ?? 0,
      slots: options.slots ?? 1,
      batchSize: options.batchSize ?? 512,
      preflight: options.preflight ?? DEFAULT_PREFLIGHT,
      ...(options.contextSize === undefined ? {} : { contextSize: options.contextSize }),
    };
    this.#logger = options.logger;
  }

  get info(): ModelInfo | undefined {
    return this.#info;
  }

  async load(): Promise<ModelInfo> {
    const started = performance.now();
    const { backend, modelPath, slots, batchSize, preflight } = this.#options;
    const { llama, preflightMs } = await openCheckedLlama({
      backend,
      modelPath,
      preflight,
      open: (exclude) => openLlama(backend, exclude),
      check: (gpu) => runPreflight({ modelPath, gpu, timeoutMs: preflight.timeoutMs }),
      logger: this.#logger,
    });
    this.#llama = llama;
    try {
      this.#model = await this.#llama.loadModel({ modelPath, gpuLayers: this.#llama.gpu ? "max" : 0 });
      const threads =
        this.#options.threads ||
        autoThreads(this.#llama.cpuMathCores, os.availableParallelism(), this.#options.reserveCores);
      const contextSize = Math.min(this.#options.contextSize ?? 2048, this.#model.trainContextSize);
      this.#context = await this.#model.createContext({
        contextSize,
        sequences: slots,
        threads,
        batchSize: Math.min(batchSize, contextSize),
      });
      this.#slots = new Slots(slots);
      // Resolving compares the template with node-llama-cpp's known formats: about 0.5 s, so at
      // load, not in the first request's time.
      this.#chatWrapper = resolveChatWrapper(this.#model);
      this.#info = {
        id: path.basename(modelPath).replace(/\.gguf$/i, ""),
        path: modelPath,
        backend: this.#llama.gpu === false ? "cpu" : this.#llama.gpu,
        threads,
        contextSize: this.#context.contextSize,
        trainContextSize: this.#model.trainContextSize,
        vocabSize: vocabSize(this.#model),
        parameters: countParameters(this.#model),
        sizeBytes: this.#model.size,
        loadMs: Math.round(performance.now() - started),
        ...(preflightMs === undefined ? {} : { preflightMs }),
      };
      this.#logger?.info({ model: this.#info }, "model loaded");
      return this.#info;
    } catch (err) {
      await this.unload();
      throw err;
    }
  }

  async generate(request: GenerationRequest, onText?: (chunk: string) => void): Promise<Generation> {
    const model = this.#model;
    const context = this.#context;
    const slots = this.#slots;
    if (!model || !context || !slots) throw new Error("the model is not loaded: call load() first");
    const promptTokens = this.#tokenize(request);
    if (promptTokens.length + request.maxTokens > context.contextSize)
      throw new PromptTooLongError(promptTokens.length, request.maxTokens, context.contextSize);

    await slots.acquire();
    const sequence = context.getSequence();
    try {
      const out = new TextStream(model, request.stop ?? [], onText);
      const started = performance.now();
      let firstAt = started;
      let finishReason: Generation["finishReason"] = "length";
      const options = {
        temperature: request.temperature,
        ...(request.seed === undefined ? {} : { seed: request.seed }),
        ...(request.topP === undefined ? {} : { topP: request.topP }),
        ...(request.topK === undefined ? {} : { topK: request.topK }),
      };
      for await (const token of sequence.evaluate(promptTokens, options)) {
        if (out.tokens.length === 0) firstAt = performance.now();
        request.signal?.throwIfAborted();
        if (model.isEogToken(token)) {
          finishReason = "stop";
          break;
        }
        if (out.push(token)) {
          finishReason = "stop";
          break;
        }
        if (out.tokens.length >= request.maxTokens) break;
      }
      const text = out.finish();
      const ended = performance.now();
      const completionTokens = out.tokens.length;
      return {
        text,
        promptTokens: promptTokens.length,
        completionTokens,
        finishReason,
        timings: makeTimings(promptTokens.length, completionTokens, firstAt - started, ended - firstAt),
      };
    } finally {
      await sequence.dispose();
      slots.release();
    }
  }

  async unload(): Promise<void> {
    this.#info = undefined;
    this.#slots = undefined;
    this.#chatWrapper = undefined;
    await this.#context?.dispose();
    this.#context = undefined;
    await this.#model?.dispose();
    this.#model = undefined;
    await this.#llama?.dispose();
    this.#llama = undefined;
  }

  /** Prompt tokens, with BOS first when the model asks for it (`add_bos_token`). */
  #tokenize(request: GenerationRequest): Token[] {
    const model = this.#model;
    if (!model) throw new Error("the model is not loaded");
    const prompt = request.prompt;
    const tokens =
      "text" in prompt
        ? model.tokenize(prompt.text)
        : this.#chatText(prompt.messages).tokenize(model.tokenizer);
    const bos = model.tokens.bos;
    if (bos !== null && model.tokens.shouldPrependBosToken && tokens[0] !== bos) tokens.unshift(bos);
    return tokens;
  }

  /** The chat rendered with the model's own template (`tokenizer.chat_template`), ready for the answer. */
  #chatText(messages: ChatMessage[]): LlamaText {
    if (!this.#chatWrapper) throw new Error("the model is not loaded");
    return renderChat(this.#chatWrapper, messages);
  }
}

function renderChat(wrapper: ChatWrapper, messages: ChatMessage[]): LlamaText {
  const chatHistory = messages.map((m) =>
    m.role === "assistant"
      ? { type: "model" as const, response: [m.content] }
      : { type: m.role, text: m.content },
  );
  chatHistory.push({ type: "model", response: [] });
  return wrapper.generateContextState({ chatHistory }).contextText;
}

function vocabSize(model: LlamaModel): number {
  const embd = model.fileInfo.fullTensorInfo?.find((t) => t.name === "token_embd.weight");
  return Number(embd?.dimensions[1] ?? 0);
}

function countParameters(model: LlamaModel): number {
  let n = 0;
  for (const t of model.fileInfo.fullTensorInfo ?? [])
    n += t.dimensions.reduce((a: number, b) => a * Number(b), 1);
  return n;
}

/**
 * Turns tokens into text chunks: holds back an incomplete UTF-8 character (byte tokens) and any
 * tail that could still become a stop string, and cuts the text before a stop string.
 */
class TextStream {
  readonly tokens: Token[] = [];
  readonly #model: LlamaModel;
  readonly #stop: string[];
  readonly #onText: ((chunk: string) => void) | undefined;
  #text = "";
  #sent = 0;

  constructor(model: LlamaModel, stop: string[], onText?: (chunk: string) => void) {
    this.#model = model;
    this.#stop = stop.filter((s) => s.length > 0);
    this.#onText = onText;
  }

  /** Adds a token; true when a stop string has been reached. */
  push(token: Token): boolean {
    this.tokens.push(token);
    this.#text = this.#model.detokenize(this.tokens);
    const cut = this.#stopAt();
    if (cut >= 0) {
      this.#text = this.#text.slice(0, cut);
      return true;
    }
    let safe = this.#text.length - this.#heldBack();
    if (this.#text.endsWith("\uFFFD")) safe = Math.min(safe, this.#text.length - 1);
    if (safe > this.#sent) this.#emit(this.#text.slice(this.#sent, safe));
    return false;
  }

  finish(): string {
    if (this.#text.length > this.#sent) this.#emit(this.#text.slice(this.#sent));
    return this.#text;
  }

  #emit(chunk: string): void {
    this.#sent += chunk.length;
    this.#onText?.(chunk);
  }

  #stopAt(): number {
    let at = -1;
    for (const s of this.#stop) {
      const i = this.#text.indexOf(s, Math.max(0, this.#sent - s.length));
      if (i >= 0 && (at < 0 || i < at)) at = i;
    }
    return at;
  }

  /** Length of the longest tail of the text that is a proper prefix of a stop string. */
  #heldBack(): number {
    let hold = 0;
    for (const s of this.#stop)
      for (let n = Math.min(s.length - 1, this.#text.length); n > hold; n--)
        if (this.#text.endsWith(s.slice(0, n))) {
          hold = n;
          break;
        }
    return hold;
  }
}
