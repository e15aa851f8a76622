/** SQS: JSON 1.0 (query-compatible, what current SDKs send) and the query protocol. */
import type { EmulatedService, ServiceDeps } from "../core/emulated-service.ts";
import type { RpcService } from "../core/service.ts";
import { sendMessage } from "./messages.ts";
import { createStats, publishQueueMetrics } from "./metrics.ts";
import { counts, createModel, getQueue } from "./model.ts";
import { createMoveTasks } from "./move-tasks.ts";
import { sqsOperations } from "./operations.ts";
import { sqsQuery } from "./query.ts";
import { type Change, emptyState, apply as reduce, restore, snapshot } from "./state.ts";
import { createWaiters } from "./waiters.ts";

export function createSqs(deps: ServiceDeps): EmulatedService {
  const state = emptyState();
  const waiters = createWaiters();
  const stats = createStats();
  const model = createModel(state, deps.clock, waiters, stats, deps.record);
  const tasks = createMoveTasks(model);
  const metricsTimer = setInterval(
    () => publishQueueMetrics(model, stats, deps.ports),
    deps.settings.sqsMetricsIntervalMs,
  );
  metricsTimer.unref();

  const rpc: RpcService = {
    name: "sqs",
    signingName: "sqs",
    json: {
      targetPrefix: "AmazonSQS",
      version: "1.0",
      namespace: "com.amazonaws.sqs",
      queryCompatible: true,
    },
    query: sqsQuery,
    operations: sqsOperations(model, tasks),
  };

  return {
    name: "sqs",
    rpc,
    persistence: {
      snapshot: () => snapshot(state),
      restore: (data) => {
        restore(state, data);
        tasks.resume();
      },
      apply: (change) => {
        reduce(state, change as Change);
        tasks.resume();
      },
    },
    health() {
      let messages = 0;
      for (const q of state.queues.values()) {
        const c = counts(model, q);
        messages += c.visible + c.notVisible + c.delayed;
      }
      return { queues: state.queues.size, messages };
    },
    provides: {
      // SNS delivery to a subscribed queue: a send like any other, owned by this account.
      sendToQueue(queueArn, delivery) {
        sendMessage(
          model,
          getQueue(model, queueArn),
          {
            MessageBody: delivery.body,
            ...(delivery.attributes && { MessageAttributes: delivery.attributes }),
            ...(delivery.groupId !== undefined && { MessageGroupId: delivery.groupId }),
            ...(delivery.dedupId !== undefined && { MessageDeduplicationId: delivery.dedupId }),
          },
          deps.accountId,
        );
      },
    },
    close() {
      clearInterval(metricsTimer);
      waiters.close();
      tasks.close();
    },
  };
}
