/**
 * `npm run bench:lifecycle`: what the platform adds to each job on a warm GPU instance, and
 * whether inference through the queue is as fast as node-llama-cpp called directly.
 *
 *   npm run bench:lifecycle -- [--models tiny,tinyllama] [--jobs 200] [--direct-reps 20] [--threads N]
 *
 * --threads sets GPU_RUNTIME_THREADS for the runtime and the direct runs alike (default: the
 * runtime's own choice, 1 for the tiny model and one per core above 64 MB).
 *
 * For each model, make dev's stack is started (scripts/dev.ts on free ports, a temporary data
 * folder, MODEL_PATH=<model>), one job warms it up (boot + load), then `--jobs` jobs go one at a
 * time through the gateway (`POST /infer`, then `GET /jobs/{id}` until succeeded) with alice's
 * Cognito token. Per job:
 *
 * - accepted -> running: from the 202 of POST /infer (client clock) to the record's `startedAt`
 *   (the runtime took the message and read the record);
 * - finished -> readable: from the record's `finishedAt` (inference done) to the first GET
 *   /jobs/{id} that returns it succeeded (the record written, then read through the API). The
 *   client sleeps through 80% of the fastest of the last 20 jobs, then polls every 5 ms, so the poll
 *   lag is one request plus at most 5 ms, and the polling barely competes with inference for the CPU;
 * - overhead: (readable - accepted) - inferenceMs, everything that is not the model's run.
 *
 * Tokens/s: completion tokens / inferenceMs of each job (the runtime's measure around runJob,
 * which includes the prompt pass) and its decode tok/s (`timings.tokensPerSecond`), against
 * node-llama-cpp called directly in this process (getLlama, loadModel, createContext with the
 * runtime's thread count and context size, the same chat-rendered prompt, greedy `evaluate`),
 * half of the direct runs before the queue runs and half after, with the stack idle meanwhile.
 *
 * The per-user throttle (5/s, 20/min) would allow 20 jobs a minute with polling included, so the
 * benchmark raises it in its config override (TINYLLAMA_CONFIG) rather than writing to SQS and
 * S3 itself: the gateway (JWT check, throttle, record PUT, SendMessage) is part of the overhead
 * being measured.
 */
import os from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { getLlama, LlamaLogLevel, resolveChatWrapper, type Token } from "node-llama-cpp";
import { resolveSettings } from "../../services/gpu-runtime/settings.ts";
import { loadConfig } from "../../services/lib/config.ts";
import type { Job } from "../../services/lib/job.ts";
import { launchStack } from "../lib/launch-stack.ts";
import { ensureModel } from "../models/models.ts";

const { values } = parseArgs({
  options: {
    models: { type: "string", default: "tiny,tinyllama" },
    jobs: { type: "string", default: "200" },
    "direct-reps": { type: "string", default: "20" },
    threads: { type: "string", default: "" },
  },
});
const MODELS = values.models.split(",").map((m) => m.trim()) as Array<"tiny" | "tinyllama">;
const JOBS = Number(values.jobs);
const DIRECT_REPS = Number(values["direct-reps"]);
const THREADS_ENV = values.threads ? { GPU_RUNTIME_THREADS: values.threads } : {};
/** Completion tokens per job: enough to time decoding, few enough that 200 jobs of the 668-MB model take minutes. */
const MAX_TOKENS: Record<string, number> = { tiny: 64, tinyllama: 16 };
const PROMPT = "Tell me a short story about a small llama that learned to run on a big GPU.";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => process.stderr.write(`${line}\n`);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
}
const median = (xs: number[]) => pct(xs, 50);

interface Sample {
  acceptedToRunning: number;
  finishedToReadable: number;
  overhead: number;
  inferenceMs: number;
  tokensPerSecond: number;
  decodeTokensPerSecond: number;
}

interface DirectSample {
  tokensPerSecond: number;
  decodeTokensPerSecond: number;
}

/** node-llama-cpp on its own: the runtime's model, threads and context, the same prompt, greedy. */
async function direct(model: string, maxTokens: number, reps: number): Promise<DirectSample[]> {
  const settings = await resolveSettings(loadConfig(), { ...process.env, ...THREADS_ENV, MODEL_PATH: model });
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
  const context = await m.createContext({
    contextSize: Math.min(settings.backend.contextSize ?? 2048, m.trainContextSize),
    threads: settings.backend.threads || llama.cpuMathCores,
  });
  const chat = resolveChatWrapper(m).generateContextState({
    chatHistory: [
      { type: "user", text: PROMPT },
      { type: "model", response: [] },
    ],
  }).contextText;
  const out: DirectSample[] = [];
  // One untimed run first, as the queue run has its warm-up jobs.
  for (let rep = -1; rep < reps; rep++) {
    const tokens = chat.tokenize(m.tokenizer);
    const bos = m.tokens.bos;
    if (bos !== null && m.tokens.shouldPrependBosToken && tokens[0] !== bos) tokens.unshift(bos);
    const sequence = context.getSequence();
    const started = performance.now();
    let firstAt = started;
    const generated: Token[] = [];
    for await (const token of sequence.evaluate(tokens, { temperature: 0 })) {
      if (generated.length === 0) firstAt = performance.now();
      if (m.isEogToken(token)) break;
      generated.push(token);
      m.detokenize(generated); // the runtime detokenizes as it streams; so does this
      if (generated.length >= maxTokens) break;
    }
    const ended = performance.now();
    await sequence.dispose();
    if (rep >= 0)
      out.push({
        tokensPerSecond: (generated.length / (ended - started)) * 1000,
        decodeTokensPerSecond: (Math.max(0, generated.length - 1) / (ended - firstAt)) * 1000,
      });
  }
  await context.dispose();
  await m.dispose();
  await llama.dispose();
  return out;
}

interface Result {
  model: string;
  backend: string;
  threads: number;
  maxTokens: number;
  samples: Sample[];
  direct: DirectSample[];
}

async function benchModel(name: "tiny" | "tinyllama"): Promise<Result> {
  const modelPath = ensureModel(name);
  const maxTokens = MAX_TOKENS[name] ?? 32;
  const settings = await resolveSettings(loadConfig(), {
    ...process.env,
    ...THREADS_ENV,
    MODEL_PATH: modelPath,
  });

  log(`[${name}] node-llama-cpp directly, ${DIRECT_REPS / 2} runs (before) ...`);
  const directBefore = await direct(modelPath, maxTokens, Math.ceil(DIRECT_REPS / 2));

  log(`[${name}] starting make dev's stack with MODEL_PATH=${modelPath} ...`);
  const stack = await launchStack({
    ec2TransitionMs: 200,
    idleStopSeconds: 3600,
    handlerSchedules: "waker=5,watchdog=10,deadLetters=5",
    config: (c) => ({ ...c, limits: { ...c.limits, burstPerSecond: 10_000, requestsPerMinute: 600_000 } }),
    env: { ...THREADS_ENV, MODEL_PATH: modelPath, LOG_LEVEL: "warn" },
    readyTimeoutMs: 120_000,
  });
  const samples: Sample[] = [];
  let backend = "?";
  try {
    const token = await stack.login("alice");
    const run = async (expectMs: number): Promise<{ job: Job; accepted: number; readable: number }> => {
      const res = await stack.call<{ jobId: string }>(token, "POST", "/infer", { prompt: PROMPT, maxTokens });
      const accepted = Date.now();
      if (res.status !== 202) throw new Error(`POST /infer ${res.status}: ${JSON.stringify(res.body)}`);
      await sleep(expectMs * 0.8);
      for (;;) {
        const got = await stack.call<Job>(token, "GET", `/jobs/${res.body.jobId}`);
        if (got.status !== 200) throw new Error(`GET /jobs ${got.status}`);
        const job = got.body;
        if (job.status === "succeeded") return { job, accepted, readable: Date.now() };
        if (job.status !== "queued" && job.status !== "running")
          throw new Error(`job ${job.status}: ${job.error}`);
        await sleep(expectMs === 0 ? 20 : 5);
      }
    };
    log(`[${name}] warm-up job (boots the instance, loads the model) ...`);
    const warm = await run(0);
    log(`[${name}] warm-up: boot ${warm.job.timings?.bootMs} ms, load ${warm.job.timings?.loadMs} ms`);
    backend = warm.job.backend ?? "?";
    for (let i = 0; i < 3; i++) await run(0); // settle the runtime's first-run costs
    const spans: number[] = [];
    for (let i = 0; i < JOBS; i++) {
      // The fastest recent job: sleeping longer than this job takes would count as platform lag.
      const expected = spans.length ? Math.min(...spans.slice(-20)) : 0;
      const { job, accepted, readable } = await run(expected);
      const started = Date.parse(job.startedAt ?? "");
      const finished = Date.parse(job.finishedAt ?? "");
      const inferenceMs = job.timings?.inferenceMs ?? 0;
      spans.push(finished - accepted);
      samples.push({
        acceptedToRunning: started - accepted,
        finishedToReadable: readable - finished,
        overhead: readable - accepted - inferenceMs,
        inferenceMs,
        tokensPerSecond: ((job.usage?.completionTokens ?? 0) / inferenceMs) * 1000,
        decodeTokensPerSecond: job.timings?.tokensPerSecond ?? 0,
      });
      if ((i + 1) % 50 === 0) log(`[${name}] ${i + 1}/${JOBS} jobs`);
    }
  } finally {
    await stack.stop();
  }

  log(`[${name}] node-llama-cpp directly, ${DIRECT_REPS / 2} runs (after) ...`);
  const directAfter = await direct(modelPath, maxTokens, Math.floor(DIRECT_REPS / 2));
  return {
    model: name,
    backend,
    threads: settings.backend.threads || os.availableParallelism(),
    maxTokens,
    samples,
    direct: [...directBefore, ...directAfter],
  };
}

const results: Result[] = [];
const t0 = Date.now();
for (const name of MODELS) results.push(await benchModel(name));

const f = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "-");
const rows = results.map((r) => {
  const s = r.samples;
  const queued = median(s.map((x) => x.tokensPerSecond));
  const directTps = median(r.direct.map((x) => x.tokensPerSecond));
  const queuedDecode = median(s.map((x) => x.decodeTokensPerSecond));
  const directDecode = median(r.direct.map((x) => x.decodeTokensPerSecond));
  const ratio = queued / directTps;
  return [
    `${r.model} (${r.backend}, ${r.threads} thr, ${r.maxTokens} tok)`,
    `${s.length}`,
    `${f(median(s.map((x) => x.acceptedToRunning)))} / ${f(
      pct(
        s.map((x) => x.acceptedToRunning),
        99,
      ),
    )}`,
    `${f(median(s.map((x) => x.finishedToReadable)))} / ${f(
      pct(
        s.map((x) => x.finishedToReadable),
        99,
      ),
    )}`,
    `${f(median(s.map((x) => x.overhead)))} / ${f(
      pct(
        s.map((x) => x.overhead),
        99,
      ),
    )}`,
    `${f(median(s.map((x) => x.inferenceMs)))}`,
    `${f(queued)} vs ${f(directTps)}`,
    `${f(queuedDecode)} vs ${f(directDecode)}`,
    `${f(ratio, 2)}x ${ratio >= 0.95 ? "ok" : "MISSED (target 0.95x)"}`,
  ];
});
const header = [
  "model",
  "jobs",
  "accepted->running ms p50 / p99",
  "finished->readable ms p50 / p99",
  "overhead ms p50 / p99",
  "inference ms p50",
  "tok/s queue vs direct",
  "decode tok/s queue vs direct",
  "queue / direct",
];
const table = [header, header.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
process.stdout.write(
  [
    "",
    `bench:lifecycle ${new Date().toISOString()} on ${os.cpus()[0]?.model ?? "?"} x${os.cpus().length}, Node ${process.version}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}, ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    `command: npm run bench:lifecycle -- --models ${values.models} --jobs ${JOBS} --direct-reps ${DIRECT_REPS}${values.threads ? ` --threads ${values.threads}` : ""}`,
    "",
    table,
    "",
  ].join("\n"),
);
