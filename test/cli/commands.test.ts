/**
 * The API commands end to end: the real gateway (in front of our AWS emulator) trusting a real
 * mock Cognito, and the CLI logged in through that mock. ping, infer, jobs, infer --wait while
 * the test plays the worker (it updates the job record in S3 as the GPU runtime does), stop, and
 * the re-login when the API refuses an expired token: with TINYLLAMA_PASSWORD, in the browser
 * when a person is at the terminal, or a clear "run `tinyllama login`" when neither is possible.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cognito } from "../../emulators/cognito/server.ts";
import { freePort } from "../../scripts/lib/free-port.ts";
import { runCli } from "../../services/cli/cli.ts";
import type { StoredLogin } from "../../services/cli/token-store.ts";
import { createS3Client } from "../../services/lib/aws-clients.ts";
import { jobKey } from "../../services/lib/job.ts";
import { type Stack, startStack } from "../gateway/helpers.ts";
import {
  anyPortConfig,
  password,
  publicClientId,
  signInOverHttp,
  startCognito,
  type TestIoOptions,
  tempDir,
  testIo,
  until,
} from "./helpers.ts";

const HOUR = 3600_000;
let cognito: Cognito;
/** The mock Cognito's clock runs this far from the real one (a negative skew issues expired tokens). */
let skewMs = 0;
let stack: Stack;
const dir = tempDir();
let n = 0;

beforeAll(async () => {
  cognito = await startCognito({ anyPort: true, clock: { now: () => Date.now() + skewMs } });
  stack = await startStack({
    issuer: cognito.issuer,
    audience: [publicClientId],
    pingCacheMs: 0,
    limits: { burstPerSecond: 1000, requestsPerMinute: 100_000 }, // the gateway's own tests cover throttling
  });
});
afterAll(async () => {
  await stack?.close();
  await cognito?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    TINYLLAMA_API_URL: stack.gateway.url,
    TINYLLAMA_AUTH_URL: cognito.url,
    TINYLLAMA_TOKEN_FILE: path.join(dir, `t${++n}`, "token.json"),
    TINYLLAMA_POLL_INTERVAL_MS: "50",
    ...extra,
  };
}
const saved = (e: NodeJS.ProcessEnv) =>
  JSON.parse(fs.readFileSync(e.TINYLLAMA_TOKEN_FILE as string, "utf8")) as StoredLogin;

async function cli(e: NodeJS.ProcessEnv, args: string[], o: TestIoOptions = {}) {
  const { io, out } = testIo(e, o);
  const code = await runCli(args, io, { config: anyPortConfig });
  return { code, ...out };
}

/** A logged-in user's env; with `expired`, the saved token expired an hour ago. */
async function loggedIn(username = "alice", o: { expired?: boolean } = {}): Promise<NodeJS.ProcessEnv> {
  const e = env();
  skewMs = o.expired ? -2 * HOUR : 0;
  try {
    const r = await cli(e, ["login", "--username", username, "--password", password(username)]);
    if (r.code !== 0) throw new Error(`login failed: ${r.stderr}`);
  } finally {
    skewMs = 0;
  }
  return e;
}

/** What the worker on the GPU instance does: rewrite the job record with a new status. */
async function setStatus(
  jobId: string,
  status: string,
  aws = { endpoint: stack.emulator.url, region: stack.config.region },
): Promise<void> {
  const s3 = createS3Client(aws);
  const key = jobKey(jobId);
  const object = await s3.send(new GetObjectCommand({ Bucket: stack.config.bucket, Key: key }));
  const job = JSON.parse((await object.Body?.transformToString()) ?? "{}") as Record<string, unknown>;
  await s3.send(
    new PutObjectCommand({
      Bucket: stack.config.bucket,
      Key: key,
      Body: JSON.stringify({ ...job, status, updatedAt: new Date().toISOString() }),
      ContentType: "application/json",
    }),
  );
}

describe("API commands", () => {
  it("says to log in first when there is no saved login (exit 3)", async () => {
    const r = await cli(env(), ["ping"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      "tinyllama: not logged in: run `tinyllama login` (scripts: set TINYLLAMA_USERNAME and TINYLLAMA_PASSWORD)\n",
    );
    const j = await cli(env(), ["ping", "--json"]);
    expect(JSON.parse(j.stderr)).toMatchObject({ error: "not_logged_in" });
  });

  it("ping: the API, the GPU instance and the queue", async () => {
    const e = await loggedIn();
    const human = await cli(e, ["ping"]);
    expect(human.stderr).toBe("");
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(
      new RegExp(`^api +${stack.gateway.url} +ok\\ngpu +\\w+.*\\nqueue +\\d+ waiting`),
    );
    const json = await cli(e, ["ping", "--json"]);
    expect(JSON.parse(json.stdout)).toEqual({
      status: "ok",
      gpu: expect.objectContaining({ state: expect.any(String) }),
      queue: { depth: expect.any(Number), inFlight: expect.any(Number) },
    });
  });

  it("infer queues a job and jobs shows it; another user cannot see it", async () => {
    const e = await loggedIn();
    const queued = await cli(e, ["infer", "Tell me about llamas", "--max-tokens", "16", "--json"]);
    expect(queued.code).toBe(0);
    const { jobId, status } = JSON.parse(queued.stdout) as { jobId: string; status: string };
    expect(status).toBe("queued");

    const human = await cli(e, ["infer", "Tell", "me", "more"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^job [0-9a-f-]{36} queued\n$/);
    expect(human.stderr).toMatch(/Follow it with `tinyllama jobs [0-9a-f-]{36}`/);

    const shown = await cli(e, ["jobs", jobId, "--json"]);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      jobId,
      prompt: "Tell me about llamas",
      maxTokens: 16,
      status: "queued",
    });
    const text = await cli(e, ["jobs", jobId]);
    expect(text.stdout).toMatch(
      new RegExp(`^job +${jobId}\\nstatus +queued\\nprompt +Tell me about llamas\\nmaxTokens +16\\n`),
    );

    const bob = await loggedIn("bob");
    const theirs = await cli(bob, ["jobs", jobId]);
    expect(theirs.code).toBe(1);
    expect(theirs.stderr).toBe(
      `tinyllama: no job ${jobId} (or it is another user's): use the id \`tinyllama infer\` printed\n`,
    );
  });

  it("infer --wait follows the job to succeeded, showing each status", async () => {
    const e = await loggedIn();
    const { io, out } = testIo(e);
    const run = runCli(["infer", "Hello", "--wait"], io, { config: anyPortConfig });
    const jobId = await until(() => /job ([0-9a-f-]{36}): queued/.exec(out.stderr)?.[1], "the queued job");
    await new Promise((resolve) => setTimeout(resolve, 150));
    await setStatus(jobId, "running");
    await until(() => (out.stderr.includes("running") ? true : undefined), "running shown");
    await setStatus(jobId, "succeeded");
    expect(await run).toBe(0);
    expect(out.stderr).toMatch(
      new RegExp(
        `job ${jobId}: queued \\(0 s\\)\\njob ${jobId}: running \\(\\d+ s\\)\\njob ${jobId}: succeeded \\(\\d+ s\\)\\n$`,
      ),
    );
    expect(out.stdout).toMatch(new RegExp(`^job +${jobId}\\nstatus +succeeded\\nprompt +Hello\\n`));
  });

  it("infer --wait exits 1 on a failed job and stops at --timeout", async () => {
    const e = await loggedIn();
    const { io, out } = testIo(e);
    const run = runCli(["infer", "Hello", "--wait", "--json"], io, { config: anyPortConfig });
    const jobId = await until(() => /job ([0-9a-f-]{36}): queued/.exec(out.stderr)?.[1], "the queued job");
    await setStatus(jobId, "failed");
    expect(await run).toBe(1);
    expect(JSON.parse(out.stdout)).toMatchObject({ jobId, status: "failed" });

    const slow = await cli(e, ["infer", "Hello", "--wait", "--timeout", "1"]);
    expect(slow.code).toBe(1);
    expect(slow.stderr).toMatch(
      /tinyllama: job [0-9a-f-]{36} is still queued after 1 s: check later with `tinyllama jobs /,
    );
  });

  it("passes the API's refusals on with what to do", async () => {
    const e = await loggedIn();
    const big = await cli(e, ["infer", "Hello", "--max-tokens", "100000"]);
    expect(big.code).toBe(1);
    expect(big.stderr).toBe(
      `tinyllama: the job was not queued: the API answered 400 bad_request: maxTokens must be an integer 1..${stack.config.limits.maxTokens}\n`,
    );
    const missing = await cli(e, ["jobs", randomUUID()]);
    expect(missing.code).toBe(1);
    const stop = await cli(e, ["stop"]);
    expect(stop.code).toBe(1);
    expect(stop.stderr).toMatch(
      /the GPU instance was not stopped: the API answered 409 no_instance: no GPU instance tagged/,
    );
    const closed = await freePort();
    const down = await cli({ ...e, TINYLLAMA_API_URL: `http://127.0.0.1:${closed}` }, ["ping"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(
      `tinyllama: cannot reach the TinyLlama API at http://127.0.0.1:${closed} (ECONNREFUSED): start the stack with \`make dev\`, or set TINYLLAMA_API_URL to the API\n`,
    );
  });
});

describe("the per-user limit", () => {
  it("infer --wait waits out a 429's Retry-After and goes on", async () => {
    const strict = await startStack({
      issuer: cognito.issuer,
      audience: [publicClientId],
      limits: { burstPerSecond: 2, requestsPerMinute: 1000 },
    });
    try {
      const e = { ...(await loggedIn()), TINYLLAMA_API_URL: strict.gateway.url };
      const waits: number[] = [];
      const { io, out } = testIo(e, {
        sleep: async (ms) => {
          waits.push(ms);
          // A 429's wait: 1.1 s really (the burst window is 1 s), not the minute it asks for.
          await new Promise((resolve) => setTimeout(resolve, ms >= 60_000 ? 1100 : ms));
        },
      });
      const run = runCli(["infer", "Hello", "--wait"], io, { config: anyPortConfig });
      await until(() => (out.stderr.includes("rate limited") ? true : undefined), "a 429");
      const jobId = /job ([0-9a-f-]{36})/.exec(out.stderr)?.[1] ?? "";
      const bucket = { endpoint: strict.emulator.url, region: strict.config.region };
      await setStatus(jobId, "succeeded", bucket);
      expect(await run).toBe(0);
      expect(out.stderr).toMatch(/job [0-9a-f-]{36}: queued, rate limited: next look in 60 s/);
      expect(waits).toContain(60_000);
      expect(out.stdout).toMatch(/status +succeeded/);
    } finally {
      await strict.close();
    }
  });
});

describe("re-login when the API refuses the token", () => {
  it("an expired token: logs in again with TINYLLAMA_PASSWORD and retries once", async () => {
    const e = await loggedIn("alice", { expired: true });
    const before = saved(e);
    expect(Date.parse(before.expiresAt)).toBeLessThan(Date.now());
    const r = await cli({ ...e, TINYLLAMA_PASSWORD: password("alice") }, ["ping", "--json"]);
    expect(r.stderr).toBe(
      "the API refused your login (403 invalid_token); logging in again as alice (TINYLLAMA_PASSWORD).\n",
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "ok" });
    const after = saved(e);
    expect(after.idToken).not.toBe(before.idToken);
    expect(Date.parse(after.expiresAt)).toBeGreaterThan(Date.now());
  });

  it("an expired token with nobody at the terminal and no password: says to run `tinyllama login` (exit 3)", async () => {
    const e = await loggedIn("alice", { expired: true });
    const before = saved(e);
    const r = await cli(e, ["infer", "Hello"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      "tinyllama: the API refused your login (403 invalid_token): run `tinyllama login` (scripts: set TINYLLAMA_USERNAME and TINYLLAMA_PASSWORD)\n",
    );
    expect(saved(e)).toEqual(before);
  });

  it("an expired token with a person at the terminal: logs in again in the browser, then the command goes on", async () => {
    const e = { ...(await loggedIn("alice", { expired: true })), TINYLLAMA_LOGIN_PORT: "0" };
    let opened = "";
    const r = await cli(e, ["jobs", randomUUID()], {
      interactive: true,
      openBrowser: async (url) => {
        opened = url;
        void signInOverHttp(url, "alice");
      },
    });
    expect(opened).toMatch(/\/oauth2\/authorize\?/);
    expect(r.stderr).toMatch(
      /^the API refused your login \(403 invalid_token\); logging in again in your browser\.\n/,
    );
    // The retried call reached the route: this job id is unknown.
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tinyllama: no job /);
    expect(saved(e)).toMatchObject({ method: "browser", username: "alice" });
    expect(Date.parse(saved(e).expiresAt)).toBeGreaterThan(Date.now());
  });

  it("retries only once: a pool the API does not trust gets a clear message, not a loop", async () => {
    const other = await startCognito({ anyPort: true });
    try {
      const e = env({ TINYLLAMA_AUTH_URL: other.url, TINYLLAMA_PASSWORD: password("alice") });
      expect((await cli(e, ["login", "-u", "alice"])).code).toBe(0);
      const r = await cli(e, ["ping"]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/logging in again as alice/);
      expect(r.stderr).toMatch(
        /tinyllama: the API refused a fresh login too \(403 invalid_token\): the API and the CLI use different Cognito pools or clients/,
      );
    } finally {
      await other.close();
    }
  });
});
