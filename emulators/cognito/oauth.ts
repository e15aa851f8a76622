/**
 * `POST /oauth2/token` (authorization_code with PKCE S256, refresh_token) and
 * `GET|POST /oauth2/userInfo`. Errors are Cognito's `{"error": ...}` bodies, with an added
 * `error_description` that names the fix; status 400, except invalid_client (401, RFC 6749 5.2).
 * Like Cognito, the response has no `scope` and a refresh grant returns no new refresh token.
 */
import { createHash } from "node:crypto";
import express, { type Request, type Response, Router } from "express";
import type { Logger } from "../../services/lib/logger.ts";
import type { CodeStore } from "./codes.ts";
import type { AppClient, Pool } from "./pool.ts";
import { sameSecret } from "./pool.ts";
import { matchesRegistered } from "./redirects.ts";
import type { IssuedTokens, TokenService } from "./tokens.ts";

type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type";

class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  constructor(code: OAuthErrorCode, description: string) {
    super(description);
    this.code = code;
  }
}

export function oauthRoutes(deps: { pool: Pool; tokens: TokenService; codes: CodeStore; log: Logger }) {
  const { pool, tokens, codes, log } = deps;
  const router = Router();

  router.post("/oauth2/token", express.urlencoded({ extended: false, limit: "16kb" }), async (req, res) => {
    try {
      if (!req.is("application/x-www-form-urlencoded"))
        throw new OAuthError(
          "invalid_request",
          "the body must be application/x-www-form-urlencoded: send the parameters as a form",
        );
      const form = stringParams(req.body);
      const client = authenticateClient(req, form, pool);
      const grantType = form.grant_type;
      let issued: IssuedTokens;
      if (!grantType) throw new OAuthError("invalid_request", "grant_type is missing");
      if (grantType === "authorization_code") issued = await exchangeCode(form, client);
      else if (grantType === "refresh_token") issued = await refresh(form, client);
      else if (grantType === "client_credentials")
        throw new OAuthError(
          "unauthorized_client",
          `client ${client.name} is not allowed the client_credentials grant (the mock has no resource servers)`,
        );
      else
        throw new OAuthError(
          "unsupported_grant_type",
          `grant_type=${grantType} is not supported: use authorization_code or refresh_token`,
        );
      res.set({ "Cache-Control": "no-store", Pragma: "no-cache" }).json({
        ...(issued.idToken ? { id_token: issued.idToken } : {}),
        access_token: issued.accessToken,
        ...(issued.refreshToken ? { refresh_token: issued.refreshToken } : {}),
        expires_in: issued.expiresIn,
        token_type: "Bearer",
      });
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      log.info({ error: err.code, description: err.message }, "token request refused");
      res
        .status(err.code === "invalid_client" ? 401 : 400)
        .set({ "Cache-Control": "no-store", Pragma: "no-cache" })
        .json({ error: err.code, error_description: err.message });
    }
  });

  async function exchangeCode(form: Record<string, string>, client: AppClient): Promise<IssuedTokens> {
    if (!form.code)
      throw new OAuthError("invalid_request", "code is missing: send the code from the redirect");
    if (!form.redirect_uri)
      throw new OAuthError(
        "invalid_request",
        "redirect_uri is missing: send the one used at /oauth2/authorize",
      );
    const grant = codes.take(form.code);
    if (!grant)
      throw new OAuthError(
        "invalid_grant",
        "the code is unknown, used or expired (codes are single-use and last 5 minutes): sign in again",
      );
    if (grant.session.clientId !== client.clientId)
      throw new OAuthError("invalid_grant", `the code was issued to another client, not ${client.clientId}`);
    if (!matchesRegistered(form.redirect_uri, client.callbackUrls, pool.settings.allowAnyLoopbackPort))
      throw new OAuthError(
        "unauthorized_client",
        `redirect_uri ${form.redirect_uri} is not a callback URL of client ${client.name}`,
      );
    if (form.redirect_uri !== grant.redirectUri)
      throw new OAuthError("invalid_grant", "redirect_uri differs from the one sent to /oauth2/authorize");
    if (grant.codeChallenge) {
      if (!form.code_verifier)
        throw new OAuthError("invalid_grant", "code_verifier is missing: the code was requested with PKCE");
      const computed = createHash("sha256").update(form.code_verifier).digest("base64url");
      if (computed !== grant.codeChallenge)
        throw new OAuthError("invalid_grant", "code_verifier does not match the code_challenge (S256)");
    }
    if (!pool.findUser(grant.session.username))
      throw new OAuthError("invalid_grant", `user ${grant.session.username} no longer exists`);
    return tokens.issue(grant.session, {
      idToken: grant.session.scopes.includes("openid"),
      refreshToken: true,
      atHash: true,
      nonce: grant.nonce,
    });
  }

  async function refresh(form: Record<string, string>, client: AppClient): Promise<IssuedTokens> {
    if (!form.refresh_token) throw new OAuthError("invalid_request", "refresh_token is missing");
    const session = await tokens.openRefreshToken(form.refresh_token, client.clientId);
    if (!session)
      throw new OAuthError(
        "invalid_grant",
        `the refresh token is invalid, expired or not issued to client ${client.clientId}: sign in again`,
      );
    if (!pool.findUser(session.username))
      throw new OAuthError("invalid_grant", `user ${session.username} no longer exists`);
    return tokens.issue(session, {
      idToken: session.scopes.includes("openid"),
      refreshToken: false,
      atHash: true,
    });
  }

  const userInfo = async (req: Request, res: Response) => {
    const header = req.get("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) {
      res.status(401).set("WWW-Authenticate", 'Bearer realm="userInfo"').json({
        error: "invalid_request",
        error_description: "send the access token as Authorization: Bearer <access token>",
      });
      return;
    }
    const check = await tokens.checkAccessToken(match[1]);
    if (!check.ok) {
      res
        .status(401)
        .set("WWW-Authenticate", 'Bearer error="invalid_token"')
        .json({ error: "invalid_token", error_description: `the access token ${check.message}` });
      return;
    }
    const scopes = check.claims.scope.split(" ");
    if (!scopes.includes("openid")) {
      res.status(403).set("WWW-Authenticate", 'Bearer error="insufficient_scope", scope="openid"').json({
        error: "insufficient_scope",
        error_description:
          "the access token has no openid scope (InitiateAuth tokens never do): sign in through the hosted UI with scope openid",
      });
      return;
    }
    const user = pool.findUser(check.claims.username);
    if (!user) {
      res
        .status(401)
        .json({ error: "invalid_token", error_description: "the token's user no longer exists" });
      return;
    }
    // Cognito answers string booleans here, unlike the ID token's boolean email_verified.
    res.json({
      sub: user.sub,
      ...(scopes.includes("email") ? { email_verified: "true", email: user.email } : {}),
      username: user.username,
    });
  };
  router.get("/oauth2/userInfo", userInfo);
  router.post("/oauth2/userInfo", userInfo);

  return router;
}

/** client_secret_basic (Authorization: Basic) or client_secret_post / client_id alone for public clients. */
function authenticateClient(req: Request, form: Record<string, string>, pool: Pool): AppClient {
  let clientId = form.client_id;
  let secret = form.client_secret;
  const basic = /^Basic\s+(\S+)$/i.exec(req.get("authorization") ?? "");
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon === -1)
      throw new OAuthError("invalid_client", "the Basic credentials must be base64(client_id:client_secret)");
    const basicId = formDecode(decoded.slice(0, colon));
    if (clientId && clientId !== basicId)
      throw new OAuthError("invalid_client", "client_id in the body differs from the one in Authorization");
    clientId = basicId;
    secret = formDecode(decoded.slice(colon + 1));
  }
  if (!clientId)
    throw new OAuthError(
      "invalid_client",
      "client_id is missing: send it in the form, or client_id:client_secret as HTTP Basic",
    );
  const client = pool.findClient(clientId);
  if (!client) throw new OAuthError("invalid_client", `client ${clientId} does not exist in ${pool.id}`);
  if (client.clientSecret === undefined) {
    if (secret)
      throw new OAuthError(
        "invalid_client",
        `client ${client.name} is public (no secret): send only client_id`,
      );
  } else if (!secret || !sameSecret(secret, client.clientSecret)) {
    throw new OAuthError(
      "invalid_client",
      `client ${client.name} has a secret: authenticate with HTTP Basic base64(client_id:client_secret) or client_secret in the form`,
    );
  }
  return client;
}

function stringParams(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (body && typeof body === "object")
    for (const [k, v] of Object.entries(body)) {
      if (typeof v === "string") out[k] = v;
      else if (Array.isArray(v))
        throw new OAuthError("invalid_request", `${k} is given more than once: send it once`);
    }
  return out;
}

/** RFC 6749 2.3.1: Basic credentials are form-encoded before base64. */
function formDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    throw new OAuthError("invalid_client", "the Basic credentials are not valid form-encoding");
  }
}
