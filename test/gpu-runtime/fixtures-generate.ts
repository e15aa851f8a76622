/**
 * Child-process helper for the cross-process determinism test: loads the model given as argv[2],
 * runs one greedy completion of argv[3] and prints the result as JSON.
 */
import { LlamaBackend } from "../../services/gpu-runtime/llama-backend.ts";

const [modelPath = "", prompt = ""] = process.argv.slice(2);
const backend = new LlamaBackend({ modelPath, backend: "cpu", threads: 1, contextSize: 256 });
await backend.load();
const g = await backend.generate({ prompt: { text: prompt }, maxTokens: 48, temperature: 0 });
process.stdout.write(JSON.stringify({ text: g.text, completionTokens: g.completionTokens }));
await backend.unload();
