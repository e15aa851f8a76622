/**
 * The runtime's HTTP API: the OpenAI-compatible subset llama.cpp's server offers, so any OpenAI
 * SDK works against it by changing `baseURL`.
 *
 *   GET  /health               503 {"status":"loading"} until the model is loaded, then 200 {"status":"ok",...};
 *                              with the power gate, 200 {"status":"waiting"} while the instance is not running
 *   GET  /v1/models            the loaded model
 *   POST /v1/completions       {prompt, max_tokens?, temperature?, seed?, stop?, stream?}
 *   POST /v1/chat/completions  {messages, ...the same}
 *
 * `stream: true` answers Server-Sent Events, `data: {chunk}\n\n` per piece of text, ending with
 * `data: [DONE]`. Every answer carries `usage` and llama.cpp-style `timings`. The `model` field
 * of a request is accepted and not checked, as llama.cpp does. Plain `node:http`: five routes
 * and hand-written SSE need no framework.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../lib/logger.ts";
import { type Generation, type InferenceBackend, type ModelInfo, PromptTooLongError } from "./backend.ts";
import {
  BadRequestError,
  type Limits,
  type ParsedRequest,
  parseChat,
  parseCompletion,
} from "./openai-requests.ts";

export interface RuntimeServerOptions {
  backend: InferenceBackend;
  /** @defaultValue { maxTokens: 512, defaultMaxTokens: 512 } */
  limits?: Limits;
  /** @defaultValue 1 MiB */
  maxBodyBytes?: number;
  logger?: Logger;
  /**
   * Load the model as soon as the server listens. false: only on `load()` (the power gate loads
   * it when the instance runs). @defaultValue true
   */
  loadOnListen?: boolean;
  /** What /health says about the power gate. @defaultValue `{ gate: "off" }` */
  gate?: () => GateView;
}

/** The power gate as /health shows it: off (AWS), running, or waiting for the instance. */
export interface GateView {
  gate: "off" | "running" | "waiting";
  /** The instance's EC2 state, when the gate watches one. */
  instance?: string;
}

type Status =
  | { state: "standby" }
  | { state: "loading" }
  | { state: "ok"; info: ModelInfo }
  | { state: "error"; message: string };

export interface RuntimeServer {
  server: http.Server;
  /** The latest load: resolves with the model info when loaded; rejects when loading failed. */
  ready: Promise<ModelInfo>;
  listen(port: number, host?: string): Promise<AddressInfo>;
  /** Loads the model (again); /health says loading meanwhile. */
  load(): Promise<ModelInfo>;
  /** Refuses new requests (503), aborts running ones, unloads the model; /health says waiting. */
  unload(): Promise<void>;
  /** Stops accepting requests, lets running ones finish, unloads the model. */
  close(): Promise<void>;
}

class HttpError extends Error {
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  constructor(status: number, message: string, type = "invalid_request_error", param: string | null = null) {
    super(message);
    this.status = status;
    this.type = type;
    this.param = param;
  }
}

const LOADING = () => new HttpError(503, "Loading model", "unavailable_error");

export function createRuntimeServer(options: RuntimeServerOptions): RuntimeServer {
  const { backend, logger } = options;
  const limits = options.limits ?? { maxTokens: 512, defaultMaxTokens: 512 };
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const loadOnListen = options.loadOnListen ?? true;
  const gate = options.gate ?? (() => ({ gate: "off" }) satisfies GateView);
  let status: Status = { state: loadOnListen ? "loading" : "standby" };
  let ready: Promise<ModelInfo> | undefined;
  /** Completions running now, so `unload()` can abort them and wait. */
  const active = new Set<{ abort: AbortController; done: Promise<void> }>();

  const send = (res: http.ServerResponse, code: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(code, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  };

  const loaded = (): ModelInfo => {
    if (status.state === "ok") return status.info;
    if (status.state === "error")
      throw new HttpError(503, `the model failed to load: ${status.message}`, "unavailable_error");
    if (status.state === "standby")
      throw new HttpError(
        503,
        "the model is not loaded: the GPU instance is not running (it loads when the instance starts)",
        "unavailable_error",
      );
    throw LOADING();
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://runtime");
    const route = `${req.method} ${url.pathname.replace(/\/+$/, "") || "/"}`;
    switch (route) {
      case "GET /health":
      case "GET /v1/health": {
        const g = gate();
        if (status.state === "ok") {
          const { backend: used, id, loadMs } = status.info;
          return send(res, 200, { status: "ok", model: id, backend: used, loadMs, ...g });
        }
        // Waiting for the instance is this runtime's normal state when it is off: healthy.
        if (status.state === "standby") return send(res, 200, { status: "waiting", ...g });
        return send(
          res,
          503,
          status.state === "loading"
            ? { status: "loading", ...g }
            : { status: "error", error: status.message, ...g },
        );
      }
      case "GET /v1/models": {
        const info = loaded();
        return send(res, 200, {
          object: "list",
          data: [
            {
              id: info.id,
              object: "model",
              created: 0,
              owned_by: "tinyllama-platform",
              meta: {
                backend: info.backend,
                threads: info.threads,
                n_ctx: info.contextSize,
                n_ctx_train: info.trainContextSize,
                n_vocab: info.vocabSize,
                n_params: info.parameters,
                size: info.sizeBytes,
              },
            },
          ],
        });
      }
      case "POST /v1/completions":
      case "POST /v1/chat/completions": {
        const info = loaded();
        const body = await readJson(req, maxBodyBytes);
        const chat = route.endsWith("chat/completions");
        const parsed = chat ? parseChat(body, limits) : parseCompletion(body, limits);
        return complete(req, res, parsed, chat, info);
      }
      default: {
        const known = ["/health", "/v1/health", "/v1/models", "/v1/completions", "/v1/chat/completions"];
        if (known.includes(url.pathname))
          throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}`);
        throw new HttpError(404, `no route ${req.method} ${url.pathname}`, "not_found_error");
      }
    }
  }

  async function complete(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    parsed: ParsedRequest,
    chat: boolean,
    info: ModelInfo,
  ): Promise<void> {
    const abort = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) abort.abort(new Error("client went away"));
    });
    let finished = () => {};
    const entry = { abort, done: new Promise<void>((resolve) => (finished = resolve)) };
    active.add(entry);
    res.on("close", () => {
      active.delete(entry);
      finished();
    });
    const id = `${chat ? "chatcmpl" : "cmpl"}-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const head = {
      id,
      object: chat ? "chat.completion" : "text_completion",
      created,
      model: parsed.model ?? info.id,
    };
    const request = { ...parsed.generation, signal: abort.signal };

    if (!parsed.stream) {
      const g = await backend.generate(request);
      log(req, g);
      const choice = chat
        ? {
            index: 0,
            message: { role: "assistant", content: g.text },
            logprobs: null,
            finish_reason: g.finishReason,
          }
        : { index: 0, text: g.text, logprobs: null, finish_reason: g.finishReason };
      return send(res, 200, { ...head, choices: [choice], usage: usage(g), timings: timings(g) });
    }

    const object = chat ? "chat.completion.chunk" : "text_completion";
    const event = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    const chunk = (delta: string | null, finish: string | null, role = false) => ({
      ...head,
      object,
      choices: [
        chat
          ? {
              index: 0,
              delta: delta === null ? {} : role ? { role: "assistant", content: delta } : { content: delta },
              logprobs: null,
              finish_reason: finish,
            }
          : { index: 0, text: delta ?? "", logprobs: null, finish_reason: finish },
      ],
    });
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    if (chat) event(chunk("", null, true));
    try {
      const g = await backend.generate(request, (text) => event(chunk(text, null)));
      log(req, g);
      event({ ...chunk(null, g.finishReason), usage: usage(g), timings: timings(g) });
      if (parsed.includeUsage) event({ ...head, object, choices: [], usage: usage(g) });
    } catch (err) {
      if (abort.signal.aborted) return;
      const e = toHttpError(err);
      event({ error: { message: e.message, type: e.type, code: e.status } });
    }
    res.end("data: [DONE]\n\n");
  }

  const log = (req: http.IncomingMessage, g: Generation) =>
    logger?.info(
      {
        path: req.url,
        promptTokens: g.promptTokens,
        completionTokens: g.completionTokens,
        finishReason: g.finishReason,
        timings: g.timings,
      },
      "generated",
    );

  const server = http.createServer((req, res) => {
    const started = performance.now();
    handle(req, res)
      .catch((err: unknown) => {
        const e = toHttpError(err);
        if (e.status >= 500 && e.status !== 503) logger?.error({ err }, "request failed");
        if (res.headersSent) res.end();
        else
          send(res, e.status, {
            error: { message: e.message, type: e.type, param: e.param, code: e.status },
          });
      })
      .finally(() => {
        logger?.debug(
          {
            method: req.method,
            path: req.url,
            status: res.statusCode,
            ms: Math.round(performance.now() - started),
          },
          "request",
        );
      });
  });

  function load(): Promise<ModelInfo> {
    status = { state: "loading" };
    const loading = backend.load().then(
      (info) => {
        if (ready === loading) status = { state: "ok", info };
        return info;
      },
      (err: unknown) => {
        if (ready === loading) status = { state: "error", message: (err as Error).message };
        logger?.error({ err }, "model load failed");
        throw err;
      },
    );
    ready = loading;
    loading.catch(() => {});
    return loading;
  }

  return {
    server,
    get ready(): Promise<ModelInfo> {
      if (!ready)
        throw new Error("no model load has started: call listen() (or load() when loadOnListen is false)");
      return ready;
    },
    listen(port: number, host = "127.0.0.1") {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          if (loadOnListen) void load().catch(() => {});
          resolve(server.address() as AddressInfo);
        });
      });
    },
    load,
    async unload() {
      status = { state: "standby" };
      await ready?.catch(() => {});
      status = { state: "standby" };
      for (const a of active) a.abort.abort(new Error("the model is being unloaded"));
      await Promise.all([...active].map((a) => a.done));
      await backend.unload();
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await ready?.catch(() => {});
      await backend.unload();
    },
  };
}

const usage = (g: Generation) => ({
  prompt_tokens: g.promptTokens,
  completion_tokens: g.completionTokens,
  total_tokens: g.promptTokens + g.completionTokens,
});

/** llama.cpp's `timings` object. */
const timings = (g: Generation) => ({
  prompt_n: g.promptTokens,
  prompt_ms: g.timings.promptMs,
  prompt_per_second: g.timings.promptTokensPerSecond,
  predicted_n: g.completionTokens,
  predicted_ms: g.timings.decodeMs,
  predicted_per_second: g.timings.decodeTokensPerSecond,
});

function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof BadRequestError)
    return new HttpError(400, err.message, "invalid_request_error", err.param);
  if (err instanceof PromptTooLongError)
    return new HttpError(400, err.message, "invalid_request_error", "max_tokens");
  return new HttpError(500, `internal error: ${(err as Error).message}`, "server_error");
}

async function readJson(req: http.IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `the body is over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text.trim()) throw new HttpError(400, "the body is empty: send a JSON object");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `the body is not valid JSON: ${(err as Error).message}`);
  }
}
