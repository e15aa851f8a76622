/**
 * The mock Cognito: one HTTP origin serving both of Cognito's hosts (the hosted-UI domain with
 * `/oauth2/*`, `/login`, `/logout`, `/error`; and cognito-idp with `/<pool>/.well-known/*` and
 * the JSON API on `POST /`). Built on express 5 + jose.
 *
 *   const cognito = await createCognito({ host: "127.0.0.1", port: 0, config });
 *   cognito.issuer  // http://127.0.0.1:<port>/us-east-1_TinyLlama
 *
 * The issuer is `<publicUrl>/<userPoolId>`; publicUrl defaults to the URL it listens on.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import express, { type NextFunction, type Request, type Response } from "express";
import type { PlatformConfig } from "../../services/lib/config.ts";
import { createLogger, type Logger } from "../../services/lib/logger.ts";
import { type Clock, systemClock } from "./clock.ts";
import { createCodeStore } from "./codes.ts";
import { cors } from "./cors.ts";
import { discoveryRoutes } from "./discovery.ts";
import { hostedUiRoutes } from "./hosted-ui.ts";
import { idpApiRoutes } from "./idp-api.ts";
import { loadKeys } from "./keys.ts";
import { oauthRoutes } from "./oauth.ts";
import { createPool } from "./pool.ts";
import { createTokenService } from "./tokens.ts";

export interface CognitoOptions {
  /** @defaultvalue "127.0.0.1" */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  config: Pick<PlatformConfig, "cognito" | "users">;
  /** Keeps the signing keys here (`keys.json`); in memory when absent. */
  dataDir?: string | undefined;
  /** @defaultvalue the system clock */
  clock?: Clock;
  /** @defaultvalue a silent logger */
  logger?: Logger;
  /** Base of the issuer, e.g. http://127.0.0.1:9229 when listening on 0.0.0.0 in a container. @defaultvalue the listening URL */
  publicUrl?: string | undefined;
}

export interface Cognito {
  /** Where it listens, e.g. http://127.0.0.1:9229. */
  url: string;
  /** The `iss` of every token: `<publicUrl>/<userPoolId>`. */
  issuer: string;
  close(): Promise<void>;
}

export async function createCognito(options: CognitoOptions): Promise<Cognito> {
  const host = options.host ?? "127.0.0.1";
  const clock = options.clock ?? systemClock;
  const log = options.logger ?? createLogger("cognito", { level: "silent" });
  const pool = createPool(options.config);
  const { keys, created, file } = await loadKeys(options.dataDir);
  if (file) log.info({ file }, created ? "made new signing keys" : "loaded the signing keys");

  const server = http.createServer();
  server.listen(options.port, host);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  const shownHost =
    host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}`;
  const ownUrl = (options.publicUrl ?? url).replace(/\/+$/, "");
  const issuer = `${ownUrl}/${pool.id}`;

  const tokens = createTokenService({ keys, pool, issuer, clock });
  const codes = createCodeStore(clock);
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use(accessLog(log));
  app.use(cors);
  app.use(discoveryRoutes({ pool, keys, issuer, ownUrl }));
  app.use(hostedUiRoutes({ pool, tokens, codes, log }));
  app.use(oauthRoutes({ pool, tokens, codes, log }));
  app.use(idpApiRoutes({ pool, tokens, log }));
  app.use((req, res) => {
    res.status(404).json({
      error: "not_found",
      error_description: `${req.method} ${req.path} is not an endpoint of the mock Cognito: see docs/cognito.md`,
    });
  });
  app.use(
    (err: Error & { status?: number; type?: string }, req: Request, res: Response, _next: NextFunction) => {
      // body-parser errors (too large, bad encoding) carry their own 4xx status.
      const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
      if (status === 500) log.error({ err, path: req.path }, "request failed");
      res
        .status(status)
        .json({ error: status === 500 ? "server_error" : "invalid_request", error_description: err.message });
    },
  );
  server.on("request", app);
  log.info({ url, issuer }, "mock Cognito listening");

  return {
    url,
    issuer,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function accessLog(log: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log.debug(
        { method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms * 10) / 10 },
        "request",
      );
    });
    next();
  };
}
