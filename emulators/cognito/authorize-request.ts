/**
 * Validation of the hosted UI's authorization parameters, shared by `/oauth2/authorize` and
 * `/login` (which receives the same query). Order and outcomes follow Cognito: a bad client or
 * redirect_uri never redirects (the browser lands on `/error`); any later problem redirects to
 * the client with `error=`, `error_description=` and `state=`.
 */

import type { AppClient, Pool } from "./pool.ts";
import { matchesRegistered } from "./redirects.ts";

export interface AuthorizeRequest {
  client: AppClient;
  redirectUri: string;
  scopes: string[];
  state?: string | undefined;
  nonce?: string | undefined;
  codeChallenge?: string | undefined;
}

export type AuthorizeOutcome =
  | { ok: true; request: AuthorizeRequest }
  /** Shown on the mock's `/error` page. */
  | { ok: false; page: { error: string; description: string; clientId?: string | undefined } }
  /** Sent back to the client's redirect_uri. */
  | { ok: false; redirectUri: string; error: string; description: string; state?: string | undefined };

/** Cognito: email, phone and profile "require openid". */
const NEEDS_OPENID = ["email", "phone", "profile"];
/** RFC 7636: BASE64URL(SHA256(verifier)) is 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export function parseAuthorizeRequest(query: Record<string, unknown>, pool: Pool): AuthorizeOutcome {
  const repeated = Object.entries(query).find(([, v]) => Array.isArray(v))?.[0];
  const one = (name: string) => {
    const v = query[name];
    return typeof v === "string" && v !== "" ? v : undefined;
  };

  const clientId = one("client_id");
  const client = clientId ? pool.findClient(clientId) : undefined;
  if (!client)
    return page(
      "invalid_request",
      clientId
        ? `client_id ${clientId} is not an app client of ${pool.id}: use a clientId from cognito.clients in config/platform.json`
        : "client_id is missing: add the app client id to the authorize URL",
      clientId,
    );
  const redirectUri = one("redirect_uri");
  if (
    !redirectUri ||
    !matchesRegistered(redirectUri, client.callbackUrls, pool.settings.allowAnyLoopbackPort)
  )
    return page(
      "redirect_mismatch",
      redirectUri
        ? `redirect_uri ${redirectUri} is not a callback URL of client ${client.name}: register it in cognito.clients[].callbackUrls (matched exactly, port and trailing slash included)`
        : "redirect_uri is missing: add one of the client's callback URLs",
      client.clientId,
    );

  const state = one("state");
  const fail = (error: string, description: string): AuthorizeOutcome => ({
    ok: false,
    redirectUri,
    error,
    description,
    state,
  });
  if (repeated) return fail("invalid_request", `${repeated} is given more than once: send it once`);
  const responseType = one("response_type");
  if (!responseType) return fail("invalid_request", "response_type is missing: send response_type=code");
  if (responseType !== "code")
    return fail(
      "unsupported_response_type",
      `response_type=${responseType} is not supported by the mock: use the authorization code flow (response_type=code)`,
    );

  const asked = one("scope")?.split(" ").filter(Boolean);
  const allowed: readonly string[] = client.scopes;
  const scopes = asked ? asked.filter((s) => allowed.includes(s)) : [...allowed];
  if (scopes.length === 0)
    return fail(
      "invalid_scope",
      `none of the scopes "${one("scope")}" is allowed for client ${client.name}: ask for some of ${allowed.join(" ")}`,
    );
  if (!scopes.includes("openid") && scopes.some((s) => NEEDS_OPENID.includes(s)))
    return fail("invalid_scope", "email, phone and profile need the openid scope too: add openid");

  const method = one("code_challenge_method");
  const codeChallenge = one("code_challenge");
  if (method !== undefined && method !== "S256")
    return fail(
      "invalid_request",
      `code_challenge_method=${method} is not supported: Cognito accepts only S256 (send BASE64URL(SHA256(code_verifier)))`,
    );
  if (method && !codeChallenge)
    return fail("invalid_request", "code_challenge is missing: send it with code_challenge_method=S256");
  if (codeChallenge && !method)
    return fail(
      "invalid_request",
      "code_challenge_method is missing: send code_challenge_method=S256 (plain is not supported)",
    );
  if (codeChallenge && !S256_CHALLENGE.test(codeChallenge))
    return fail(
      "invalid_request",
      "code_challenge is not an S256 challenge: send the 43-character BASE64URL(SHA256(code_verifier))",
    );

  return { ok: true, request: { client, redirectUri, scopes, state, nonce: one("nonce"), codeChallenge } };
}

function page(error: string, description: string, clientId?: string): AuthorizeOutcome {
  return { ok: false, page: { error, description, clientId } };
}
