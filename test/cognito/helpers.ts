/**
 * Shared by the mock Cognito tests: start the mock on an ephemeral port with the committed config,
 * a manual clock, and a plain-HTTP driver of the hosted-UI login (no browser).
 */
import { createHash, randomBytes } from "node:crypto";
import { type Cognito, type CognitoOptions, createCognito } from "../../emulators/cognito/server.ts";
import { loadConfig, type PlatformConfig } from "../../services/lib/config.ts";

export const config = loadConfig();
export const poolId = config.cognito.userPoolId;
function client(index: number, kind: string) {
  const found = config.cognito.clients[index];
  if (!found) throw new Error(`config/platform.json must list a ${kind} cognito client at clients[${index}]`);
  return found;
}
export const publicClient = client(0, "public");
export const confidentialClient = client(1, "confidential");
export const confidentialSecret = confidentialClient.clientSecret ?? "";
export const CALLBACK = "http://127.0.0.1:8765/callback";

export class ManualClock {
  t = Date.now();
  now() {
    return this.t;
  }
  advance(ms: number) {
    this.t += ms;
  }
}

export async function startMock(
  options: Partial<CognitoOptions> & { configure?: (c: PlatformConfig) => void } = {},
): Promise<Cognito> {
  const copy = structuredClone(config);
  options.configure?.(copy);
  return createCognito({ host: "127.0.0.1", port: 0, ...options, config: copy });
}

export function user(name: string) {
  const u = config.users.find((x) => x.username === name);
  if (!u) throw new Error(`no user ${name} in config/platform.json`);
  return u;
}

export function pkce() {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  return { verifier, challenge };
}

/** POST to the cognito-idp JSON API. */
export async function idp(url: string, op: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/`, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": `AWSCognitoIdentityProviderService.${op}`,
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { res, json: (await res.json()) as Record<string, unknown> };
}

export async function passwordLogin(url: string, username: string, clientId = publicClient.clientId) {
  const { res, json } = await idp(url, "InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    ClientId: clientId,
    AuthParameters: { USERNAME: username, PASSWORD: user(username).password },
  });
  if (res.status !== 200) throw new Error(`InitiateAuth failed: ${JSON.stringify(json)}`);
  return json.AuthenticationResult as {
    AccessToken: string;
    IdToken: string;
    RefreshToken: string;
    ExpiresIn: number;
    TokenType: string;
  };
}

export function authorizeUrl(url: string, params: Record<string, string | undefined>) {
  const u = new URL("/oauth2/authorize", url);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  return u.href;
}

/** GET without following redirects. */
export const get = (url: string, init: RequestInit = {}) => fetch(url, { redirect: "manual", ...init });

export function location(res: Response, base: string): URL {
  const loc = res.headers.get("location");
  if (!loc) throw new Error(`expected a redirect, got ${res.status}`);
  return new URL(loc, base);
}

export interface LoginOptions {
  clientId?: string;
  redirectUri?: string;
  username?: string;
  password?: string;
  scope?: string;
  state?: string;
  nonce?: string;
  challenge?: string;
}

/** authorize -> /login form -> POST credentials; returns the final redirect to the client. */
export async function hostedLogin(url: string, o: LoginOptions = {}) {
  const username = o.username ?? "alice";
  const authorize = await get(
    authorizeUrl(url, {
      response_type: "code",
      client_id: o.clientId ?? publicClient.clientId,
      redirect_uri: o.redirectUri ?? CALLBACK,
      scope: o.scope ?? "openid email profile",
      state: o.state ?? "st-123",
      nonce: o.nonce,
      code_challenge: o.challenge,
      code_challenge_method: o.challenge ? "S256" : undefined,
    }),
  );
  if (authorize.status !== 302) throw new Error(`authorize answered ${authorize.status}`);
  const loginUrl = location(authorize, url);
  if (loginUrl.pathname !== "/login") throw new Error(`authorize redirected to ${loginUrl.href}`);
  const form = await get(loginUrl.href);
  const page = await form.text();
  const action = /<form id="loginForm" method="post" action="([^"]+)"/.exec(page)?.[1];
  if (!action) throw new Error("no login form in the page");
  const submit = await get(new URL(action.replaceAll("&amp;", "&"), url).href, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      username,
      password: o.password ?? user(username).password,
      signInSubmitButton: "Sign in",
    }),
  });
  return submit;
}

/** A hosted-UI login that must succeed: returns the code. */
export async function codeFor(url: string, o: LoginOptions = {}) {
  const res = await hostedLogin(url, o);
  const to = location(res, url);
  const code = to.searchParams.get("code");
  if (!code) throw new Error(`no code in ${to.href}`);
  return code;
}

export async function token(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form),
  });
  return { res, json: (await res.json()) as Record<string, string | number> };
}

export const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;
