/**
 * Gives every request an id (a UUID, like API Gateway's `$context.requestId`), stored in
 * `res.locals.requestId` for the access log and sent back as `X-Request-Id`. A client-sent id is
 * not trusted: ids must be unique to find one request's line in the logs.
 */
import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";

export const REQUEST_ID_HEADER = "X-Request-Id";

export function requestId(newId: () => string = randomUUID): RequestHandler {
  return (_req, res, next) => {
    const id = newId();
    res.locals.requestId = id;
    res.setHeader(REQUEST_ID_HEADER, id);
    next();
  };
}
