/**
 * The request bodies of the OpenAI-compatible API, validated into `GenerationRequest`s. Fields
 * OpenAI defines that do not change the answer here (user, logit_bias, ...) are accepted and
 * ignored, as llama.cpp's server does; fields that would change it and are not supported
 * (n > 1, tools, token-array prompts) are rejected with a message naming the field.
 */
import { z } from "zod";
import type { ChatMessage, GenerationRequest, Prompt } from "./backend.ts";

export class BadRequestError extends Error {
  readonly param: string | null;
  constructor(message: string, param: string | null = null) {
    super(message);
    this.name = "BadRequestError";
    this.param = param;
  }
}

const common = {
  model: z.string().optional(),
  max_tokens: z.int().min(1).nullish(),
  max_completion_tokens: z.int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  top_k: z.int().min(0).nullish(),
  seed: z.int().min(0).max(0xffffffff).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  n: z.literal(1, { error: "only n = 1 is supported" }).nullish(),
};

const completionBody = z.object({
  ...common,
  prompt: z.union([z.string(), z.array(z.string()).length(1, { error: "give one prompt string" })], {
    error: "must be a string (token-array prompts are not supported)",
  }),
  echo: z.literal(false, { error: "echo is not supported" }).nullish(),
  suffix: z.null({ error: "suffix is not supported" }).optional(),
});

const textPart = z.object({ type: z.literal("text"), text: z.string() });
const message = z.object({
  role: z.enum(["system", "developer", "user", "assistant"], {
    error: "role must be system, developer, user or assistant",
  }),
  content: z.union([z.string(), z.array(textPart)], { error: "content must be a string or text parts" }),
});

const chatBody = z.object({
  ...common,
  messages: z.array(message).min(1, { error: "must hold at least one message" }),
  tools: z.array(z.unknown()).max(0, { error: "tools are not supported" }).nullish(),
});

export interface ParsedRequest {
  generation: Omit<GenerationRequest, "signal">;
  stream: boolean;
  includeUsage: boolean;
  model: string | undefined;
}

export interface Limits {
  /** The most tokens one request may ask for. */
  maxTokens: number;
  /** When the body names none: OpenAI's 16 for completions; the limit for chat. */
  defaultMaxTokens: number;
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new BadRequestError("the body must be a JSON object");
  const result = schema.safeParse(body, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = issue?.path.map(String).join(".") || null;
  const detail = issue?.message ?? "is not valid";
  throw new BadRequestError(
    param ? `${param}: ${issue?.input === undefined ? "is required" : detail}` : detail,
    param,
  );
}

function generationOf(
  body: z.infer<typeof completionBody> | z.infer<typeof chatBody>,
  prompt: Prompt,
  limits: Limits,
): ParsedRequest {
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? limits.defaultMaxTokens;
  if (maxTokens > limits.maxTokens)
    throw new BadRequestError(
      `max_tokens: must be at most ${limits.maxTokens} (got ${maxTokens})`,
      "max_tokens",
    );
  const stop = body.stop == null ? [] : typeof body.stop === "string" ? [body.stop] : body.stop;
  const generation: ParsedRequest["generation"] = {
    prompt,
    maxTokens,
    temperature: body.temperature ?? 1,
    ...(body.seed == null ? {} : { seed: body.seed }),
    ...(body.top_p == null ? {} : { topP: body.top_p }),
    ...(body.top_k == null ? {} : { topK: body.top_k }),
    ...(stop.length ? { stop } : {}),
  };
  return {
    generation,
    stream: body.stream ?? false,
    includeUsage: body.stream_options?.include_usage ?? false,
    model: body.model,
  };
}

export function parseCompletion(body: unknown, limits: Limits): ParsedRequest {
  const b = parse(completionBody, body);
  const text = typeof b.prompt === "string" ? b.prompt : (b.prompt[0] ?? "");
  return generationOf(b, { text }, { ...limits, defaultMaxTokens: Math.min(16, limits.maxTokens) });
}

export function parseChat(body: unknown, limits: Limits): ParsedRequest {
  const b = parse(chatBody, body);
  const messages: ChatMessage[] = b.messages.map((m) => ({
    role: m.role === "developer" ? "system" : m.role,
    content: typeof m.content === "string" ? m.content : m.content.map((p) => p.text).join(""),
  }));
  return generationOf(b, { messages }, limits);
}
