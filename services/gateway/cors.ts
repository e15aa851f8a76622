/**
 * CORS with a real refusal: a request whose `Origin` is not allowed gets 403, on the preflight
 * and on the request itself, so a disallowed page cannot even trigger side effects (the `cors`
 * package only omits headers and lets the handler run). Requests without `Origin` (curl, the CLI,
 * native apps) are not CORS requests and pass untouched.
 *
 * Allowed origins are patterns from config: `scheme://host`, `scheme://host:port`,
 * `scheme://host:*` (any port) and `scheme://*` (any host). Origins are parsed, not matched as
 * text, so `http://localhost.evil.com`, `http://localhost:80x` and `https://localhost` do not
 * pass `http://localhost:*`.
 */
import type { RequestHandler } from "express";
import { HttpError } from "./errors.ts";

export const ALLOWED_METHODS = ["POST", "GET", "OPTIONS"] as const;
export const ALLOWED_HEADERS = ["Authorization", "Content-Type"] as const;
/** Headers a browser script may read; Retry-After is not CORS-safelisted. */
export const EXPOSED_HEADERS = ["Retry-After", "X-Request-Id"] as const;
/** Seconds a browser may cache a preflight (Chromium caps at 7200). */
export const PREFLIGHT_MAX_AGE = 600;

export interface Origin {
  scheme: string;
  host: string;
  /** Absent when the origin names no port. */
  port?: number;
}

export interface OriginPattern {
  scheme: string;
  /** `*` for any host. */
  host: string;
  /** A number, `*` for any port, or absent for "no port". */
  port?: number | "*";
}

const ORIGIN = /^([a-z][a-z0-9+.-]*):\/\/([^/?#@:\s]+)(?::([1-9]\d{0,4}))?$/;
const PATTERN = /^([a-z][a-z0-9+.-]*):\/\/(?:(\*)|([^/?#@:*\s]+)(?::([1-9]\d{0,4}|\*))?)$/;

/** Parses a serialized origin as browsers send it; undefined for anything else (e.g. `null`). */
export function parseOrigin(text: string): Origin | undefined {
  const m = ORIGIN.exec(text);
  if (!m?.[1] || !m[2]) return undefined;
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && port > 65_535) return undefined;
  return port === undefined ? { scheme: m[1], host: m[2] } : { scheme: m[1], host: m[2], port };
}

export function parseOriginPattern(text: string): OriginPattern {
  const m = PATTERN.exec(text);
  if (!m?.[1]) throw new Error(`${text} is not an origin pattern: use scheme://host[:port|:*] or scheme://*`);
  if (m[2]) return { scheme: m[1], host: "*" };
  const host = m[3] as string;
  if (m[4] === undefined) return { scheme: m[1], host };
  return { scheme: m[1], host, port: m[4] === "*" ? "*" : Number(m[4]) };
}

export function originMatches(origin: Origin, pattern: OriginPattern): boolean {
  if (origin.scheme !== pattern.scheme) return false;
  if (pattern.host === "*") return true;
  if (origin.host !== pattern.host) return false;
  if (pattern.port === "*") return true;
  return origin.port === pattern.port;
}

export function isOriginAllowed(origin: string, patterns: readonly OriginPattern[]): boolean {
  const parsed = parseOrigin(origin);
  return parsed !== undefined && patterns.some((p) => originMatches(parsed, p));
}

export function cors(allowedOrigins: readonly string[]): RequestHandler {
  const patterns = allowedOrigins.map(parseOriginPattern);
  return (req, res, next) => {
    res.vary("Origin");
    const origin = req.headers.origin;
    if (origin === undefined) return next();
    if (!isOriginAllowed(origin, patterns))
      return next(new HttpError(403, "origin_not_allowed", `origin ${origin} may not call this API`));

    res.setHeader("Access-Control-Allow-Origin", origin);
    res.setHeader("Access-Control-Expose-Headers", EXPOSED_HEADERS.join(", "));
    const preflight = req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
    if (!preflight) return next();
    res.setHeader("Access-Control-Allow-Methods", ALLOWED_METHODS.join(", "));
    res.setHeader("Access-Control-Allow-Headers", ALLOWED_HEADERS.join(", "));
    res.setHeader("Access-Control-Max-Age", String(PREFLIGHT_MAX_AGE));
    res.status(204).end();
  };
}
