/**
 * The inference engine process (engine.ts) behind `EngineBackend`, on the generated tiny model:
 * what a caller sees is what `LlamaBackend` gives in process, and a dead engine costs only the
 * request it was running.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureModel } from "../../scripts/models/models.ts";
import { type GenerationRequest, PromptTooLongError } from "../../services/gpu-runtime/backend.ts";
import { EngineBackend, EngineExitedError } from "../../services/gpu-runtime/engine-backend.ts";
import { LlamaBackend } from "../../services/gpu-runtime/llama-backend.ts";
import { alive } from "../helpers/process.ts";
import { captureLogger, waitFor } from "./stack.ts";

const options = { modelPath: ensureModel("tiny"), backend: "cpu" as const, threads: 1, contextSize: 256 };
const engine = new EngineBackend({ ...options, crashPrompt: "^crash" });
const inProcess = new LlamaBackend(options);
beforeAll(async () => {
  await Promise.all([engine.load(), inProcess.load()]);
});
afterAll(async () => {
  await Promise.all([engine.unload(), inProcess.unload()]);
});

const ask = (content: string, maxTokens = 32): GenerationRequest => ({
  prompt: { messages: [{ role: "user", content }] },
  maxTokens,
  temperature: 0,
});

/** Kills a loaded engine and resolves once its replacement is forked, while it still loads. */
async function killForRestart(backend: EngineBackend): Promise<void> {
  const first = backend.pid as number;
  process.kill(first, "SIGKILL");
  await waitFor(
    "the new engine forked",
    async () => backend.pid !== undefined && backend.pid !== first,
    5000,
    5,
  );
}

describe("EngineBackend", () => {
  it("runs the model in a child process: the same greedy answer as in process, streamed as it is made", async () => {
    expect(engine.pid).toBeGreaterThan(0);
    expect(engine.pid).not.toBe(process.pid);
    expect(engine.info).toMatchObject({ id: "tiny-f32-s42", backend: "cpu", threads: 1, contextSize: 256 });
    expect(engine.info?.loadMs).toBeGreaterThan(0);

    const chunks: string[] = [];
    const g = await engine.generate(ask("Tell me about queues"), (chunk) => chunks.push(chunk));
    const direct = await inProcess.generate(ask("Tell me about queues"));
    expect(g.text).toBe(direct.text);
    expect(g.completionTokens).toBe(direct.completionTokens);
    expect(g.promptTokens).toBe(direct.promptTokens);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join("")).toBe(g.text);
  });

  it("fails a prompt too long for the context with PromptTooLongError, as in process", async () => {
    const err = await engine.generate(ask("hello", 1000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PromptTooLongError);
    expect(err).toMatchObject({ maxTokens: 1000, contextSize: 256 });
    expect((err as Error).message).toMatch(
      /max_tokens is 1000: together they must fit the 256-token context/,
    );
  });

  it("rejects an aborted request with the abort's reason, and goes on serving", async () => {
    const abort = new AbortController();
    const running = engine.generate({ ...ask("Count to a hundred", 200), signal: abort.signal });
    abort.abort(new Error("the client went away"));
    await expect(running).rejects.toThrow("the client went away");
    const after = await engine.generate(ask("Tell me about queues"));
    expect(after.completionTokens).toBeGreaterThan(0);
  });

  it("when the engine is killed during a request, fails that request with EngineExitedError and runs the next on a new engine", async () => {
    const before = await engine.generate(ask("Tell me about queues"));
    const pid = engine.pid as number;
    const running = engine.generate(ask("Count to a hundred", 200));
    process.kill(pid, "SIGKILL");
    const err = await running.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineExitedError);
    expect((err as Error).message).toBe(
      "the inference engine exited (signal SIGKILL) while it ran this request",
    );
    expect(alive(pid)).toBe(false);

    // Made while the new engine loads: it waits for it, and gets the same answer as before.
    const next = await engine.generate(ask("Tell me about queues"));
    expect(engine.pid).not.toBe(pid);
    expect(next.text).toBe(before.text);
  });

  it("a prompt matching the crashPrompt fault aborts the engine (SIGABRT), which fails only that request", async () => {
    const pid = engine.pid as number;
    const err = await engine.generate(ask("crash: this prompt kills the engine")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineExitedError);
    expect((err as Error).message).toMatch(/exited \(signal SIGABRT\)/);
    const next = await engine.generate(ask("Tell me about queues"));
    expect(next.completionTokens).toBeGreaterThan(0);
    expect(engine.pid).not.toBe(pid);
  });

  it("a new engine that dies while loading is not restarted again: requests say why, and load() starts afresh", async () => {
    const other = new EngineBackend(options);
    await other.load();
    await killForRestart(other);
    process.kill(other.pid as number, "SIGKILL"); // still loading: the model takes hundreds of ms
    const err = await other.generate(ask("hello")).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      "the inference engine could not be restarted: the inference engine exited (signal SIGKILL) while loading the model",
    );
    expect(other.pid).toBeUndefined();
    await other.load();
    expect((await other.generate(ask("hello"))).completionTokens).toBeGreaterThan(0);
    await other.unload();
  });

  it("unload() while a new engine loads ends it quietly: no restart failure is reported", async () => {
    const { logger, lines } = captureLogger();
    const other = new EngineBackend({ ...options, logger });
    await other.load();
    await killForRestart(other);
    await other.unload();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lines.map((l) => l.msg)).toContain("the inference engine died: starting a new one");
    expect(lines.filter((l) => String(l.msg).includes("could not be restarted"))).toEqual([]);
    await expect(other.generate(ask("hello"))).rejects.toThrow("the model is not loaded: call load() first");
  });

  it("unload() ends the engine process; a model that cannot load rejects with the reason and leaves none", async () => {
    const other = new EngineBackend(options);
    await other.load();
    const pid = other.pid as number;
    expect(alive(pid)).toBe(true);
    await other.unload();
    expect(other.pid).toBeUndefined();
    expect(other.info).toBeUndefined();
    await waitFor("the engine gone", async () => !alive(pid), 5000, 50);
    await expect(other.generate(ask("hello"))).rejects.toThrow("the model is not loaded: call load() first");

    const missing = new EngineBackend({ ...options, modelPath: "/nonexistent/model.gguf" });
    await expect(missing.load()).rejects.toThrow(/model\.gguf/);
    expect(missing.pid).toBeUndefined();
  });
});
