/**
 * The Lambda shapes the handlers use, written out here instead of depending on @types/aws-lambda
 * for four interfaces: the invocation context, the EventBridge scheduled event, and the handler
 * signature. Only the fields the handlers and the local harness use are listed; on AWS the real
 * objects carry more.
 */

/** What AWS Lambda passes as the second argument (the parts our handlers read). */
export interface LambdaContext {
  awsRequestId: string;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
  /** Milliseconds left before the Lambda timeout ends the invocation. */
  getRemainingTimeInMillis(): number;
}

/** An EventBridge schedule's event (`rate(...)` or `cron(...)` rule). */
export interface ScheduledEvent {
  version: "0";
  id: string;
  "detail-type": "Scheduled Event";
  source: "aws.events";
  account: string;
  /** ISO time the schedule fired. */
  time: string;
  region: string;
  /** The rule's ARN. */
  resources: string[];
  detail: Record<string, never>;
}

export type Handler<E = unknown, R = unknown> = (event: E, context: LambdaContext) => Promise<R>;

/**
 * The time a handler may still spend waiting, leaving `marginMs` to finish and report. Without a
 * context (a direct call, e.g. the gateway's wake after an enqueue) `fallbackMs` applies.
 */
export function timeLeft(context: LambdaContext | undefined, fallbackMs: number, marginMs = 2000): number {
  const left = context ? context.getRemainingTimeInMillis() : fallbackMs;
  return Math.max(0, left - marginMs);
}
