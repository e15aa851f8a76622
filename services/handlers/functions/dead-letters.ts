/**
 * Lambda `functions/dead-letters.handler`: runs on a schedule (config.handlers.deadLetters), not
 * from an event-source mapping, because the messages must stay in the DLQ. See ../dead-letters.ts.
 */
import { handlerDeps } from "../aws.ts";
import { type MarkOutcome, markDeadLetters } from "../dead-letters.ts";
import type { LambdaContext } from "../lambda.ts";

const deps = handlerDeps("dead-letters");

export async function handler(_event: unknown, context: LambdaContext): Promise<MarkOutcome> {
  // The messages stay hidden from other readers only while this invocation can still run.
  const visibilitySeconds = Math.max(5, Math.ceil(context.getRemainingTimeInMillis() / 1000));
  const outcome = await markDeadLetters(deps, { visibilitySeconds });
  deps.logger[outcome.marked.length === 0 ? "debug" : "info"](
    { requestId: context.awsRequestId, ...outcome, marked: outcome.marked.length, jobIds: outcome.marked },
    `dead letters: ${outcome.seen} in the DLQ, ${outcome.marked.length} newly marked`,
  );
  return outcome;
}
