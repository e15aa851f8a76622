/**
 * Reads the JSON body of routes that take one: another media type gets 415, more than `limit`
 * bytes 413, unparsable JSON 400 (those two from express.json, mapped in error-handler.ts).
 */
import express, { type RequestHandler } from "express";
import { HttpError } from "./errors.ts";

export function jsonBody(limitBytes: number): RequestHandler {
  const parse = express.json({ limit: limitBytes, strict: true, type: () => true });
  return (req, res, next) => {
    if (!res.locals.route?.jsonBody) return next();
    if (!req.is("application/json"))
      return next(
        new HttpError(
          415,
          "unsupported_media_type",
          "send the body as JSON with Content-Type: application/json",
        ),
      );
    parse(req, res, next);
  };
}
