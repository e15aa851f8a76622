/**
 * The direct baseline of `npm run bench:lifecycle`, in its own process (forked with an IPC
 * channel): node-llama-cpp on the runtime's model, threads and context size, the same
 * chat-rendered prompt, greedy `evaluate`. Being a separate process, like the GPU runtime, it
 * competes for the CPU with whatever runs beside it the same way the runtime does, and the bench
 * can run it while the stack is up and idle between batches of queued jobs.
 *
 * Protocol: the parent forks it with MODEL_PATH, MAX_TOKENS, PROMPT (and GPU_RUNTIME_THREADS when
 * set) in its environment; it loads the model, runs one untimed evaluation and sends
 * `{ type: "ready", threads }`; then for each `{ type: "run", reps }` it sends
 * `{ type: "done", samples }`; `{ type: "exit" }` frees the model and ends it.
 */
import os from "node:os";
import { performance } from "node:perf_hooks";
import { getLlama, LlamaLogLevel, resolveChatWrapper, type Token } from "node-llama-cpp";
import { autoThreads } from "../../services/gpu-runtime/llama-backend.ts";
import { resolveSettings } from "../../services/gpu-runtime/settings.ts";
import { loadConfig } from "../../services/lib/config.ts";

export interface DirectSample {
  tokens: number;
  ms: number;
  tokensPerSecond: number;
  decodeTokensPerSecond: number;
}

export type DirectRequest = { type: "run"; reps: number } | { type: "exit" };
export type DirectReply = { type: "ready"; threads: number } | { type: "done"; samples: DirectSample[] };

if (process.send) {
  const send = (reply: DirectReply) => process.send?.(reply);
  // Detached from the bench's session, so it must not outlive the bench.
  process.on("disconnect", () => process.exit(0));
  const maxTokens = Number(process.env.MAX_TOKENS);
  const prompt = process.env.PROMPT ?? "";
  const settings = await resolveSettings(loadConfig(), process.env);
  const llama = await getLlama({
    gpu: settings.backend.backend === "cpu" ? false : "auto",
    build: "never",
    logLevel: LlamaLogLevel.error,
    progressLogs: false,
  });
  const m = await llama.loadModel({
    modelPath: settings.backend.modelPath,
    gpuLayers: llama.gpu ? "max" : 0,
  });
  // The runtime's choice under make dev's power gate, which leaves a core to the platform.
  const threads = settings.backend.threads || autoThreads(llama.cpuMathCores, os.availableParallelism(), 1);
  const context = await m.createContext({
    contextSize: Math.min(settings.backend.contextSize ?? 2048, m.trainContextSize),
    threads,
  });
  const wrapper = resolveChatWrapper(m);

  // Timed like the runtime's inferenceMs: the chat rendered and tokenized, the run, the sequence freed.
  const once = async (): Promise<DirectSample> => {
    const started = performance.now();
    const chat = wrapper.generateContextState({
      chatHistory: [
        { type: "user", text: prompt },
        { type: "model", response: [] },
      ],
    }).contextText;
    const tokens = chat.tokenize(m.tokenizer);
    const bos = m.tokens.bos;
    if (bos !== null && m.tokens.shouldPrependBosToken && tokens[0] !== bos) tokens.unshift(bos);
    const sequence = context.getSequence();
    let firstAt = started;
    const generated: Token[] = [];
    for await (const token of sequence.evaluate(tokens, { temperature: 0 })) {
      if (generated.length === 0) firstAt = performance.now();
      if (m.isEogToken(token)) break;
      generated.push(token);
      m.detokenize(generated); // the runtime detokenizes as it streams; so does this
      if (generated.length >= maxTokens) break;
    }
    const decoded = performance.now();
    await sequence.dispose();
    const ended = performance.now();
    return {
      tokens: generated.length,
      ms: ended - started,
      tokensPerSecond: (generated.length / (ended - started)) * 1000,
      decodeTokensPerSecond: (Math.max(0, generated.length - 1) / (decoded - firstAt)) * 1000,
    };
  };

  await once(); // untimed, as the queue run has its warm-up jobs
  send({ type: "ready", threads });
  process.on("message", async (msg: DirectRequest) => {
    if (msg.type === "run") {
      const samples: DirectSample[] = [];
      for (let i = 0; i < msg.reps; i++) samples.push(await once());
      send({ type: "done", samples });
    } else {
      await context.dispose();
      await m.dispose();
      await llama.dispose();
      process.disconnect();
    }
  });
}
