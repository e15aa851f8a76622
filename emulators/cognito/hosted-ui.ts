/**
 * The hosted UI: `GET /oauth2/authorize` -> 302 `/login?<same query>` -> sign-in form ->
 * `POST /login` -> 302 `<redirect_uri>?code=...&state=...`. Plus `GET /logout` and `GET /error`.
 * There is no session cookie (Cognito keeps one for an hour): every authorize shows the form.
 */
import express, { type Request, type Response, Router } from "express";
import type { Logger } from "../../services/lib/logger.ts";
import { type AuthorizeOutcome, parseAuthorizeRequest } from "./authorize-request.ts";
import type { CodeStore } from "./codes.ts";
import { errorPage, loginPage } from "./pages.ts";
import { type Pool, sameSecret } from "./pool.ts";
import { matchesRegistered, withParams } from "./redirects.ts";
import type { TokenService } from "./tokens.ts";

export const BAD_CREDENTIALS = "Incorrect username or password.";

export function hostedUiRoutes(deps: { pool: Pool; tokens: TokenService; codes: CodeStore; log: Logger }) {
  const { pool, tokens, codes, log } = deps;
  const router = Router();

  router.get("/oauth2/authorize", (req, res) => {
    const outcome = parseAuthorizeRequest(req.query, pool);
    if (!outcome.ok) return refuse(res, outcome);
    res.redirect(302, `/login${rawQuery(req)}`);
  });

  router.get("/login", (req, res) => {
    const outcome = parseAuthorizeRequest(req.query, pool);
    if (!outcome.ok) return refuse(res, outcome);
    html(res, 200, loginPage({ action: `/login${rawQuery(req)}`, clientName: outcome.request.client.name }));
  });

  router.post("/login", express.urlencoded({ extended: false, limit: "16kb" }), (req, res) => {
    const outcome = parseAuthorizeRequest(req.query, pool);
    if (!outcome.ok) return refuse(res, outcome);
    const { request } = outcome;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const username = typeof body.username === "string" ? body.username.trim() : "";
    const password = typeof body.password === "string" ? body.password : "";
    const user = username ? pool.findUser(username) : undefined;
    if (!user || !sameSecret(password, user.password)) {
      log.info({ username, clientId: request.client.clientId }, "hosted UI sign-in refused: bad credentials");
      const error = username && password ? BAD_CREDENTIALS : "Enter your username and password.";
      html(
        res,
        401,
        loginPage({ action: `/login${rawQuery(req)}`, clientName: request.client.name, error, username }),
      );
      return;
    }
    const session = tokens.newSession(user, request.client, request.scopes);
    const code = codes.issue({
      session,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      nonce: request.nonce,
    });
    log.info(
      { username: user.username, clientId: request.client.clientId },
      "hosted UI sign-in: code issued",
    );
    res.redirect(302, withParams(request.redirectUri, { code, state: request.state }));
  });

  router.get("/logout", (req, res) => {
    const q = req.query as Record<string, unknown>;
    const clientId = typeof q.client_id === "string" ? q.client_id : undefined;
    const client = clientId ? pool.findClient(clientId) : undefined;
    if (!client)
      return toErrorPage(res, {
        error: "invalid_request",
        description: `client_id ${clientId ?? "(missing)"} is not an app client of ${pool.id}: send a clientId from cognito.clients`,
        clientId,
      });
    if (typeof q.logout_uri === "string") {
      if (!matchesRegistered(q.logout_uri, client.logoutUrls, pool.settings.allowAnyLoopbackPort))
        return toErrorPage(res, {
          error: "invalid_request",
          description: `logout_uri ${q.logout_uri} is not a sign-out URL of client ${client.name}: register it in cognito.clients[].logoutUrls`,
          clientId,
        });
      log.info({ clientId }, "signed out");
      return res.redirect(302, q.logout_uri);
    }
    if (typeof q.redirect_uri === "string" && typeof q.response_type === "string")
      return res.redirect(302, `/login${rawQuery(req)}`);
    toErrorPage(res, {
      error: "invalid_request",
      description:
        "logout_uri is missing: send logout_uri (a registered sign-out URL), or redirect_uri and response_type to sign in again",
      clientId,
    });
  });

  router.get("/error", (req, res) => {
    const error = typeof req.query.error === "string" ? req.query.error : "unknown_error";
    const description =
      typeof req.query.error_description === "string" ? req.query.error_description : undefined;
    html(res, 400, errorPage({ error, description }));
  });

  return router;
}

function refuse(res: Response, outcome: Exclude<AuthorizeOutcome, { ok: true }>) {
  if ("page" in outcome) return toErrorPage(res, outcome.page);
  res.redirect(
    302,
    withParams(outcome.redirectUri, {
      error: outcome.error,
      error_description: outcome.description,
      state: outcome.state,
    }),
  );
}

function toErrorPage(
  res: Response,
  p: { error: string; description: string; clientId?: string | undefined },
) {
  const q = new URLSearchParams({ error: p.error, error_description: p.description });
  if (p.clientId) q.set("client_id", p.clientId);
  res.redirect(302, `/error?${q}`);
}

/** The request's query string as sent, with its leading `?` (empty when none). */
function rawQuery(req: Request): string {
  const at = req.originalUrl.indexOf("?");
  return at === -1 ? "" : req.originalUrl.slice(at);
}

function html(res: Response, status: number, body: string) {
  res
    .status(status)
    .set({
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "no-store",
      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      "X-Frame-Options": "DENY",
      "Referrer-Policy": "no-referrer",
    })
    .send(body);
}
