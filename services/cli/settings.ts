/**
 * Where the CLI talks to and keeps its token: endpoints and the app client come from
 * `config/platform.json` (the embedded stack's ports and the public Cognito client), each one
 * overridable by an environment variable so the same CLI can point at another stack or at AWS.
 *
 * | setting            | env                          | default                                          |
 * |--------------------|------------------------------|--------------------------------------------------|
 * | API                | TINYLLAMA_API_URL            | http://127.0.0.1:<ports.gateway>                 |
 * | hosted UI / OAuth  | TINYLLAMA_AUTH_URL           | http://127.0.0.1:<ports.cognito> (the mock)      |
 * | cognito-idp API    | TINYLLAMA_IDP_URL            | TINYLLAMA_AUTH_URL (one origin for the mock)     |
 * | app client         | TINYLLAMA_CLIENT_ID          | the first client without a secret                |
 * | token file         | TINYLLAMA_TOKEN_FILE         | $XDG_CONFIG_HOME/tinyllama/token.json, else      |
 * |                    |                              | ~/.config/tinyllama/token.json                   |
 * | callback port      | TINYLLAMA_LOGIN_PORT         | the client's 127.0.0.1 callback (8765); --port   |
 * | login wait         | TINYLLAMA_LOGIN_TIMEOUT_MS   | 30000                                            |
 * | --wait poll period | TINYLLAMA_POLL_INTERVAL_MS   | 4000 (20 requests/min per user is the API limit)  |
 */
import os from "node:os";
import path from "node:path";
import { loadConfig, type PlatformConfig } from "../lib/config.ts";
import { CliError } from "./errors.ts";

export interface Settings {
  apiUrl: string;
  /** Hosted-UI domain: /oauth2/authorize, /oauth2/token, /logout. */
  authUrl: string;
  /** cognito-idp JSON API (InitiateAuth); on AWS `https://cognito-idp.<region>.amazonaws.com`. */
  idpUrl: string;
  clientId: string;
  scope: string;
  /** Registered callback URLs of the client (empty when the client is not in the config). */
  callbackUrls: string[];
  /** Registered sign-out URLs of the client. */
  logoutUrls: string[];
  /** The config's `cognito.allowAnyLoopbackPort`: the mock then accepts a callback on any port. */
  anyLoopbackPort: boolean;
  /** The default redirect: the client's first registered http://127.0.0.1 callback. */
  defaultRedirectUri: string;
  /** Callback port of the browser login when --port is not given (TINYLLAMA_LOGIN_PORT). */
  loginPort: number | undefined;
  tokenFile: string;
  loginTimeoutMs: number;
  pollIntervalMs: number;
}

export const DEFAULT_REDIRECT_URI = "http://127.0.0.1:8765/callback";
export const SCOPE = "openid email profile";

const trimSlash = (url: string) => url.replace(/\/+$/, "");

export function tokenFilePath(env: NodeJS.ProcessEnv, home = os.homedir()): string {
  if (env.TINYLLAMA_TOKEN_FILE) return path.resolve(env.TINYLLAMA_TOKEN_FILE);
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : undefined;
  return path.join(base ?? path.join(home, ".config"), "tinyllama", "token.json");
}

function positiveMs(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new CliError(`${name}=${raw} is not a positive number of milliseconds: fix or unset it`);
  return value;
}

function loginPort(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.TINYLLAMA_LOGIN_PORT;
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value > 65535)
    throw new CliError(`TINYLLAMA_LOGIN_PORT=${raw} is not a port number: fix or unset it`);
  return value;
}

export function resolveSettings(env: NodeJS.ProcessEnv = process.env, config?: PlatformConfig): Settings {
  const cfg = config ?? loadConfig(undefined, env);
  const clientId = env.TINYLLAMA_CLIENT_ID || cfg.cognito.clients.find((c) => !c.clientSecret)?.clientId;
  if (!clientId)
    throw new CliError(
      "config/platform.json lists no public Cognito client (one without clientSecret): add one, or set TINYLLAMA_CLIENT_ID",
    );
  const client = cfg.cognito.clients.find((c) => c.clientId === clientId);
  const callbackUrls = client?.callbackUrls ?? [];
  const authUrl = trimSlash(env.TINYLLAMA_AUTH_URL || `http://127.0.0.1:${cfg.ports.cognito}`);
  return {
    apiUrl: trimSlash(env.TINYLLAMA_API_URL || `http://127.0.0.1:${cfg.ports.gateway}`),
    authUrl,
    idpUrl: trimSlash(env.TINYLLAMA_IDP_URL || authUrl),
    clientId,
    scope: SCOPE,
    callbackUrls,
    logoutUrls: client?.logoutUrls ?? [],
    anyLoopbackPort: cfg.cognito.allowAnyLoopbackPort,
    defaultRedirectUri: callbackUrls.find((u) => u.startsWith("http://127.0.0.1:")) ?? DEFAULT_REDIRECT_URI,
    loginPort: loginPort(env),
    tokenFile: tokenFilePath(env),
    loginTimeoutMs: positiveMs(env, "TINYLLAMA_LOGIN_TIMEOUT_MS", 30_000),
    pollIntervalMs: positiveMs(env, "TINYLLAMA_POLL_INTERVAL_MS", 4000),
  };
}

/**
 * The redirect URI for `login --port N`: the default callback with its port replaced. Real
 * Cognito matches callback URLs exactly, port included, so the result must be registered for the
 * client (or the pool must allow any loopback port, as the mock can); otherwise the browser
 * would land on Cognito's error page with no hint, so we refuse here and name the fix.
 * Port 0 (any free port) is only possible when any loopback port is accepted.
 */
export function redirectUriFor(settings: Settings, port?: number): string {
  const base = new URL(settings.defaultRedirectUri);
  if (port === undefined) return base.href;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`--port ${port} is not a port number (1..65535)`, { usage: true });
  base.port = String(port);
  const wanted = port === 0 ? `${base.protocol}//${base.hostname}:0${base.pathname}` : base.href;
  if (settings.anyLoopbackPort || settings.callbackUrls.length === 0) return wanted;
  if (port !== 0 && settings.callbackUrls.includes(wanted)) return wanted;
  const loopback = settings.callbackUrls.filter((u) =>
    /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(u),
  );
  throw new CliError(
    `${wanted} is not a registered callback URL of client ${settings.clientId}, and Cognito matches them exactly: ` +
      `use --port with one of ${loopback.join(", ") || "(none registered)"}, or register it ` +
      "(config/platform.json cognito.clients[].callbackUrls; on AWS the app client's CallbackURLs)",
  );
}
