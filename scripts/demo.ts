/**
 * `make demo`: the job lifecycle in the terminal, in under a minute with the tiny model.
 *
 *   node scripts/demo.ts [--user alice] [--idle-timeout 90]
 *
 * Uses the `make dev` stack when one answers (TINYLLAMA_API_URL / TINYLLAMA_AUTH_URL /
 * AWS_ENDPOINT_URL, else config/platform.json's ports); otherwise starts one (scripts/dev.ts on
 * free ports, a temporary data folder, the GPU idle time 10 s) and stops it at the end. Logs in
 * as a local user from the config (InitiateAuth), submits three prompts through `POST /infer`,
 * shows each job's phase live (queued, booting GPU, loading model, running, done), derived from
 * `GET /ping`'s GPU state and `GET /jobs/{id}`, prints outputs and timings, then waits for the
 * watchdog to stop the idle instance.
 *
 * Polling respects the per-user throttle of the stack's config (20 requests a minute by
 * default: a running `make dev` is polled slowly); the demo's own stack raises the limit in its
 * config override so the progress can update four times a second. A 429 waits its Retry-After.
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../services/lib/config.ts";
import type { Job } from "../services/lib/job.ts";
import {
  type LaunchedStack,
  launchStack,
  type Ping,
  type StackClient,
  stackClient,
} from "./lib/launch-stack.ts";

const PROMPTS = [
  "Write a haiku about a GPU waking up.",
  "Explain a FIFO queue in one sentence.",
  "What does an idle watchdog do?",
];
const IDLE_S = 10;

const { values } = parseArgs({
  options: {
    user: { type: "string", default: "alice" },
    "idle-timeout": { type: "string", default: "90" },
    "max-tokens": { type: "string", default: "32" },
  },
});
const out = process.stdout;
const tty = out.isTTY === true;
const t0 = Date.now();
const since = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s`;
const say = (line: string) => out.write(`${since()}  ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function runningStack(): Promise<StackClient | undefined> {
  const config = loadConfig();
  const urls = {
    gateway: process.env.TINYLLAMA_API_URL || `http://127.0.0.1:${config.ports.gateway}`,
    cognito:
      process.env.TINYLLAMA_IDP_URL ||
      process.env.TINYLLAMA_AUTH_URL ||
      `http://127.0.0.1:${config.ports.cognito}`,
    emulator: process.env.AWS_ENDPOINT_URL || `http://127.0.0.1:${config.ports.emulator}`,
    runtime: `http://127.0.0.1:${config.ports.gpuRuntime}`,
  };
  try {
    const res = await fetch(`${urls.gateway}/healthz`, { signal: AbortSignal.timeout(1000) });
    return res.ok ? stackClient(urls, config) : undefined;
  } catch {
    return undefined;
  }
}

let own: LaunchedStack | undefined;
let stack = await runningStack();
if (stack) {
  say(`using the running stack at ${stack.urls.gateway}`);
} else {
  say("no stack answers: starting make dev's launcher (free ports, temporary data, GPU idle time 10 s) ...");
  own = await launchStack({
    ec2TransitionMs: 3000, // make dev's default
    idleStopSeconds: IDLE_S,
    handlerSchedules: "waker=5,watchdog=2,deadLetters=5",
    config: (c) => ({ ...c, limits: { ...c.limits, burstPerSecond: 1000, requestsPerMinute: 100_000 } }),
    env: { LOG_LEVEL: "warn" },
  });
  stack = own;
  say(`stack ready: gateway ${own.urls.gateway}, Cognito ${own.urls.cognito}, AWS ${own.urls.emulator}`);
}
const api: StackClient = stack;
const stop = async (code: number) => {
  if (own) {
    say("stopping the demo's stack ...");
    await own.stop();
  }
  say(`demo finished in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  process.exit(code);
};
process.on("SIGINT", () => void stop(130));

/** Spacing between polling rounds of `requests` calls, within the stack's per-user limit. */
const perMinute = api.config.limits.requestsPerMinute;
const pace = (requests: number) => Math.max(250, Math.ceil((60_000 * 1.15 * requests) / perMinute));

/** A gateway call that waits out a 429 (Retry-After) instead of failing. */
async function patient<T>(what: () => Promise<{ status: number; body: T; headers: Headers }>): Promise<T> {
  for (;;) {
    const res = await what();
    if (res.status === 429) {
      const wait = Number(res.headers.get("retry-after") ?? 60);
      say(`throttled (the per-user limit): waiting ${wait} s`);
      await sleep(wait * 1000);
      continue;
    }
    if (res.status >= 300) throw new Error(`the API answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }
}

try {
  const token = await api.login(values.user);
  say(`logged in as ${values.user} (Cognito InitiateAuth, ID token)`);
  const ping0 = await patient(() => api.call<Ping>(token, "GET", "/ping"));
  say(`GPU instance ${ping0.gpu.state} (${ping0.gpu.instanceType}), ${ping0.queue.depth} job(s) waiting`);

  const maxTokens = Number(values["max-tokens"]);
  const jobs: Array<{ id: string; prompt: string; phase: string; job?: Job; doneAt?: number }> = [];
  for (const prompt of PROMPTS) {
    const body = await patient(() =>
      api.call<{ jobId: string }>(token, "POST", "/infer", { prompt, maxTokens }),
    );
    jobs.push({ id: body.jobId, prompt, phase: "queued" });
  }
  say(`submitted ${jobs.length} jobs: ${jobs.map((j) => j.id.slice(0, 8)).join(", ")}`);

  // Live progress: one line per job, redrawn in place on a terminal, a line per change otherwise.
  let drawn = 0;
  let started = false; // a job of ours has started running in this power cycle (so the model is loaded)
  const draw = (gpu: string) => {
    const lines = jobs.map(
      (j, i) => `  job ${i + 1} ${j.id.slice(0, 8)}  ${j.phase.padEnd(14)} ${JSON.stringify(j.prompt)}`,
    );
    if (tty) {
      if (drawn) out.write(`\x1b[${drawn}A`);
      out.write(`${since()}  GPU ${gpu}\x1b[K\n${lines.map((l) => `${l}\x1b[K`).join("\n")}\n`);
      drawn = lines.length + 1;
    }
  };
  // One user's jobs share a FIFO message group, so they run in order: each round reads /ping
  // and the oldest unfinished job (and the next ones as soon as it is done); the jobs behind it
  // are still queued, and their phase follows the GPU's state.
  let gpuState = ping0.gpu.state;
  await sleep(pace(jobs.length + 1));
  while (jobs.some((j) => !j.doneAt)) {
    let requests = 1;
    const ping = await patient(() => api.call<Ping>(token, "GET", "/ping"));
    if (!tty && ping.gpu.state !== gpuState) say(`GPU instance ${ping.gpu.state}`);
    gpuState = ping.gpu.state;
    let oldest = true;
    for (const j of jobs.filter((j) => !j.doneAt)) {
      let status: Job["status"] = "queued";
      if (oldest) {
        requests++;
        const job = await patient(() => api.call<Job>(token, "GET", `/jobs/${j.id}`));
        j.job = job;
        status = job.status;
        if (status === "running" || status === "succeeded") started = true;
        if (["succeeded", "failed", "dead-lettered"].includes(status)) j.doneAt = Date.now();
        else oldest = false;
      }
      const phase =
        status === "succeeded"
          ? "done"
          : status !== "queued"
            ? status
            : gpuState === "pending"
              ? "booting GPU"
              : gpuState === "running"
                ? started
                  ? "queued"
                  : "loading model"
                : "queued";
      if (phase !== j.phase && !tty) say(`job ${jobs.indexOf(j) + 1} ${j.id.slice(0, 8)}: ${phase}`);
      j.phase = phase;
    }
    draw(gpuState);
    if (jobs.some((j) => !j.doneAt)) await sleep(pace(requests));
  }

  out.write("\n");
  for (const [i, j] of jobs.entries()) {
    const job = j.job as Job;
    const t = job.timings ?? {};
    const total = Date.parse(job.finishedAt ?? job.updatedAt) - Date.parse(job.createdAt);
    const ms = (v: number | undefined) => (v === undefined ? "-" : `${Math.round(v)} ms`);
    out.write(
      [
        `job ${i + 1} ${job.jobId}: ${job.status} on ${job.backend ?? "?"} (attempt ${job.attempts ?? "?"})`,
        `  prompt  ${JSON.stringify(job.prompt)}`,
        `  output  ${JSON.stringify((job.output ?? job.error ?? "").slice(0, 120))}`,
        `  timings total ${ms(total)} = queue ${ms(t.queueWaitMs)} + boot ${ms(t.bootMs)} + load ${ms(t.loadMs)} + inference ${ms(t.inferenceMs)}; ${job.usage?.completionTokens ?? 0} tokens at ${Math.round(t.tokensPerSecond ?? 0)} tok/s`,
        "",
      ].join("\n"),
    );
  }
  out.write(
    "(the tiny generated model has random weights, so its text is noise; MODEL_PATH=tinyllama or `make model` for more)\n\n",
  );

  // The idle stop: the watchdog stops the instance once the queue is empty for the idle time.
  say(
    `waiting for the watchdog to stop the idle GPU${own ? ` (idle time ${IDLE_S} s)` : " (the stack's IDLE_STOP_SECONDS, 60 s under make dev)"} ...`,
  );
  const lastDone = Math.max(...jobs.map((j) => j.doneAt ?? 0));
  const deadline = Date.now() + Number(values["idle-timeout"]) * 1000;
  let state = gpuState;
  if (state === "stopped") say("GPU instance already stopped (the idle time passed while the demo waited)");
  while (state !== "stopped") {
    if (Date.now() > deadline)
      throw new Error(`the GPU instance is still ${state} after ${values["idle-timeout"]} s`);
    await sleep(pace(1));
    const next = (await patient(() => api.call<Ping>(token, "GET", "/ping"))).gpu.state;
    if (next !== state)
      say(`GPU instance ${next} (${((Date.now() - lastDone) / 1000).toFixed(1)} s after the last job)`);
    state = next;
  }
  await stop(0);
} catch (err) {
  say(`demo failed: ${(err as Error).message}`);
  await stop(1);
}
