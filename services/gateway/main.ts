/**
 * `npm run gateway`: the API on config.ports.gateway (GATEWAY_PORT overrides).
 *
 * - COGNITO_ISSUER: the pool's issuer (on AWS `https://cognito-idp.<region>.amazonaws.com/<pool>`);
 *   default the mock Cognito of the embedded stack.
 * - COGNITO_JWKS_URL: where the keys are fetched when that is another host than the issuer names
 *   (a container); default `<issuer>/.well-known/jwks.json`.
 * - AWS_ENDPOINT_URL: as for every service (unset on AWS).
 *
 * After each enqueue it runs the waker (services/handlers/waker.ts) in the background, so a
 * stopped GPU instance boots without waiting for the waker's schedule; on AWS the same hook is an
 * asynchronous invoke of the waker Lambda.
 *
 * SIGINT/SIGTERM (or the launcher going away) stop it after flushing access logs and metrics.
 */
import { handlerDeps } from "../handlers/aws.ts";
import { wakeOnEnqueue } from "../handlers/waker.ts";
import { loadConfig } from "../lib/config.ts";
import { LogGroupMissingError } from "../lib/log-shipper.ts";
import { createLogger } from "../lib/logger.ts";
import { stopWithLauncher } from "../lib/process-lifecycle.ts";
import { startGateway } from "./server.ts";

const log = createLogger("gateway");
const config = loadConfig();
const issuer =
  process.env.COGNITO_ISSUER || `http://127.0.0.1:${config.ports.cognito}/${config.cognito.userPoolId}`;
const wakeGpu = wakeOnEnqueue(handlerDeps("waker", { config, logger: log }), {
  maxWaitMs: config.handlers.waker.timeoutSeconds * 1000 - 3000,
});

// Started by the launcher (make dev): stop with it, even when it is killed outright, also while
// this process is still starting (until the gateway exists there is nothing to flush).
let stop = (signal: string): void => {
  log.info({ signal }, "stopping before the gateway started");
  process.exit(0);
};
stopWithLauncher((reason) => stop(reason));
process.once("SIGINT", () => stop("SIGINT"));
process.once("SIGTERM", () => stop("SIGTERM"));

try {
  const gateway = await startGateway({
    config,
    issuer,
    ...(process.env.COGNITO_JWKS_URL ? { jwksUrl: process.env.COGNITO_JWKS_URL } : {}),
    port: Number(process.env.GATEWAY_PORT || config.ports.gateway),
    logger: log,
    onEnqueue: async (job) => {
      const woke = await wakeGpu();
      log.info({ jobId: job.jobId, waker: woke }, `waker after enqueue: ${woke.action}, ${woke.reason}`);
    },
  });
  stop = (signal: string) => {
    log.info({ signal }, "stopping: flushing access logs and metrics");
    void gateway.close().then(() => process.exit(0));
  };
} catch (err) {
  log.fatal(
    { err },
    err instanceof LogGroupMissingError
      ? err.message
      : `the gateway did not start: ${(err as Error).message}`,
  );
  process.exit(1);
}
