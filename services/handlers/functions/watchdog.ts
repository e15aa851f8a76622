/**
 * Lambda `functions/watchdog.handler`: runs on the watchdog's schedule (config.handlers.watchdog).
 * IDLE_STOP_SECONDS (an environment variable of the function) overrides config.gpu.idleStopSeconds,
 * e.g. a few seconds for a demo. See ../watchdog.ts for what it does.
 */
import { handlerDeps } from "../aws.ts";
import type { LambdaContext } from "../lambda.ts";
import { type WatchOutcome, watch } from "../watchdog.ts";

const deps = handlerDeps("watchdog");
const idleStopSeconds = idleOverride(process.env.IDLE_STOP_SECONDS);

export async function handler(_event: unknown, context: LambdaContext): Promise<WatchOutcome> {
  const outcome = await watch(deps, idleStopSeconds === undefined ? {} : { idleStopSeconds });
  deps.logger[outcome.action === "none" ? "debug" : "info"](
    { requestId: context.awsRequestId, ...outcome },
    `watchdog: ${outcome.action}, ${outcome.reason}`,
  );
  return outcome;
}

function idleOverride(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`IDLE_STOP_SECONDS=${raw} must be a positive number of seconds`);
  return value;
}
