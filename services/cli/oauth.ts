/**
 * The OAuth pieces of the desktop login (API-005), written with node:crypto and URL only:
 * PKCE S256 (RFC 7636), `state` and `nonce`, the hosted-UI authorize and logout URLs, and the
 * code exchange at `/oauth2/token`. Cognito never advertises PKCE in its discovery document, so
 * a client must send S256 unconditionally, which we do; a general OIDC client library would add
 * discovery and a dependency for four small functions.
 */
import { createHash, randomBytes } from "node:crypto";
import { CliError, unreachable } from "./errors.ts";

export interface Pkce {
  /** 43 characters of base64url (32 random bytes): RFC 7636 allows 43..128 of [A-Za-z0-9-._~]. */
  verifier: string;
  /** BASE64URL(SHA256(verifier)). */
  challenge: string;
  method: "S256";
}

export function createPkce(): Pkce {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: challengeOf(verifier), method: "S256" };
}

export const challengeOf = (verifier: string): string =>
  createHash("sha256").update(verifier, "ascii").digest("base64url");

/** An unguessable value for `state` and `nonce`. */
export const randomToken = (): string => randomBytes(24).toString("base64url");

export interface AuthorizeRequest {
  authUrl: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  state: string;
  nonce: string;
  codeChallenge: string;
}

/** `<authUrl>/oauth2/authorize?response_type=code&...&code_challenge_method=S256`. */
export function authorizeUrl(r: AuthorizeRequest): string {
  const url = new URL("/oauth2/authorize", `${r.authUrl}/`);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: r.clientId,
    redirect_uri: r.redirectUri,
    scope: r.scope,
    state: r.state,
    nonce: r.nonce,
    code_challenge: r.codeChallenge,
    code_challenge_method: "S256",
  }).toString();
  return url.href;
}

/**
 * The hosted-UI sign-out URL: `logout_uri` when the client has a registered sign-out URL, else
 * the form that signs out and returns to the login page (`redirect_uri` + `response_type`).
 */
export function logoutUrl(o: {
  authUrl: string;
  clientId: string;
  logoutUrls: readonly string[];
  redirectUri: string;
}): string {
  const url = new URL("/logout", `${o.authUrl}/`);
  const logoutUri = o.logoutUrls.find((u) => u.startsWith("http://127.0.0.1:")) ?? o.logoutUrls[0];
  const params = new URLSearchParams({ client_id: o.clientId });
  if (logoutUri) params.set("logout_uri", logoutUri);
  else {
    params.set("redirect_uri", o.redirectUri);
    params.set("response_type", "code");
  }
  url.search = params.toString();
  return url.href;
}

export interface TokenExchange {
  authUrl: string;
  clientId: string;
  code: string;
  redirectUri: string;
  codeVerifier: string;
}

/** POST /oauth2/token (authorization_code); returns the ID token only, the others are dropped. */
export async function exchangeCode(x: TokenExchange): Promise<string> {
  const endpoint = `${x.authUrl}/oauth2/token`;
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: x.clientId,
        code: x.code,
        redirect_uri: x.redirectUri,
        code_verifier: x.codeVerifier,
      }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    throw unreachable("Cognito token endpoint", endpoint, err, "check TINYLLAMA_AUTH_URL, then log in again");
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok || typeof body.id_token !== "string") {
    const what = typeof body.error === "string" ? body.error : `HTTP ${res.status}`;
    const detail = typeof body.error_description === "string" ? ` (${body.error_description})` : "";
    throw new CliError(
      `the code exchange at ${endpoint} failed: ${what}${detail}: run \`tinyllama login\` again (a code works once, for 5 minutes)`,
      { auth: true },
    );
  }
  return body.id_token;
}

/** The claims of a JWT, unverified: the CLI only reads them (who, until when); the API verifies. */
export function decodeClaims(token: string): Record<string, unknown> {
  const part = token.split(".")[1];
  try {
    if (!part) throw new Error("not a JWT");
    const claims: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    if (!claims || typeof claims !== "object") throw new Error("claims are not an object");
    return claims as Record<string, unknown>;
  } catch (err) {
    throw new CliError(`Cognito returned an ID token that is not a JWT: run \`tinyllama login\` again`, {
      cause: err,
      auth: true,
    });
  }
}
