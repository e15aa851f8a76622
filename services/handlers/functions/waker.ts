/**
 * Lambda `functions/waker.handler`: runs on the waker's schedule (config.handlers.waker) and, on
 * AWS, is invoked asynchronously after each enqueue. See ../waker.ts for what it does.
 */
import { handlerDeps } from "../aws.ts";
import { type LambdaContext, timeLeft } from "../lambda.ts";
import { type WakeOutcome, wake } from "../waker.ts";

const deps = handlerDeps("waker");

export async function handler(_event: unknown, context: LambdaContext): Promise<WakeOutcome> {
  const outcome = await wake(deps, { maxWaitMs: timeLeft(context, 0, 3000) });
  deps.logger[outcome.action === "none" ? "debug" : "info"](
    { requestId: context.awsRequestId, ...outcome },
    `waker: ${outcome.action}, ${outcome.reason}`,
  );
  return outcome;
}
