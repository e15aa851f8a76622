/**
 * Starts `make dev`'s launcher (scripts/dev.ts) as a child process, the way a person runs it, but
 * on free ports, with its own data folder and a config override: for the lifecycle tests, the
 * demo and the lifecycle benchmark. Also a small client for the stack it started (or for one that
 * is already running): Cognito logins, the gateway's routes, AWS SDK clients on its emulator.
 *
 * The launcher's knobs are its environment (scripts/dev.ts): ports, TINYLLAMA_DATA_DIR,
 * EMULATOR_EC2_TRANSITION_MS, HANDLER_SCHEDULES, IDLE_STOP_SECONDS, and everything a part reads
 * (TINYLLAMA_CONFIG, GPU_RUNTIME_FAULTS, GPU_RUNTIME_RETRY_DELAY_SECONDS, MODEL_PATH, ...), which
 * the launcher passes on to its children.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { initiateAuth } from "../../services/cli/password-login.ts";
import {
  createCloudWatchClient,
  createEc2Client,
  createLogsClient,
  createS3Client,
  createSnsClient,
  createSqsClient,
} from "../../services/lib/aws-clients.ts";
import { loadConfig, type PlatformConfig, repoRoot } from "../../services/lib/config.ts";
import type { Job } from "../../services/lib/job.ts";
import { freePort } from "./free-port.ts";

export interface StackUrls {
  emulator: string;
  cognito: string;
  gateway: string;
  runtime: string;
}

export interface LaunchOptions {
  /** Kept between launches when given (a restart); otherwise a fresh temporary folder, removed by `stop`. */
  dataDir?: string;
  /** Changes to config/platform.json, written to a temporary file passed as TINYLLAMA_CONFIG. */
  config?: (config: PlatformConfig) => PlatformConfig;
  /** Every EC2 state change (pending, stopping) takes this long. @defaultValue 1000 */
  ec2TransitionMs?: number;
  /** The watchdog's idle time (IDLE_STOP_SECONDS). @defaultValue 60, as make dev */
  idleStopSeconds?: number;
  /** HANDLER_SCHEDULES. @defaultValue "waker=1,watchdog=1,deadLetters=1" */
  handlerSchedules?: string;
  /** Reuse the ports of an earlier launch (a restart on the same data folder). */
  urls?: StackUrls;
  /** More environment for the launcher and its parts (GPU_RUNTIME_FAULTS, ...). */
  env?: NodeJS.ProcessEnv;
  /** Copy the launcher's output here as it comes (e.g. process.stderr). */
  echo?: NodeJS.WritableStream;
  /** @defaultValue 60000 */
  readyTimeoutMs?: number;
}

export interface LaunchedStack extends StackClient {
  dataDir: string;
  configFile: string;
  /** The launcher's stdout and stderr, line by line. */
  lines: string[];
  proc: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The pid of a part (`aws-emulator`, `cognito`, `handlers`, `gateway`, `gpu-runtime`) as the launcher logged it. */
  pid(part: string): number;
  /** SIGTERM to the launcher (it stops its parts), then the temporary files go. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

const portOf = (url: string) => new URL(url).port;

export async function launchStack(options: LaunchOptions = {}): Promise<LaunchedStack> {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), "tinyllama-stack-"));
  const dataDir = options.dataDir ?? path.join(temp, "data");
  const base = loadConfig();
  const config = options.config ? options.config(structuredClone(base)) : base;
  const configFile = path.join(temp, "platform.json");
  fs.writeFileSync(configFile, JSON.stringify({ ...config, $schema: undefined }, null, 2));
  const urls = options.urls ?? {
    emulator: `http://127.0.0.1:${await freePort()}`,
    cognito: `http://127.0.0.1:${await freePort()}`,
    gateway: `http://127.0.0.1:${await freePort()}`,
    runtime: `http://127.0.0.1:${await freePort()}`,
  };
  const proc = spawn(process.execPath, ["scripts/dev.ts"], {
    cwd: repoRoot,
    env: {
      ...process.env,
      LOG_LEVEL: process.env.LOG_LEVEL || "info",
      ...options.env,
      EMULATOR_PORT: portOf(urls.emulator),
      COGNITO_PORT: portOf(urls.cognito),
      GATEWAY_PORT: portOf(urls.gateway),
      GPU_RUNTIME_PORT: portOf(urls.runtime),
      EMULATOR_EC2_TRANSITION_MS: String(options.ec2TransitionMs ?? 1000),
      TINYLLAMA_DATA_DIR: dataDir,
      TINYLLAMA_CONFIG: configFile,
      HANDLER_SCHEDULES: options.handlerSchedules ?? "waker=1,watchdog=1,deadLetters=1",
      IDLE_STOP_SECONDS: String(options.idleStopSeconds ?? 60),
      HANDLERS_PORT: "",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  for (const stream of [proc.stdout, proc.stderr]) {
    let rest = "";
    stream?.on("data", (chunk: Buffer) => {
      options.echo?.write(chunk);
      const parts = (rest + chunk.toString()).split("\n");
      rest = parts.pop() ?? "";
      lines.push(...parts);
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const cleanup = (keepData: boolean) => {
    fs.rmSync(keepData ? configFile : temp, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  while (!lines.some((line) => line.startsWith("ready"))) {
    if (proc.exitCode !== null || proc.signalCode !== null || Date.now() > deadline) {
      proc.kill("SIGKILL");
      cleanup(options.dataDir !== undefined);
      throw new Error(
        `the stack did not say ready (${proc.exitCode ?? proc.signalCode ?? "timed out"}):\n${lines.slice(-40).join("\n")}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const client = stackClient(urls, config);
  return {
    ...client,
    dataDir,
    configFile,
    lines,
    proc,
    exited,
    pid(part) {
      for (const line of lines) {
        if (!line.startsWith("{")) continue;
        const entry = JSON.parse(line) as { child?: string; pid?: number; msg?: string };
        if (entry.child === part && entry.pid && entry.msg?.startsWith("started")) return entry.pid;
      }
      throw new Error(`the launcher logged no pid for ${part}`);
    },
    async stop({ keepData = options.dataDir !== undefined } = {}) {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGTERM");
        const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
        await exited;
        clearTimeout(timer);
      }
      cleanup(keepData);
    },
  };
}

export interface Ping {
  status: string;
  gpu: { state: string; instanceType?: string };
  queue: { depth: number; inFlight?: number };
}

export interface StackClient {
  urls: StackUrls;
  config: PlatformConfig;
  /** A user's ID token from Cognito (InitiateAuth USER_PASSWORD_AUTH), password from the config. */
  login(username: string): Promise<string>;
  /** One gateway call with a bearer token; the JSON body (or undefined) and the status. */
  call<T = unknown>(
    token: string,
    method: "GET" | "POST",
    route: string,
    body?: unknown,
  ): Promise<{ status: number; body: T; headers: Headers }>;
  infer(token: string, prompt: string, maxTokens?: number): Promise<string>;
  job(token: string, jobId: string): Promise<Job>;
  ping(token: string): Promise<Ping>;
  aws: ReturnType<typeof awsClients>;
}

function awsClients(endpoint: string, region: string) {
  const o = { endpoint, region };
  return {
    sqs: createSqsClient(o),
    s3: createS3Client(o),
    sns: createSnsClient(o),
    ec2: createEc2Client(o),
    logs: createLogsClient(o),
    cloudwatch: createCloudWatchClient(o),
  };
}

/** A client for a stack at `urls` (the one launchStack started, or a running `make dev`). */
export function stackClient(urls: StackUrls, config: PlatformConfig = loadConfig()): StackClient {
  const publicClient = config.cognito.clients.find((c) => !c.clientSecret) ?? config.cognito.clients[0];
  const call: StackClient["call"] = async (token, method, route, body) => {
    const res = await fetch(`${urls.gateway}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as never, headers: res.headers };
  };
  const ok = async <T>(what: string, p: ReturnType<typeof call<T>>): Promise<T> => {
    const res = await p;
    if (res.status >= 300) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  return {
    urls,
    config,
    async login(username) {
      const user = config.users.find((u) => u.username === username);
      if (!user) throw new Error(`no local user ${username} in the config`);
      if (!publicClient) throw new Error("the config has no Cognito app client");
      return initiateAuth({
        idpUrl: urls.cognito,
        clientId: publicClient.clientId,
        username,
        password: user.password,
      });
    },
    call,
    async infer(token, prompt, maxTokens) {
      const body = await ok<{ jobId: string }>(
        "POST /infer",
        call(token, "POST", "/infer", maxTokens === undefined ? { prompt } : { prompt, maxTokens }),
      );
      return body.jobId;
    },
    job: (token, jobId) => ok<Job>(`GET /jobs/${jobId}`, call(token, "GET", `/jobs/${jobId}`)),
    ping: (token) => ok<Ping>("GET /ping", call(token, "GET", "/ping")),
    aws: awsClients(urls.emulator, config.region),
  };
}

/** Polls `check` until it returns something other than undefined/false. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`,
      );
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
