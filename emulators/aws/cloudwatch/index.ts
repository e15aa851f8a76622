/**
 * CloudWatch: metrics, metric alarms (evaluated on a scheduler, actions to SNS through the
 * `publish` port) and dashboards, over AWS JSON 1.0 (query-compatible, what current SDKs send)
 * and the query protocol. Provides the `putMetricData` port other services publish into.
 * Control route: `POST /_emulator/cloudwatch/evaluate` evaluates every alarm at once.
 */
import type { EmulatedService, ServiceDeps } from "../core/emulated-service.ts";
import type { HttpRequest, HttpResponse, RpcService } from "../core/service.ts";
import { keyOf } from "./alarms.ts";
import { putMetricData } from "./metrics.ts";
import { createModel } from "./model.ts";
import { cloudWatchOperations } from "./operations.ts";
import { cloudWatchQuery } from "./query.ts";
import { createScheduler } from "./scheduler.ts";
import { type Change, emptyState, apply as reduce, restore, snapshot } from "./state.ts";

export function createCloudWatch(deps: ServiceDeps): EmulatedService {
  const state = emptyState();
  const model = createModel(state, deps.clock, deps.ports, (change) => deps.record(change));
  const scheduler = createScheduler(model, () => {});

  const rpc: RpcService = {
    name: "cloudwatch",
    signingName: "monitoring",
    json: {
      targetPrefix: "GraniteServiceVersion20100801",
      version: "1.0",
      namespace: "com.amazonaws.cloudwatch",
      queryCompatible: true,
    },
    query: cloudWatchQuery,
    operations: cloudWatchOperations(model, () => scheduler.sync()),
  };

  const json = (status: number, body: unknown): HttpResponse => ({
    status,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

  return {
    name: "cloudwatch",
    rpc,
    persistence: {
      snapshot: () => snapshot(state),
      restore: (data) => {
        restore(state, data);
        scheduler.sync();
      },
      apply: (change) => {
        reduce(state, change as Change);
        scheduler.sync();
      },
    },
    health() {
      let metrics = 0;
      let alarms = 0;
      let dashboards = 0;
      for (const s of state.stores.values()) {
        metrics += s.metrics.size;
        alarms += s.alarms.size;
        dashboards += s.dashboards.size;
      }
      return { metrics, alarms, dashboards };
    },
    control(req: HttpRequest) {
      if (req.path === "/_emulator/cloudwatch/evaluate" && req.method === "POST") {
        return json(200, { alarms: scheduler.evaluateAll() });
      }
      return undefined;
    },
    provides: {
      // Metrics of other emulated services (AWS/SQS...): validated like a client's, but the
      // reserved AWS/ namespaces are theirs to use.
      putMetricData(where, namespace, data) {
        putMetricData(
          model,
          keyOf(where),
          namespace,
          data.map((d) => ({ ...d, ...(d.Timestamp !== undefined && { Timestamp: d.Timestamp / 1000 }) })),
          true,
        );
      },
    },
    close() {
      scheduler.close();
    },
  };
}
