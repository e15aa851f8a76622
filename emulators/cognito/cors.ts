/**
 * CORS for browser clients (the web console's PKCE exchange, InitiateAuth from a page): any
 * origin, no credentials, the headers the AWS SDK and OAuth clients send. Written by hand: a dozen
 * lines, not worth the `cors` package.
 */
import type { NextFunction, Request, Response } from "express";

const ALLOWED_HEADERS = [
  "authorization",
  "content-type",
  "x-amz-target",
  "x-amz-user-agent",
  "x-amz-date",
  "x-amz-security-token",
  "amz-sdk-invocation-id",
  "amz-sdk-request",
  "cache-control",
].join(", ");

export function cors(req: Request, res: Response, next: NextFunction) {
  if (!req.get("origin")) return next();
  res.set({
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "x-amzn-RequestId, x-amzn-ErrorType",
  });
  if (req.method !== "OPTIONS") return next();
  res
    .set({
      "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
      "Access-Control-Allow-Headers": ALLOWED_HEADERS,
      "Access-Control-Max-Age": "600",
    })
    .status(204)
    .end();
}
