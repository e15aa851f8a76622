/**
 * `GET /<userPoolId>/.well-known/openid-configuration` and `/jwks.json`. The discovery document
 * has the keys of Cognito's (no `code_challenge_methods_supported`, as on AWS) plus
 * `end_session_endpoint`. Its endpoint URLs are built from the request's Host header, so a
 * container that reaches the mock as `http://cognito:9229` is sent to that name; `issuer` is
 * always the configured one, the value every token's `iss` carries.
 */
import { type Request, Router } from "express";
import type { KeySet } from "./keys.ts";
import type { Pool } from "./pool.ts";

/** host, host:port or [v6]:port; anything else falls back to the mock's own URL. */
const HOST_HEADER = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export function baseUrlOf(req: Request, ownUrl: string): string {
  const host = req.get("host");
  return host && HOST_HEADER.test(host) ? `${req.protocol}://${host}` : ownUrl;
}

export function discoveryRoutes(deps: { pool: Pool; keys: KeySet; issuer: string; ownUrl: string }) {
  const { pool, keys, issuer, ownUrl } = deps;
  const router = Router();
  const unknownPool = (id: string) => ({
    __type: "ResourceNotFoundException",
    message: `User pool ${id} does not exist. This mock serves ${pool.id} (cognito.userPoolId in config/platform.json).`,
  });

  router.get("/:poolId/.well-known/jwks.json", (req, res) => {
    if (req.params.poolId !== pool.id) return void res.status(404).json(unknownPool(req.params.poolId));
    res.set("Cache-Control", "public, max-age=300").json(keys.jwks());
  });

  router.get("/:poolId/.well-known/openid-configuration", (req, res) => {
    if (req.params.poolId !== pool.id) return void res.status(404).json(unknownPool(req.params.poolId));
    const base = baseUrlOf(req, ownUrl);
    res.json({
      authorization_endpoint: `${base}/oauth2/authorize`,
      end_session_endpoint: `${base}/logout`,
      id_token_signing_alg_values_supported: ["RS256"],
      issuer,
      jwks_uri: `${base}/${pool.id}/.well-known/jwks.json`,
      response_types_supported: ["code"],
      scopes_supported: ["openid", "email", "phone", "profile"],
      subject_types_supported: ["public"],
      token_endpoint: `${base}/oauth2/token`,
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      userinfo_endpoint: `${base}/oauth2/userInfo`,
    });
  });
  return router;
}
