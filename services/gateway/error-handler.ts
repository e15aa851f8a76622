/**
 * The last middleware: writes HttpError as its status and JSON body, maps body-parser failures
 * (413, 400, 415) to the same shape, and turns anything else into a logged 500 that shows no
 * internals.
 */
import type { ErrorRequestHandler } from "express";
import type { Logger } from "../lib/logger.ts";
import { HttpError } from "./errors.ts";

/** body-parser's error `type`s (express.json). */
const BODY_ERRORS: Record<string, (err: Error) => HttpError> = {
  "entity.too.large": (err) =>
    new HttpError(
      413,
      "payload_too_large",
      `the body may be at most ${(err as { limit?: number }).limit} bytes`,
    ),
  "entity.parse.failed": (err) =>
    new HttpError(400, "bad_request", `the body is not valid JSON: ${err.message}`),
  "encoding.unsupported": (err) => new HttpError(415, "unsupported_media_type", err.message),
  "charset.unsupported": (err) => new HttpError(415, "unsupported_media_type", err.message),
  "request.aborted": () => new HttpError(400, "bad_request", "the request body was cut off"),
  "request.size.invalid": () => new HttpError(400, "bad_request", "the body is shorter than Content-Length"),
};

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (res.headersSent) return next(err);
    const type = (err as { type?: unknown } | null)?.type;
    const mapped = typeof type === "string" ? BODY_ERRORS[type] : undefined;
    const http = err instanceof HttpError ? err : mapped ? mapped(err as Error) : undefined;
    const requestId = res.locals.requestId;
    if (!http) {
      logger.error({ err, requestId }, "unhandled error");
      res
        .status(500)
        .json({ error: "internal_error", message: `something failed; quote request id ${requestId}` });
      return;
    }
    if (http.status >= 500) logger.error({ err: http, requestId }, http.message);
    else if (http.status === 403) logger.info({ requestId, reason: http.message }, `refused: ${http.code}`);
    res.status(http.status).set(http.headers).json(http.body());
  };
}
