/**
 * The OpenAI-compatible API on real inference (tiny model), driven by the official openai client,
 * with the model in the inference engine process, as the runtime runs it.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureModel } from "../../scripts/models/models.ts";
import { EngineBackend } from "../../services/gpu-runtime/engine-backend.ts";
import { createRuntimeServer, type RuntimeServer } from "../../services/gpu-runtime/server.ts";

let runtime: RuntimeServer;
let base: string;
let client: OpenAI;

beforeAll(async () => {
  const backend = new EngineBackend({
    modelPath: ensureModel("tiny"),
    backend: "cpu",
    threads: 1,
    contextSize: 256,
  });
  runtime = createRuntimeServer({ backend, limits: { maxTokens: 64, defaultMaxTokens: 32 } });
  const address = await runtime.listen(0);
  base = `http://127.0.0.1:${address.port}`;
  await runtime.ready;
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(() => runtime.close());

const PROMPT = "Tell me about the queue";

describe("GET /v1/models", () => {
  it("lists the loaded model with its backend", async () => {
    const models = await client.models.list();
    expect(models.data).toHaveLength(1);
    expect(models.data[0]).toMatchObject({
      id: "tiny-f32-s42",
      object: "model",
      owned_by: "tinyllama-platform",
    });
    expect((models.data[0] as unknown as { meta: unknown }).meta).toMatchObject({
      backend: "cpu",
      n_ctx: 256,
      n_vocab: 512,
      n_params: 139_584,
    });
  });
});

describe("POST /v1/completions", () => {
  it("completes greedily and reproducibly, with usage and timings", async () => {
    const ask = () =>
      client.completions.create({ model: "tiny", prompt: PROMPT, max_tokens: 10, temperature: 0 });
    const [a, b] = [await ask(), await ask()];
    expect(a.object).toBe("text_completion");
    expect(a.choices[0]?.finish_reason).toBe("length");
    expect(a.choices[0]?.text).toBe(b.choices[0]?.text);
    expect(a.usage).toMatchObject({ completion_tokens: 10 });
    expect(a.usage?.total_tokens).toBe((a.usage?.prompt_tokens ?? 0) + 10);
    const timings = (a as unknown as { timings: Record<string, number> }).timings;
    expect(timings).toMatchObject({ predicted_n: 10 });
    expect(timings.predicted_per_second).toBeGreaterThan(0);
  });

  it("defaults max_tokens to 16, as OpenAI does", async () => {
    const c = await client.completions.create({ model: "tiny", prompt: PROMPT, temperature: 0 });
    expect(c.usage?.completion_tokens).toBe(16);
  });

  it("streams SSE chunks whose text adds up to the plain answer, ending in [DONE]", async () => {
    const plain = await client.completions.create({
      model: "tiny",
      prompt: PROMPT,
      max_tokens: 20,
      temperature: 0,
    });
    const stream = await client.completions.create({
      model: "tiny",
      prompt: PROMPT,
      max_tokens: 20,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let chunks = 0;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.text ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(text).toBe(plain.choices[0]?.text);
    expect(usage).toEqual(plain.usage);
  });

  it("writes the SSE wire format llama.cpp's server does", async () => {
    const res = await fetch(`${base}/v1/completions`, {
      method: "POST",
      body: JSON.stringify({ prompt: PROMPT, max_tokens: 3, temperature: 0, stream: true }),
    });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const body = await res.text();
    const events = body.split("\n\n").filter(Boolean);
    expect(events.every((e) => e.startsWith("data: "))).toBe(true);
    expect(events.at(-1)).toBe("data: [DONE]");
    const last = JSON.parse(events.at(-2)?.slice(6) ?? "{}");
    expect(last.choices[0].finish_reason).toBe("length");
    expect(last.usage.completion_tokens).toBe(3);
  });
});

describe("POST /v1/chat/completions", () => {
  const messages: OpenAI.ChatCompletionMessageParam[] = [
    { role: "system", content: "You are terse." },
    { role: "user", content: "Hello" },
  ];

  it("answers as the assistant, reproducibly at temperature 0", async () => {
    const ask = () =>
      client.chat.completions.create({ model: "tiny", messages, max_tokens: 12, temperature: 0 });
    const [a, b] = [await ask(), await ask()];
    expect(a.object).toBe("chat.completion");
    expect(a.choices[0]?.message.role).toBe("assistant");
    expect(a.choices[0]?.message.content).toBe(b.choices[0]?.message.content);
    expect(a.usage?.completion_tokens).toBe(12);
  });

  it("streams deltas that add up to the plain answer", async () => {
    const plain = await client.chat.completions.create({
      model: "tiny",
      messages,
      max_tokens: 12,
      temperature: 0,
    });
    const stream = await client.chat.completions.create({
      model: "tiny",
      messages,
      max_tokens: 12,
      temperature: 0,
      stream: true,
    });
    let text = "";
    let finish: string | null | undefined;
    let role: string | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      text += choice?.delta.content ?? "";
      role ??= choice?.delta.role;
      finish = choice?.finish_reason ?? finish;
    }
    expect(role).toBe("assistant");
    expect(finish).toBe("length");
    expect(text).toBe(plain.choices[0]?.message.content);
  });

  it("reproduces a seeded sampled answer", async () => {
    const ask = (seed: number) =>
      client.chat.completions.create({ model: "tiny", messages, max_tokens: 12, temperature: 0.9, seed });
    expect((await ask(5)).choices[0]?.message.content).toBe((await ask(5)).choices[0]?.message.content);
  });
});

describe("bad requests", () => {
  const post = (path: string, body: string) =>
    fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });

  it("answers 400 with OpenAI's error shape, which the client surfaces", async () => {
    const error = await client.chat.completions
      .create({ model: "tiny", messages: [], max_tokens: 4 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toContain(
      "messages: must hold at least one message",
    );
  });

  it("names the field that is wrong", async () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ["/v1/completions", {}, /^prompt: is required$/],
      ["/v1/completions", { prompt: [1, 2, 3] }, /prompt: must be a string/],
      ["/v1/completions", { prompt: "x", max_tokens: 65 }, /max_tokens: must be at most 64/],
      ["/v1/completions", { prompt: "x", max_tokens: 0 }, /^max_tokens: /],
      ["/v1/completions", { prompt: "x", temperature: 3 }, /^temperature: /],
      ["/v1/completions", { prompt: "x", n: 2 }, /n: only n = 1 is supported/],
      ["/v1/chat/completions", { messages: [{ role: "robot", content: "x" }] }, /role must be system/],
      ["/v1/chat/completions", { messages: "hi" }, /^messages: /],
      ["/v1/completions", [1], /the body must be a JSON object/],
    ];
    for (const [path, body, message] of cases) {
      const res = await post(path, JSON.stringify(body));
      const json = (await res.json()) as { error: { message: string; type: string; code: number } };
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(json.error.type).toBe("invalid_request_error");
      expect(json.error.message, JSON.stringify(body)).toMatch(message);
    }
  });

  it("rejects broken JSON, an empty body, a prompt over the context, unknown routes and methods", async () => {
    expect((await post("/v1/completions", "{nope")).status).toBe(400);
    expect(
      ((await (await post("/v1/completions", "")).json()) as { error: { message: string } }).error.message,
    ).toMatch(/the body is empty/);
    const long = await post(
      "/v1/completions",
      JSON.stringify({ prompt: "word ".repeat(400), max_tokens: 8 }),
    );
    expect(long.status).toBe(400);
    expect(((await long.json()) as { error: { message: string } }).error.message).toMatch(
      /must fit the 256-token context/,
    );
    expect((await fetch(`${base}/v1/embeddings`)).status).toBe(404);
    expect((await fetch(`${base}/v1/completions`)).status).toBe(405);
  });

  it("keeps serving after bad requests", async () => {
    const c = await client.completions.create({
      model: "tiny",
      prompt: PROMPT,
      max_tokens: 2,
      temperature: 0,
    });
    expect(c.usage?.completion_tokens).toBe(2);
  });
});
