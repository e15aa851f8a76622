/**
 * Shared by the CLI tests: an Io that captures output (and can play a person at a terminal), a
 * temporary token file, the mock Cognito with the committed config (optionally accepting any
 * loopback port, so tests never share port 8765), a plain-HTTP "browser" that signs in through
 * the hosted UI and follows the redirect to the CLI's listener, and the CLI as a real process.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Cognito, type CognitoOptions, createCognito } from "../../emulators/cognito/server.ts";
import type { Io } from "../../services/cli/io.ts";
import { loadConfig, type PlatformConfig, repoRoot } from "../../services/lib/config.ts";

export const config = loadConfig();
/** The committed config, but the pool accepts a registered loopback callback on any port. */
export const anyPortConfig: PlatformConfig = (() => {
  const copy = structuredClone(config);
  copy.cognito.allowAnyLoopbackPort = true;
  return copy;
})();
export const publicClientId = (() => {
  const found = config.cognito.clients.find((c) => !c.clientSecret);
  if (!found) throw new Error("config/platform.json must list a public cognito client");
  return found.clientId;
})();

export function password(username: string): string {
  const u = config.users.find((x) => x.username === username);
  if (!u) throw new Error(`no user ${username} in config/platform.json`);
  return u.password;
}

export function tempDir(prefix = "tinyllama-cli-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface Captured {
  stdout: string;
  stderr: string;
}

export interface TestIoOptions {
  interactive?: boolean;
  openBrowser?: (url: string) => Promise<void>;
  secret?: string;
  stderrTTY?: boolean;
  /** Replaces the CLI's waits (e.g. to record a Retry-After without waiting a minute). */
  sleep?: (ms: number) => Promise<void>;
}

export function testIo(env: NodeJS.ProcessEnv, o: TestIoOptions = {}): { io: Io; out: Captured } {
  const out: Captured = { stdout: "", stderr: "" };
  const io: Io = {
    env,
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s), isTTY: o.stderrTTY ?? false },
    interactive: o.interactive ?? false,
    openBrowser:
      o.openBrowser ??
      (async () => {
        throw new Error("no browser in this test");
      }),
    readSecret: async () => {
      if (o.secret === undefined) throw new Error("this test gives no password on stdin");
      return o.secret;
    },
    now: Date.now,
    sleep: o.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
  return { io, out };
}

export async function startCognito(
  o: { anyPort?: boolean } & Partial<Omit<CognitoOptions, "config">> = {},
): Promise<Cognito> {
  const { anyPort, ...rest } = o;
  return createCognito({ host: "127.0.0.1", port: 0, ...rest, config: anyPort ? anyPortConfig : config });
}

/** Waits until `check` returns a value, polling every 10 ms. */
export async function until<T>(check: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const AUTHORIZE_URL = /https?:\/\/\S+\/oauth2\/authorize\?\S+/;

/**
 * What a browser does with the CLI's authorize URL, over plain HTTP: authorize -> /login form
 * -> POST the credentials -> follow the 302 to the CLI's callback. Returns the callback's answer.
 */
export async function signInOverHttp(
  authorizeUrl: string,
  username: string,
  pass = password(username),
): Promise<{ status: number; text: string; callbackUrl: URL }> {
  const authorize = await fetch(authorizeUrl, { redirect: "manual" });
  const loginUrl = new URL(authorize.headers.get("location") ?? "", authorizeUrl);
  if (authorize.status !== 302 || loginUrl.pathname !== "/login")
    throw new Error(`authorize answered ${authorize.status} ${loginUrl.href}`);
  const page = await (await fetch(loginUrl)).text();
  const action = /<form id="loginForm" method="post" action="([^"]+)"/.exec(page)?.[1];
  if (!action) throw new Error("no login form in the page");
  const submit = await fetch(new URL(action.replaceAll("&amp;", "&"), loginUrl), {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username, password: pass, signInSubmitButton: "Sign in" }),
  });
  const callbackUrl = new URL(submit.headers.get("location") ?? "", loginUrl);
  if (submit.status !== 302 || !callbackUrl.searchParams.get("code"))
    throw new Error(`sign-in answered ${submit.status} ${callbackUrl.href}`);
  const callback = await fetch(callbackUrl);
  return { status: callback.status, text: await callback.text(), callbackUrl };
}

export interface CliProcess {
  out: Captured;
  /** Resolves with the exit code. */
  exit: Promise<number>;
  writeStdin(text: string): void;
  kill(): void;
}

/** `node services/cli/main.ts ...args` as a child process with exactly `env` (plus PATH/HOME). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawn(process.execPath, [path.join(repoRoot, "services/cli/main.ts"), ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const out: Captured = { stdout: "", stderr: "" };
  child.stdout.on("data", (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out.stderr += d.toString()));
  const exit = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? -1)));
  return {
    out,
    exit,
    writeStdin: (text) => child.stdin.end(text),
    kill: () => child.kill(),
  };
}
