/**
 * `InferenceBackend` that runs node-llama-cpp in a child process, the inference engine
 * (engine.ts): `load()` starts it and loads the model there, `unload()` ends it. The runtime's
 * HTTP API and queue worker use it exactly as they would `LlamaBackend`.
 *
 * If the engine dies (a native abort, the OOM killer), the requests it was running fail with
 * `EngineExitedError` (the worker counts a failed attempt, so a prompt that always crashes it
 * ends in the DLQ rather than in a crash loop) and a new engine loads the same model; requests
 * made meanwhile wait for it.
 */
import { type ChildProcess, fork } from "node:child_process";
import { performance } from "node:perf_hooks";
import type { Logger } from "../lib/logger.ts";
import type { Generation, GenerationRequest, InferenceBackend, ModelInfo } from "./backend.ts";
import { type EngineLoadOptions, type EngineReply, type EngineRequest, fromWire } from "./engine-protocol.ts";
import type { LlamaBackendOptions } from "./llama-backend.ts";

const ENGINE = new URL("./engine.ts", import.meta.url);
/** How long an engine asked to exit may take before it is killed. */
const EXIT_GRACE_MS = 5000;

/** The engine process ended while it ran the request. */
export class EngineExitedError extends Error {
  override readonly name = "EngineExitedError";
}

interface Pending {
  onText: ((chunk: string) => void) | undefined;
  resolve: (g: Generation) => void;
  reject: (err: Error) => void;
}

export class EngineBackend implements InferenceBackend {
  readonly #options: EngineLoadOptions;
  readonly #logger: Logger | undefined;
  #child: ChildProcess | undefined;
  #info: ModelInfo | undefined;
  /** The load in progress: the first, or a restart after the engine died. */
  #loading: Promise<ModelInfo> | undefined;
  #loaded: { resolve: (info: ModelInfo) => void; reject: (err: Error) => void } | undefined;
  #unloading = false;
  /** Why the last restart failed: what requests are told until the next load(). */
  #restartFailed: Error | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  constructor(options: LlamaBackendOptions & Pick<EngineLoadOptions, "crashPrompt">) {
    const { logger, ...rest } = options;
    this.#options = rest;
    this.#logger = logger;
  }

  get info(): ModelInfo | undefined {
    return this.#info;
  }

  /** The engine's process id while it runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  load(): Promise<ModelInfo> {
    if (this.#child) return Promise.reject(new Error("the engine is already running: unload() first"));
    this.#restartFailed = undefined;
    this.#loading = this.#start();
    return this.#loading;
  }

  async generate(request: GenerationRequest, onText?: (chunk: string) => void): Promise<Generation> {
    if (this.#loading && this.#info) await this.#loading.catch(() => {}); // a restart
    const child = this.#child;
    if (!child?.connected || !this.#info)
      throw this.#restartFailed ?? new Error("the model is not loaded: call load() first");
    const { signal, ...rest } = request;
    signal?.throwIfAborted();
    const id = this.#nextId++;
    return new Promise<Generation>((resolve, reject) => {
      const onAbort = () => {
        this.#pending.delete(id);
        this.#send(child, { type: "abort", id });
        reject(signal?.reason);
      };
      const settle = () => signal?.removeEventListener("abort", onAbort);
      this.#pending.set(id, {
        onText,
        resolve: (g) => {
          settle();
          resolve(g);
        },
        reject: (err) => {
          settle();
          reject(err);
        },
      });
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#send(child, { type: "generate", id, request: rest, stream: onText !== undefined }, (err) => {
        this.#pending.delete(id);
        settle();
        reject(new EngineExitedError(`the inference engine is gone: ${err.message}`));
      });
    });
  }

  async unload(): Promise<void> {
    this.#unloading = true;
    this.#info = undefined;
    const child = this.#child;
    try {
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        if (child.connected) this.#send(child, { type: "exit" });
        else child.kill();
        const kill = setTimeout(() => child.kill("SIGKILL"), EXIT_GRACE_MS);
        await exited;
        clearTimeout(kill);
      }
    } finally {
      this.#child = undefined;
      this.#loading = undefined;
      this.#unloading = false;
    }
  }

  async #start(): Promise<ModelInfo> {
    const started = performance.now();
    const child = fork(ENGINE, [], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: [] });
    this.#child = child;
    const loaded = new Promise<ModelInfo>((resolve, reject) => (this.#loaded = { resolve, reject }));
    child.on("message", (reply: EngineReply) => this.#onReply(child, reply));
    child.once("exit", (code, signal) => this.#onExit(child, code, signal));
    child.on("error", (err) => {
      // A fork that failed (EAGAIN, ENOMEM) may never emit `exit`: the load must not wait for it.
      this.#logger?.error({ err }, "inference engine process error");
      this.#loaded?.reject(new Error(`the inference engine could not be started: ${err.message}`));
      this.#loaded = undefined;
    });
    this.#send(child, { type: "load", options: this.#options });
    try {
      const info = await loaded;
      // From the fork, so the engine's start is counted in the load.
      this.#info = { ...info, loadMs: Math.round(performance.now() - started) };
      return this.#info;
    } catch (err) {
      this.#info = undefined;
      if (this.#child === child) await this.unload();
      throw err;
    }
  }

  #onReply(child: ChildProcess, reply: EngineReply): void {
    if (child !== this.#child) return;
    switch (reply.type) {
      case "loaded":
        this.#loaded?.resolve(reply.info);
        this.#loaded = undefined;
        return;
      case "load-failed":
        this.#loaded?.reject(fromWire(reply.error));
        this.#loaded = undefined;
        return;
      case "text":
        this.#pending.get(reply.id)?.onText?.(reply.chunk);
        return;
      case "done":
        this.#pending.get(reply.id)?.resolve(reply.generation);
        this.#pending.delete(reply.id);
        return;
      case "failed":
        this.#pending.get(reply.id)?.reject(fromWire(reply.error));
        this.#pending.delete(reply.id);
        return;
    }
  }

  #onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.#child) return;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    const whileLoading = this.#loaded !== undefined;
    this.#child = undefined;
    this.#loaded?.reject(new Error(`the inference engine exited (${how}) while loading the model`));
    this.#loaded = undefined;
    const why = this.#unloading
      ? "the model was unloaded"
      : `the inference engine exited (${how}) while it ran this request`;
    for (const p of this.#pending.values()) p.reject(new EngineExitedError(why));
    this.#pending.clear();
    // Died while loading (a restart too): the load fails, and no new engine, or it could loop.
    if (this.#unloading || whileLoading || !this.#info) return;
    // It had loaded, so what ended it was a request or the host: start a new one, as before.
    this.#logger?.error({ exit: how }, "the inference engine died: starting a new one");
    const restart = this.#start();
    this.#loading = restart;
    restart.then(
      (info) => this.#logger?.info({ loadMs: info.loadMs }, "inference engine restarted"),
      (err: unknown) => {
        if (this.#loading !== restart) return; // unload() ended it on purpose
        this.#restartFailed = new Error(
          `the inference engine could not be restarted: ${(err as Error).message}`,
        );
        this.#logger?.error({ err }, this.#restartFailed.message);
      },
    );
  }

  #send(child: ChildProcess, msg: EngineRequest, onError?: (err: Error) => void): void {
    try {
      child.send(msg, (err) => {
        if (err) onError?.(err);
      });
    } catch (err) {
      onError?.(err as Error);
    }
  }
}
