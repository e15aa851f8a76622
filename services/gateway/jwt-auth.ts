/**
 * Cognito ID-token authentication, as an API Gateway JWT authorizer does it but stricter: RS256
 * only, issuer, audience (an app client id), `token_use: "id"`, `exp` and `nbf` checked by jose
 * against keys from the pool's JWKS (fetched on first use, cached 10 minutes; an unknown `kid`
 * refetches at most every 30 s).
 *
 * Statuses (ARCHITECTURE.md, Errors): no bearer -> 401 with `WWW-Authenticate: Bearer`; a token
 * that fails any check -> 403 `{"error":"invalid_token"}` (API Gateway would say 401: the seed
 * asks for 403, see docs/api/jwt_auth.md); keys that cannot be fetched -> 503, never 403, since
 * the token may be fine.
 */
import type { RequestHandler } from "express";
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from "jose";
import { HttpError } from "./errors.ts";
import type { Caller } from "./locals.ts";

export interface IdTokenVerifierOptions {
  /** The pool's issuer, e.g. `https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123xyz`. */
  issuer: string;
  /** App client ids whose ID tokens are accepted (the token's `aud`). */
  audience: readonly string[];
  /** @defaultValue `<issuer>/.well-known/jwks.json` */
  jwksUrl?: string;
  /** @defaultValue 600000 (10 minutes, the most the contract allows) */
  cacheMaxAgeMs?: number;
  /** @defaultValue 5000 */
  jwksTimeoutMs?: number;
  /** How long a verified token is remembered (never past its exp); 0 verifies every call. @defaultValue 60000 */
  verifiedCacheMs?: number;
  /** @defaultValue 10000 */
  verifiedCacheSize?: number;
  /** @defaultValue Date.now */
  now?: () => number;
}

export interface IdTokenVerifier {
  readonly jwksUrl: string;
  /** Resolves the caller, or throws HttpError 403 (bad token) or 503 (keys unavailable). */
  verify(token: string): Promise<Caller>;
}

export function createIdTokenVerifier(options: IdTokenVerifierOptions): IdTokenVerifier {
  const jwksUrl = options.jwksUrl ?? `${options.issuer.replace(/\/$/, "")}/.well-known/jwks.json`;
  const keys = createRemoteJWKSet(new URL(jwksUrl), {
    cacheMaxAge: Math.min(options.cacheMaxAgeMs ?? 600_000, 600_000),
    cooldownDuration: 30_000,
    timeoutDuration: options.jwksTimeoutMs ?? 5000,
  });
  const audience = [...options.audience];
  const now = options.now ?? Date.now;
  const cache = new VerifiedTokens(options.verifiedCacheMs ?? 60_000, options.verifiedCacheSize ?? 10_000);
  return {
    jwksUrl,
    async verify(token) {
      const known = cache.get(token, now());
      if (known) return known;
      // base64url has spare bits in a segment's last character: flipping them leaves the bytes
      // (and the signature) unchanged. Cognito never sends such a token; refuse it as altered.
      if (!isCanonical(token)) throw invalidToken("the token is not canonical base64url: it was altered");
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          algorithms: ["RS256"],
          issuer: options.issuer,
          audience,
          requiredClaims: ["exp", "sub", "token_use"],
        }));
      } catch (err) {
        throw isKeyFetchFailure(err)
          ? new HttpError(
              503,
              "auth_unavailable",
              `cannot fetch the token signing keys from ${jwksUrl}; retry`,
              {
                cause: err,
                headers: { "Retry-After": "5" },
              },
            )
          : invalidToken(describe(err), err);
      }
      if (payload.token_use !== "id")
        throw invalidToken(`token_use is ${JSON.stringify(payload.token_use)}, not "id": send the ID token`);
      const groups = payload["cognito:groups"];
      const caller: Caller = {
        sub: payload.sub as string,
        ...(typeof payload["cognito:username"] === "string" ? { username: payload["cognito:username"] } : {}),
        groups: Array.isArray(groups) ? groups.filter((g): g is string => typeof g === "string") : [],
      };
      cache.set(token, caller, (payload.exp as number) * 1000, now());
      return caller;
    },
  };
}

/**
 * Tokens that verified, so a client's repeated calls skip the RS256 check (~80 µs, most of the
 * gateway's own cost). Keyed by the exact token string, so any altered token misses; an entry
 * lives `maxAgeMs` at most and never past the token's `exp`; the oldest go first when full.
 */
class VerifiedTokens {
  #entries = new Map<string, { caller: Caller; until: number }>();
  #maxAgeMs: number;
  #maxSize: number;

  constructor(maxAgeMs: number, maxSize: number) {
    this.#maxAgeMs = maxAgeMs;
    this.#maxSize = maxSize;
  }

  get(token: string, now: number): Caller | undefined {
    const entry = this.#entries.get(token);
    if (!entry) return undefined;
    if (now < entry.until) return entry.caller;
    this.#entries.delete(token);
    return undefined;
  }

  set(token: string, caller: Caller, expMs: number, now: number): void {
    if (this.#maxAgeMs <= 0) return;
    this.#entries.set(token, { caller, until: Math.min(expMs, now + this.#maxAgeMs) });
    if (this.#entries.size > this.#maxSize) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }
}

function isCanonical(token: string): boolean {
  return token.split(".").every((part) => Buffer.from(part, "base64url").toString("base64url") === part);
}

/** jose's JWKS failures: the network (TypeError), a timeout, a non-200 or non-JSON answer, a malformed set. */
function isKeyFetchFailure(err: unknown): boolean {
  if (!(err instanceof errors.JOSEError)) return true;
  return (
    err instanceof errors.JWKSTimeout ||
    err instanceof errors.JWKSInvalid ||
    err.constructor === errors.JOSEError
  );
}

function describe(err: unknown): string {
  if (err instanceof errors.JOSEError) return `${err.code}: ${err.message}`;
  return String(err);
}

function invalidToken(reason: string, cause?: unknown): HttpError {
  const description = reason.replace(/["\\\r\n]/g, "'");
  return new HttpError(403, "invalid_token", reason, {
    cause,
    exposeMessage: false,
    headers: { "WWW-Authenticate": `Bearer error="invalid_token", error_description="${description}"` },
  });
}

const BEARER = /^Bearer +(\S+) *$/i;

/** Requires a valid ID token on every route not marked public; sets `res.locals.caller`. */
export function jwtAuth(verifier: IdTokenVerifier): RequestHandler {
  return async (req, res, next) => {
    if (res.locals.route?.public) return next();
    const header = req.headers.authorization;
    const token = header ? BEARER.exec(header)?.[1] : undefined;
    if (!token)
      throw new HttpError(401, "missing_token", "send Authorization: Bearer <Cognito ID token>", {
        headers: { "WWW-Authenticate": 'Bearer realm="tinyllama"' },
      });
    res.locals.caller = await verifier.verify(token);
    next();
  };
}
