/**
 * The gateway's request pipeline, in order. Everything a request goes through is listed here:
 *
 *   1. request id      every request gets one (X-Request-Id)
 *   2. access log      one JSON line when the response finishes, so even refusals below are logged
 *   3. CORS            403 for a disallowed Origin, 204 for an allowed preflight
 *   4. route match     404 for unknown routes before any token work
 *   5. JWT             401 without a bearer, 403 for a bad ID token, 503 when keys can't be fetched
 *   6. throttle        429 per Cognito sub (sliding 1 s / 60 s windows)
 *   7. JSON body       415 / 413 / 400 for routes that take a body
 *   8. routes          the handlers (routes.ts)
 *   9. error handler   every error as JSON
 *
 * The access log sits before CORS, not after it, so that CORS refusals (the 403 of a disallowed
 * preflight, API-004's smoke test) are logged too.
 */
import { randomUUID } from "node:crypto";
import express, { type Express } from "express";
import type { Logger } from "../lib/logger.ts";
import { accessLog } from "./access-log.ts";
import { cors } from "./cors.ts";
import { errorHandler } from "./error-handler.ts";
import { jsonBody } from "./json-body.ts";
import { type IdTokenVerifier, jwtAuth } from "./jwt-auth.ts";
import { matchRoute } from "./match-route.ts";
import { requestId } from "./request-id.ts";
import { createRoutes, dispatch, type RouteDeps } from "./routes.ts";
import { throttle } from "./throttle.ts";
import type { ThrottleStore } from "./throttle-store.ts";

export interface AppDeps extends Omit<RouteDeps, "now" | "newId"> {
  logger: Logger;
  verifier: IdTokenVerifier;
  allowedOrigins: readonly string[];
  throttleStore: ThrottleStore;
  burstLimit: number;
  maxBodyBytes: number;
  /** Receives each access-log line (the CloudWatch Logs shipper). */
  accessLogSink?: (line: string, timestamp: number) => void;
  /** Called once per 429 (the ApiRateLimitBreaches metric). */
  onRateLimitBreach?: () => void;
  /** @defaultValue Date.now */
  now?: () => number;
  /** @defaultValue crypto.randomUUID */
  newId?: () => string;
}

export function createApp(deps: AppDeps): Express {
  const now = deps.now ?? Date.now;
  const newId = deps.newId ?? randomUUID;
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  app.use(requestId());
  app.use(
    accessLog({ logger: deps.logger, now, ...(deps.accessLogSink ? { sink: deps.accessLogSink } : {}) }),
  );
  app.use(cors(deps.allowedOrigins));
  app.use(matchRoute(createRoutes({ ...deps, now, newId })));
  app.use(jwtAuth(deps.verifier));
  app.use(
    throttle({
      store: deps.throttleStore,
      burstLimit: deps.burstLimit,
      now,
      ...(deps.onRateLimitBreach ? { onBreach: deps.onRateLimitBreach } : {}),
    }),
  );
  app.use(jsonBody(deps.maxBodyBytes));
  app.use(dispatch());
  app.use(errorHandler(deps.logger));
  return app;
}
