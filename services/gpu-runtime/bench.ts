/**
 * Measures load, prompt and decode speed of the runtime's backend on this machine.
 *
 *   node services/gpu-runtime/bench.ts --model tinyllama --threads 2 --prompt 128 --tokens 32 --reps 3
 *
 * --model tiny|tinyllama|FILE.gguf (a preset is generated on first use); --backend auto|cpu|cuda.
 * Greedy decoding, a fresh sequence per repetition; prints one JSON line per repetition, then medians.
 */
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ensureModel, isPreset } from "../../scripts/models/models.ts";
import type { BackendKind } from "./backend.ts";
import { LlamaBackend } from "./llama-backend.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "tiny" },
    backend: { type: "string", default: "cpu" },
    threads: { type: "string", default: "1" },
    prompt: { type: "string", default: "64" },
    tokens: { type: "string", default: "128" },
    reps: { type: "string", default: "3" },
  },
});
const modelPath = isPreset(values.model) ? ensureModel(values.model) : path.resolve(values.model);
const promptTokens = Number(values.prompt);
const maxTokens = Number(values.tokens);
const backend = new LlamaBackend({
  modelPath,
  backend: values.backend as BackendKind,
  threads: Number(values.threads),
  contextSize: promptTokens + maxTokens + 16,
});
const info = await backend.load();
// " the" is one piece in every generated vocabulary, so the prompt is N tokens with BOS.
const text = Array.from({ length: promptTokens - 1 }, () => "the").join(" ");
const runs = [];
for (let rep = 0; rep < Number(values.reps); rep++) {
  const g = await backend.generate({ prompt: { text }, maxTokens, temperature: 0 });
  const row = { rep, promptTokens: g.promptTokens, completionTokens: g.completionTokens, ...g.timings };
  runs.push(row);
  console.log(JSON.stringify(row));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
console.log(
  JSON.stringify({
    model: info.id,
    backend: info.backend,
    threads: info.threads,
    loadMs: info.loadMs,
    sizeBytes: info.sizeBytes,
    cpus: os.cpus().length,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    medianPromptTokensPerSecond: median(runs.map((r) => r.promptTokensPerSecond)),
    medianDecodeTokensPerSecond: median(runs.map((r) => r.decodeTokensPerSecond)),
  }),
);
await backend.unload();
