/**
 * The messages between the runtime and its inference engine process (engine.ts), over Node's IPC
 * channel, and the errors that cross it: a `PromptTooLongError` or `BackendUnavailableError`
 * thrown in the engine is rebuilt as the same class in the runtime, so the HTTP API and the
 * queue worker handle it as they would in process.
 */
import {
  type BackendKind,
  BackendUnavailableError,
  type Generation,
  type GenerationRequest,
  type ModelInfo,
  PromptTooLongError,
} from "./backend.ts";
import type { LlamaBackendOptions } from "./llama-backend.ts";

/** What the engine needs to load the model: `LlamaBackendOptions` without the logger. */
export type EngineLoadOptions = Omit<LlamaBackendOptions, "logger"> & {
  /** The `crashPrompt` fault (fault-injection.ts): a matching prompt aborts the engine. */
  crashPrompt?: string;
};

export type EngineRequest =
  | { type: "load"; options: EngineLoadOptions }
  /** `stream`: send the text as it is made (`text` messages); otherwise only `done`. */
  | { type: "generate"; id: number; request: Omit<GenerationRequest, "signal">; stream: boolean }
  | { type: "abort"; id: number }
  | { type: "exit" };

export type EngineReply =
  | { type: "loaded"; info: ModelInfo }
  | { type: "load-failed"; error: WireError }
  | { type: "text"; id: number; chunk: string }
  | { type: "done"; id: number; generation: Generation }
  | { type: "failed"; id: number; error: WireError };

export interface WireError {
  name: string;
  message: string;
  backend?: BackendKind;
  promptTokens?: number;
  maxTokens?: number;
  contextSize?: number;
}

export function toWire(err: unknown): WireError {
  if (err instanceof PromptTooLongError)
    return {
      name: err.name,
      message: err.message,
      promptTokens: err.promptTokens,
      maxTokens: err.maxTokens,
      contextSize: err.contextSize,
    };
  if (err instanceof BackendUnavailableError)
    return { name: err.name, message: err.message, backend: err.backend };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: "Error", message: String(err) };
}

export function fromWire(w: WireError): Error {
  if (w.name === "PromptTooLongError" && w.promptTokens !== undefined && w.contextSize !== undefined)
    return new PromptTooLongError(w.promptTokens, w.maxTokens ?? 0, w.contextSize);
  if (w.name === "BackendUnavailableError" && w.backend)
    return new BackendUnavailableError(w.backend, w.message);
  const err = new Error(w.message);
  err.name = w.name;
  return err;
}
