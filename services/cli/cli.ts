/**
 * The `tinyllama` commands: parsing (node:util parseArgs), the handlers and their output. Human
 * text by default; `--json` prints one JSON document on stdout for scripts. Progress, prompts
 * and errors go to stderr. Exit codes: 0 ok, 1 failed, 2 bad command line, 3 not logged in.
 */
import { parseArgs } from "node:util";
import { ConfigError, type PlatformConfig } from "../lib/config.ts";
import { type Api, type ApiResponse, apiError, createApi } from "./api.ts";
import { DLQ_HELP } from "./dlq-help.ts";
import { CliError, EXIT } from "./errors.ts";
import type { Io } from "./io.ts";
import { browserLogin, passwordLogin } from "./login.ts";
import { logoutUrl } from "./oauth.ts";
import { resolveSettings, type Settings } from "./settings.ts";
import { deleteLogin, loadLogin, type StoredLogin } from "./token-store.ts";

export interface RunOptions {
  /** The platform config; loaded from TINYLLAMA_CONFIG or config/platform.json when absent. */
  config?: PlatformConfig;
}

const FINAL = new Set(["succeeded", "failed"]);

const USAGE = `tinyllama: the TinyLlama platform from the command line

Usage: tinyllama <command> [options]

Commands:
  login                 sign in with the browser (Cognito hosted UI, PKCE) and keep the ID token
  login --username U    sign in with a password (InitiateAuth), for scripts
  logout                delete the saved token and print the hosted-UI sign-out URL
  whoami                show the saved login
  ping                  API, GPU instance and queue status
  infer "<prompt>"      queue an inference job (--max-tokens N, --wait to follow it to the end)
  jobs <id>             show a job
  stop                  stop the GPU instance
  dlq list|redrive      the dead-letter queue (operators: uses your AWS credentials, not the API)

Options for every command:
  --json                one JSON document on stdout, for scripts
  -h, --help            help for the command

Environment: TINYLLAMA_API_URL, TINYLLAMA_AUTH_URL, TINYLLAMA_IDP_URL, TINYLLAMA_CLIENT_ID,
TINYLLAMA_TOKEN_FILE, TINYLLAMA_USERNAME, TINYLLAMA_PASSWORD (see docs/cli.md).
`;

const HELP: Record<string, string> = {
  login: `Usage: tinyllama login [--no-browser] [--port N] [--json]
       tinyllama login --username U [--password P | --password-stdin] [--json]

Without --username: opens the Cognito hosted UI in your browser (--no-browser prints the URL),
waits up to 30 s for the callback on http://127.0.0.1:8765/callback (--port: another registered
callback port), exchanges the code with the PKCE verifier and saves only the ID token (mode 0600).

With --username: Cognito InitiateAuth (USER_PASSWORD_AUTH). The password comes from --password,
else TINYLLAMA_PASSWORD, else stdin (a prompt without echo on a terminal, or the first line).
`,
  logout:
    "Usage: tinyllama logout [--json]\n\nDeletes the saved token and prints the hosted-UI sign-out URL.\n",
  whoami:
    "Usage: tinyllama whoami [--json]\n\nShows who is logged in, until when, and where the token is kept.\n",
  ping: "Usage: tinyllama ping [--json]\n\nGET /ping: the API, the GPU instance's state and the job queue's depth.\n",
  infer: `Usage: tinyllama infer "<prompt>" [--max-tokens N] [--wait [--timeout S]] [--json]

POST /infer queues a job. With --wait, polls GET /jobs/{id} (every 4 s: the API allows 20 calls
a minute per user) until it succeeded or failed, at most --timeout seconds (default 600).
`,
  jobs: "Usage: tinyllama jobs <id> [--json]\n\nGET /jobs/{id}: the job's record (only your own jobs).\n",
  stop: "Usage: tinyllama stop [--json]\n\nPOST /stop: stops the GPU instance; a job in flight returns to the queue.\n",
  dlq: DLQ_HELP,
};

const COMMON = {
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export async function runCli(argv: readonly string[], io: Io, options: RunOptions = {}): Promise<number> {
  const [command, ...rest] = argv;
  const json = rest.includes("--json");
  try {
    if (command === undefined || command === "help" || command === "--help" || command === "-h") {
      const topic = command === "help" ? rest[0] : undefined;
      io.stdout.write(topic && HELP[topic] ? HELP[topic] : USAGE);
      return EXIT.ok;
    }
    if (command === "--version" || command === "version") {
      io.stdout.write("tinyllama 0.1.0\n");
      return EXIT.ok;
    }
    const handler = COMMANDS[command];
    if (!handler) throw new CliError(`unknown command ${command}: see \`tinyllama --help\``, { usage: true });
    if (rest.includes("--help") || rest.includes("-h")) {
      io.stdout.write(HELP[command] ?? USAGE);
      return EXIT.ok;
    }
    let settings: Settings | undefined;
    const ctx: Context = {
      io,
      args: rest,
      config: options.config,
      get settings() {
        settings ??= resolveSettings(io.env, options.config);
        return settings;
      },
    };
    return await handler(ctx, command);
  } catch (err) {
    return reportError(err, io, json, command);
  }
}

function reportError(err: unknown, io: Io, json: boolean, command: string | undefined): number {
  let error: CliError;
  if (err instanceof CliError) error = err;
  else if ((err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS"))
    error = new CliError(
      `${(err as Error).message}: see \`tinyllama ${command ?? ""} --help\``.replace("  ", " "),
      {
        usage: true,
      },
    );
  else if (err instanceof ConfigError)
    error = new CliError(`the platform config is invalid:\n${err.message}`, { code: "config" });
  else error = new CliError(`unexpected error: ${(err as Error).stack ?? String(err)}`, { code: "internal" });
  io.stderr.write(
    json
      ? `${JSON.stringify({ error: error.code, message: error.message })}\n`
      : `tinyllama: ${error.message}\n`,
  );
  return error.exitCode;
}

interface Context {
  io: Io;
  args: string[];
  config: PlatformConfig | undefined;
  readonly settings: Settings;
}

type Handler = (ctx: Context, command: string) => Promise<number>;

const COMMANDS: Record<string, Handler> = {
  login: login,
  logout: logout,
  whoami: whoami,
  ping: ping,
  infer: infer,
  jobs: jobs,
  stop: stop,
  // Loaded on use: it brings the AWS SDK, which the API commands do not need.
  dlq: async (ctx) => (await import("./dlq.ts")).dlq(ctx.args, ctx.io, ctx.config),
};

function print(ctx: Context, json: boolean, data: unknown, human: string): void {
  ctx.io.stdout.write(
    json ? `${JSON.stringify(data, null, 2)}\n` : human.endsWith("\n") ? human : `${human}\n`,
  );
}

function integer(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min)
    throw new CliError(`${name} ${raw} must be a whole number of at least ${min}`, { usage: true });
  return value;
}

function noPositionals(positionals: string[], command: string): void {
  if (positionals.length)
    throw new CliError(`unexpected argument ${positionals[0]}: see \`tinyllama ${command} --help\``, {
      usage: true,
    });
}

async function login(ctx: Context): Promise<number> {
  const { values, positionals } = parseArgs({
    args: ctx.args,
    allowPositionals: true,
    options: {
      ...COMMON,
      "no-browser": { type: "boolean" },
      port: { type: "string" },
      username: { type: "string", short: "u" },
      password: { type: "string" },
      "password-stdin": { type: "boolean" },
    },
  });
  noPositionals(positionals, "login");
  const json = values.json ?? false;
  const { settings, io } = ctx;
  let result: StoredLogin;
  if (values.username !== undefined) {
    if (values["no-browser"] || values.port !== undefined)
      throw new CliError("--no-browser and --port are for the browser login; drop them with --username", {
        usage: true,
      });
    if (values.password !== undefined && values["password-stdin"])
      throw new CliError("give the password once: --password or --password-stdin", { usage: true });
    result = await passwordLogin(settings, io, {
      username: values.username,
      password: values.password,
      passwordStdin: values["password-stdin"] ?? false,
    });
  } else {
    if (values.password !== undefined || values["password-stdin"])
      throw new CliError("a password needs --username U (the browser login asks for it in the browser)", {
        usage: true,
      });
    result = await browserLogin(settings, io, {
      noBrowser: values["no-browser"] ?? false,
      port: integer("--port", values.port, 0),
      json,
    });
  }
  print(
    ctx,
    json,
    {
      status: "logged_in",
      username: result.username,
      expiresAt: result.expiresAt,
      method: result.method,
      tokenFile: settings.tokenFile,
    },
    `Logged in as ${result.username} (the token is valid until ${result.expiresAt}); saved in ${settings.tokenFile}.`,
  );
  return EXIT.ok;
}

async function logout(ctx: Context): Promise<number> {
  const { values, positionals } = parseArgs({ args: ctx.args, allowPositionals: true, options: COMMON });
  noPositionals(positionals, "logout");
  const { settings } = ctx;
  const deleted = await deleteLogin(settings.tokenFile);
  const url = logoutUrl({
    authUrl: settings.authUrl,
    clientId: settings.clientId,
    logoutUrls: settings.logoutUrls,
    redirectUri: settings.defaultRedirectUri,
  });
  print(
    ctx,
    values.json ?? false,
    { status: "logged_out", deleted, tokenFile: settings.tokenFile, logoutUrl: url },
    `${deleted ? `Logged out: deleted ${settings.tokenFile}.` : `Not logged in (no ${settings.tokenFile}).`}\n` +
      `To end the hosted-UI session in your browser too, open:\n  ${url}\n`,
  );
  return EXIT.ok;
}

async function whoami(ctx: Context): Promise<number> {
  const { values, positionals } = parseArgs({ args: ctx.args, allowPositionals: true, options: COMMON });
  noPositionals(positionals, "whoami");
  const { settings, io } = ctx;
  const saved = await loadLogin(settings.tokenFile);
  if (!saved)
    throw new CliError("not logged in: run `tinyllama login`", { auth: true, code: "not_logged_in" });
  const expired = Date.parse(saved.expiresAt) <= io.now();
  print(
    ctx,
    values.json ?? false,
    {
      username: saved.username,
      expiresAt: saved.expiresAt,
      expired,
      method: saved.method,
      authUrl: saved.authUrl,
      clientId: saved.clientId,
      tokenFile: settings.tokenFile,
    },
    [
      `user      ${saved.username} (${saved.method} login at ${saved.authUrl})`,
      `expires   ${saved.expiresAt}${expired ? " (expired: the next command logs in again)" : ""}`,
      `token     ${settings.tokenFile}`,
    ].join("\n"),
  );
  return EXIT.ok;
}

async function ping(ctx: Context): Promise<number> {
  const { values, positionals } = parseArgs({ args: ctx.args, allowPositionals: true, options: COMMON });
  noPositionals(positionals, "ping");
  const res = await createApi(ctx.settings, ctx.io).request("GET", "/ping");
  if (res.status !== 200) throw apiError(res, "ping failed");
  const body = res.body as {
    status?: string;
    gpu?: { state?: string; instanceType?: string };
    queue?: { depth?: number; inFlight?: number };
  };
  const gpu = body.gpu ?? {};
  const queue = body.queue ?? {};
  print(
    ctx,
    values.json ?? false,
    body,
    [
      `api     ${ctx.settings.apiUrl}  ${body.status ?? "?"}`,
      `gpu     ${gpu.state ?? "?"}${gpu.instanceType ? ` (${gpu.instanceType})` : ""}`,
      `queue   ${queue.depth ?? "?"} waiting${queue.inFlight !== undefined ? `, ${queue.inFlight} in flight` : ""}`,
    ].join("\n"),
  );
  return EXIT.ok;
}

type JobRecord = Record<string, unknown> & { jobId?: string; status?: string };

function formatJob(job: JobRecord): string {
  const order = ["prompt", "maxTokens", "model", "createdAt", "updatedAt"];
  const rest = Object.keys(job).filter((k) => !["jobId", "status", "owner", ...order].includes(k));
  const keys = ["jobId", "status", ...order, ...rest].filter((k) => job[k] !== undefined);
  // One column wide enough for the longest label, so `finishedAt` never runs into its value.
  const width = Math.max(...keys.map((k) => (k === "jobId" ? 3 : k.length))) + 2;
  const lines = [
    `${"job".padEnd(width)}${job.jobId ?? "?"}`,
    `${"status".padEnd(width)}${job.status ?? "?"}`,
  ];
  for (const key of [...order, ...rest]) {
    const value = job[key];
    if (value === undefined) continue;
    const shown = typeof value === "string" ? value : JSON.stringify(value);
    lines.push(`${key.padEnd(width)}${shown}`);
  }
  return lines.join("\n");
}

async function getJob(api: Api, id: string): Promise<ApiResponse> {
  const res = await api.request("GET", `/jobs/${encodeURIComponent(id)}`);
  if (res.status === 404)
    throw new CliError(`no job ${id} (or it is another user's): use the id \`tinyllama infer\` printed`, {
      code: "not_found",
    });
  return res;
}

async function jobs(ctx: Context): Promise<number> {
  const { values, positionals } = parseArgs({ args: ctx.args, allowPositionals: true, options: COMMON });
  const [id, extra] = positionals;
  if (!id)
    throw new CliError("which job? `tinyllama jobs <id>` (the id `tinyllama infer` printed)", {
      usage: true,
    });
  if (extra !== undefined) noPositionals([extra], "jobs");
  const res = await getJob(createApi(ctx.settings, ctx.io), id);
  if (res.status !== 200) throw apiError(res, `reading job ${id} failed`);
  print(ctx, values.json ?? false, res.body, formatJob(res.body as JobRecord));
  return EXIT.ok;
}

async function infer(ctx: Context): Promise<number> {
  const { values, positionals } = parseArgs({
    args: ctx.args,
    allowPositionals: true,
    options: {
      ...COMMON,
      "max-tokens": { type: "string" },
      wait: { type: "boolean" },
      timeout: { type: "string" },
    },
  });
  const prompt = positionals.join(" ");
  if (!prompt.trim())
    throw new CliError('what should the model answer? `tinyllama infer "<prompt>"`', { usage: true });
  const maxTokens = integer("--max-tokens", values["max-tokens"], 1);
  const timeoutS = integer("--timeout", values.timeout, 1) ?? 600;
  if (values.timeout !== undefined && !values.wait)
    throw new CliError("--timeout only applies with --wait", { usage: true });
  const json = values.json ?? false;
  const { io, settings } = ctx;
  const api = createApi(settings, io);
  const res = await api.request("POST", "/infer", { prompt, ...(maxTokens ? { maxTokens } : {}) });
  if (res.status !== 202 && res.status !== 200) throw apiError(res, "the job was not queued");
  const queued = res.body as JobRecord;
  const id = String(queued.jobId);
  if (!values.wait) {
    print(ctx, json, queued, `job ${id} ${queued.status ?? "queued"}`);
    if (!json) io.stderr.write(`Follow it with \`tinyllama jobs ${id}\` (or use --wait next time).\n`);
    return EXIT.ok;
  }

  const started = io.now();
  const live = io.stderr.isTTY === true && !json;
  let job: JobRecord = queued;
  let shown = "";
  const progress = (status: string) => {
    const seconds = Math.round((io.now() - started) / 1000);
    if (live) io.stderr.write(`\r\u001b[2Kjob ${id}: ${status} (${seconds} s)`);
    else if (status !== shown) io.stderr.write(`job ${id}: ${status} (${seconds} s)\n`);
    shown = status;
  };
  progress(String(job.status ?? "queued"));
  while (!FINAL.has(String(job.status))) {
    if (io.now() - started >= timeoutS * 1000) {
      if (live) io.stderr.write("\n");
      throw new CliError(
        `job ${id} is still ${job.status} after ${timeoutS} s: check later with \`tinyllama jobs ${id}\`; ` +
          "`tinyllama ping` shows whether the GPU instance is up",
        { code: "timeout" },
      );
    }
    await io.sleep(settings.pollIntervalMs);
    const next = await getJob(api, id);
    if (next.status === 429) {
      const retry = Number(next.headers.get("retry-after") ?? 60);
      progress(`${job.status}, rate limited: next look in ${retry} s`);
      await io.sleep(retry * 1000);
      continue;
    }
    if (next.status !== 200) {
      if (live) io.stderr.write("\n");
      throw apiError(next, `following job ${id} failed`);
    }
    job = next.body as JobRecord;
    progress(String(job.status));
  }
  if (live) io.stderr.write("\n");
  print(ctx, json, job, formatJob(job));
  if (job.status === "failed") {
    if (!json) io.stderr.write(`tinyllama: job ${id} failed\n`);
    return EXIT.failed;
  }
  return EXIT.ok;
}

async function stop(ctx: Context): Promise<number> {
  const { values, positionals } = parseArgs({ args: ctx.args, allowPositionals: true, options: COMMON });
  noPositionals(positionals, "stop");
  const res = await createApi(ctx.settings, ctx.io).request("POST", "/stop");
  if (res.status !== 202 && res.status !== 200) throw apiError(res, "the GPU instance was not stopped");
  const body = res.body as { instanceId?: string; previousState?: string; state?: string };
  print(
    ctx,
    values.json ?? false,
    body,
    `GPU instance ${body.instanceId ?? "?"}: ${body.previousState ?? "?"} -> ${body.state ?? "?"}`,
  );
  return EXIT.ok;
}
