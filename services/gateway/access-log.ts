/**
 * One JSON access-log line per request, written when the response finishes (or the client goes
 * away): the fields of API Gateway's `$context` access log plus `origin`, which API Gateway
 * cannot log. Each line goes to stdout through the logger and to `sink` (the CloudWatch Logs
 * shipper) as exactly these fields.
 */
import type { Request, RequestHandler, Response } from "express";
import type { Logger } from "../lib/logger.ts";

export interface AccessLogLine {
  requestId: string;
  ip: string;
  /** Route key as in API Gateway (`POST /infer`, `GET /jobs/{id}`), or method and path when no route matched. */
  route: string;
  status: number;
  jwtSub: string | null;
  latencyMs: number;
  userAgent: string | null;
  origin: string | null;
}

export interface AccessLogOptions {
  logger: Logger;
  /** Receives each line as JSON, e.g. LogShipper.push. */
  sink?: (line: string, timestamp: number) => void;
  now?: () => number;
}

/** Paths of unknown routes are caller-chosen text: keep them short in the log. */
const MAX_PATH = 256;

export function accessLog({ logger, sink, now = Date.now }: AccessLogOptions): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const at = now();
    let written = false;
    const write = () => {
      if (written) return;
      written = true;
      const line = accessLogLine(req, res, Number(process.hrtime.bigint() - started) / 1e6);
      logger.info({ access: line }, "access");
      sink?.(JSON.stringify(line), at);
    };
    res.once("finish", write);
    res.once("close", write);
    next();
  };
}

export function accessLogLine(req: Request, res: Response, latencyMs: number): AccessLogLine {
  const route = res.locals.route?.key ?? `${req.method} ${req.path.slice(0, MAX_PATH)}`;
  return {
    requestId: res.locals.requestId ?? "-",
    ip: req.ip ?? req.socket.remoteAddress ?? "-",
    route,
    status: res.headersSent ? res.statusCode : 0,
    jwtSub: res.locals.caller?.sub ?? null,
    latencyMs: Math.round(latencyMs * 1000) / 1000,
    userAgent: req.headers["user-agent"] ?? null,
    origin: req.headers.origin ?? null,
  };
}
