/** Real inference on the generated tiny model through node-llama-cpp (CPU, 1 thread). */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureModel } from "../../scripts/models/models.ts";
import { BackendUnavailableError, PromptTooLongError } from "../../services/gpu-runtime/backend.ts";
import { autoThreads, LlamaBackend } from "../../services/gpu-runtime/llama-backend.ts";
import { runJob } from "../../services/gpu-runtime/run-job.ts";
import { resolveSettings } from "../../services/gpu-runtime/settings.ts";
import { loadConfig } from "../../services/lib/config.ts";

const run = promisify(execFile);
const modelPath = ensureModel("tiny");
const PROMPT = "The job queue hands each prompt to the GPU";
let backend: LlamaBackend;

beforeAll(async () => {
  backend = new LlamaBackend({ modelPath, backend: "cpu", threads: 1, contextSize: 256 });
  await backend.load();
});
afterAll(() => backend.unload());

const greedy = (maxTokens = 48) => ({ prompt: { text: PROMPT }, maxTokens, temperature: 0 });

describe("LlamaBackend on the tiny model", () => {
  it("reports what it loaded and the backend in use", () => {
    expect(backend.info).toMatchObject({
      id: "tiny-f32-s42",
      backend: "cpu",
      threads: 1,
      contextSize: 256,
      vocabSize: 512,
      parameters: 139_584,
    });
    expect(backend.info?.loadMs).toBeGreaterThan(0);
  });

  it("gives the same greedy answer every time (a fresh sequence per request)", async () => {
    const first = await backend.generate(greedy());
    const second = await backend.generate(greedy());
    const third = await backend.generate({ ...greedy(), seed: 999 }); // a seed changes nothing at temperature 0
    expect(first.text.length).toBeGreaterThan(0);
    expect(second.text).toBe(first.text);
    expect(third.text).toBe(first.text);
  });

  it("gives the same greedy answer in another process", async () => {
    const here = await backend.generate(greedy());
    const child = path.join(import.meta.dirname, "fixtures-generate.ts");
    const [a, b] = await Promise.all([
      run(process.execPath, [child, modelPath, PROMPT]),
      run(process.execPath, [child, modelPath, PROMPT]),
    ]);
    expect(JSON.parse(a.stdout)).toEqual({ text: here.text, completionTokens: here.completionTokens });
    expect(JSON.parse(b.stdout)).toEqual({ text: here.text, completionTokens: here.completionTokens });
  });

  it("honours maxTokens and counts tokens", async () => {
    for (const maxTokens of [1, 5, 17]) {
      const g = await backend.generate(greedy(maxTokens));
      expect(g.completionTokens).toBe(maxTokens);
      expect(g.finishReason).toBe("length");
    }
    const g = await backend.generate(greedy(5));
    // BOS + the prompt's pieces.
    expect(g.promptTokens).toBeGreaterThan(5);
    expect(g.timings.promptMs).toBeGreaterThan(0);
    expect(g.timings.decodeTokensPerSecond).toBeGreaterThan(0);
  });

  it("streams exactly the text it returns", async () => {
    const chunks: string[] = [];
    const g = await backend.generate(greedy(), (c) => chunks.push(c));
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join("")).toBe(g.text);
    expect(g.text).toBe((await backend.generate(greedy())).text);
  });

  it("reproduces seeded sampling and varies it with the seed", async () => {
    const sampled = (seed: number) => backend.generate({ ...greedy(32), temperature: 1, seed });
    const [a, b, c] = [await sampled(1), await sampled(1), await sampled(2)];
    expect(b.text).toBe(a.text);
    expect(c.text).not.toBe(a.text);
  });

  it("ends before a stop string and leaves it out", async () => {
    const full = (await backend.generate(greedy())).text;
    const stop = full.slice(10, 13);
    const chunks: string[] = [];
    const g = await backend.generate({ ...greedy(), stop: [stop] }, (c) => chunks.push(c));
    expect(g.text).toBe(full.slice(0, full.indexOf(stop)));
    expect(g.finishReason).toBe("stop");
    expect(chunks.join("")).toBe(g.text);
  });

  it("renders chat messages with the model's template", async () => {
    const chat = await backend.generate({
      prompt: { messages: [{ role: "user", content: "Hello" }] },
      maxTokens: 8,
      temperature: 0,
    });
    const raw = await backend.generate({ prompt: { text: "<|user|>\nHello" }, maxTokens: 8, temperature: 0 });
    expect(chat.completionTokens).toBe(8);
    // "<|user|>\nHello</s>\n<|assistant|>\n" is longer than the raw text.
    expect(chat.promptTokens).toBeGreaterThan(raw.promptTokens);
  });

  it("rejects a prompt that can't fit the context with max_tokens", async () => {
    await expect(backend.generate(greedy(255))).rejects.toBeInstanceOf(PromptTooLongError);
  });

  it("queues requests beyond its one slot and answers each as if alone", async () => {
    const alone = (await backend.generate(greedy(16))).text;
    const all = await Promise.all([1, 2, 3].map(() => backend.generate(greedy(16))));
    for (const g of all) expect(g.text).toBe(alone);
  });

  it("stops when the request is aborted", async () => {
    const abort = new AbortController();
    let n = 0;
    const pending = backend.generate({ ...greedy(200), maxTokens: 200, signal: abort.signal }, () => {
      if (++n === 3) abort.abort(new Error("enough"));
    });
    await expect(pending).rejects.toThrow("enough");
    expect((await backend.generate(greedy(4))).completionTokens).toBe(4);
  });
});

describe("threads when none are configured", () => {
  it("one per physical core, less the cores left to the rest of the machine, at least one", () => {
    expect(autoThreads(8, 16, 0)).toBe(8); // a GPU host: every physical core
    expect(autoThreads(8, 16, 1)).toBe(8); // hyperthreads leave room already
    expect(autoThreads(2, 2, 1)).toBe(1); // a 2-vCPU machine under make dev
    expect(autoThreads(4, 4, 1)).toBe(3);
    expect(autoThreads(1, 1, 1)).toBe(1);
  });

  it("make dev's power gate leaves one core to the platform; without it none is left", async () => {
    const config = loadConfig();
    expect((await resolveSettings(config, { GPU_RUNTIME_POWER_GATE: "on" })).backend.reserveCores).toBe(1);
    expect((await resolveSettings(config, {})).backend.reserveCores).toBe(0);
  });
});

describe("runJob", () => {
  it("answers a job greedily with token counts and timings", async () => {
    const a = await runJob(backend, { prompt: "Summarise the queue", maxTokens: 12 });
    const b = await runJob(backend, { prompt: "Summarise the queue", maxTokens: 12 });
    expect(a).toMatchObject({ model: "tiny-f32-s42", backend: "cpu", finishReason: "length" });
    expect(a.tokens.completion).toBe(12);
    expect(a.tokens.total).toBe(a.tokens.prompt + 12);
    expect(a.timings.decodeMs).toBeGreaterThanOrEqual(0);
    expect(b.text).toBe(a.text);
  });
});

describe("backend cuda on a machine without CUDA", () => {
  it("fails at once with a message that says why and what to do", async () => {
    const cuda = new LlamaBackend({ modelPath, backend: "cuda" });
    const started = performance.now();
    const error = await cuda.load().catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toMatch(
      /backend cuda was requested but CUDA is not usable on this machine/,
    );
    expect((error as Error).message).toMatch(/GPU_RUNTIME_BACKEND=cpu or auto/);
    expect(cuda.info).toBeUndefined();
  });
});
