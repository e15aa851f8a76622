/**
 * One queued job through the backend: what the queue worker calls. The prompt is a user
 * message rendered with the model's chat template; decoding is greedy unless a temperature is
 * given, so the same job always gives the same answer.
 */
import type { InferenceBackend, Timings } from "./backend.ts";

export interface JobInput {
  prompt: string;
  maxTokens: number;
  /** Used only when temperature > 0. */
  seed?: number;
  /** @defaultValue 0 (greedy) */
  temperature?: number;
}

export interface JobResult {
  text: string;
  tokens: { prompt: number; completion: number; total: number };
  finishReason: "stop" | "length";
  timings: Timings;
  model: string;
  backend: string;
}

export async function runJob(
  backend: InferenceBackend,
  input: JobInput,
  signal?: AbortSignal,
): Promise<JobResult> {
  const info = backend.info;
  if (!info) throw new Error("the model is not loaded yet");
  const result = await backend.generate({
    prompt: { messages: [{ role: "user", content: input.prompt }] },
    maxTokens: input.maxTokens,
    temperature: input.temperature ?? 0,
    ...(input.seed === undefined ? {} : { seed: input.seed }),
    ...(signal ? { signal } : {}),
  });
  return {
    text: result.text,
    tokens: {
      prompt: result.promptTokens,
      completion: result.completionTokens,
      total: result.promptTokens + result.completionTokens,
    },
    finishReason: result.finishReason,
    timings: result.timings,
    model: info.id,
    backend: info.backend,
  };
}
