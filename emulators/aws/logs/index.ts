/** CloudWatch Logs: AWS JSON 1.1 (`x-amz-target: Logs_20140328.<Action>`). */
import type { EmulatedService, ServiceDeps } from "../core/emulated-service.ts";
import type { MetricDatum, Where } from "../core/ports.ts";
import type { RpcService } from "../core/service.ts";
import { PUBLISHED_METRICS_KEPT, RETENTION_SWEEP_MS } from "./limits.ts";
import { createModel, storedBytes, sweep } from "./model.ts";
import { logsOperations } from "./operations.ts";
import { type Change, emptyState, apply as reduce, restore, snapshot } from "./state.ts";

export interface PublishedMetric {
  where: Where;
  namespace: string;
  datum: MetricDatum;
}

export function createLogs(deps: ServiceDeps): EmulatedService {
  const state = emptyState();
  // What metric filters published, newest last: served at GET /_emulator/logs/metric-data so
  // tests can see metric filters work whether or not CloudWatch is running.
  const published: PublishedMetric[] = [];
  const model = createModel(state, deps.clock, deps.record, (where, namespace, datum) => {
    published.push({ where, namespace, datum });
    if (published.length > PUBLISHED_METRICS_KEPT) published.shift();
    deps.ports.putMetricData(where, namespace, [datum]);
  });
  const sweepTimer = setInterval(() => sweep(model), RETENTION_SWEEP_MS);
  sweepTimer.unref();

  const rpc: RpcService = {
    name: "logs",
    signingName: "logs",
    json: {
      targetPrefix: "Logs_20140328",
      version: "1.1",
      namespace: "com.amazonaws.cloudwatchlogs",
      queryCompatible: false,
    },
    operations: logsOperations(model),
  };

  return {
    name: "logs",
    rpc,
    persistence: {
      snapshot: () => snapshot(state),
      restore: (data) => restore(state, data),
      apply: (change) => reduce(state, change as Change),
    },
    health() {
      let streams = 0;
      let bytes = 0;
      for (const g of state.groups.values()) {
        streams += g.streams.size;
        bytes += storedBytes(g);
      }
      return { logGroups: state.groups.size, logStreams: streams, storedBytes: bytes };
    },
    control(req) {
      if (req.path !== "/_emulator/logs/metric-data") return undefined;
      if (req.method === "DELETE") published.length = 0;
      else if (req.method !== "GET") return undefined;
      return {
        status: 200,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ published }),
      };
    },
    close() {
      clearInterval(sweepTimer);
    },
  };
}
