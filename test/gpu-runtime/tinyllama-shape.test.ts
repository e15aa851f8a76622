/**
 * Opt-in (TINYLLAMA_SHAPE=1, about 30 s on 2 cores): the TinyLlama-1.1B-shaped Q4_K_M model
 * (668 MB, generated on first use) loads and answers deterministically at a real model's cost.
 */
import { describe, expect, it } from "vitest";
import { ensureModel } from "../../scripts/models/models.ts";
import { LlamaBackend } from "../../services/gpu-runtime/llama-backend.ts";

describe.runIf(process.env.TINYLLAMA_SHAPE === "1")("the TinyLlama-shaped model", () => {
  it("answers greedily and reproducibly on the CPU", { timeout: 180_000 }, async () => {
    const backend = new LlamaBackend({
      modelPath: ensureModel("tinyllama"),
      backend: "cpu",
      contextSize: 512,
    });
    const info = await backend.load();
    try {
      expect(info).toMatchObject({ parameters: 1_100_048_384, vocabSize: 32_000, contextSize: 512 });
      const ask = () =>
        backend.generate({
          prompt: { messages: [{ role: "user", content: "Hello there" }] },
          maxTokens: 16,
          temperature: 0,
        });
      const [a, b] = [await ask(), await ask()];
      expect(b.text).toBe(a.text);
      expect(a.completionTokens).toBe(16);
      console.log(JSON.stringify({ loadMs: info.loadMs, threads: info.threads, ...a.timings }));
      expect(a.timings.decodeTokensPerSecond).toBeGreaterThan(1);
    } finally {
      await backend.unload();
    }
  });
});
