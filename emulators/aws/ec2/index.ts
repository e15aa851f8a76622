/**
 * EC2: instances and tags over the EC2 query protocol (what @aws-sdk/client-ec2 and the AWS CLI
 * send). Instances move through their lifecycle on timers with the durations in
 * `settings.ec2`; every change is journaled, so a restart resumes transitions under way.
 */
import type { EmulatedService, ServiceDeps } from "../core/emulated-service.ts";
import type { RpcService } from "../core/service.ts";
import { createModel, type Ids, randomIds } from "./model.ts";
import { ec2Operations } from "./operations.ts";
import { ec2Query } from "./query.ts";
import { type Change, emptyState, apply as reduce, restore, snapshot } from "./state.ts";

export function createEc2(deps: ServiceDeps, ids: Ids = randomIds): EmulatedService {
  const state = emptyState();
  const model = createModel(state, {
    clock: deps.clock,
    ids,
    durations: deps.settings.ec2,
    region: deps.region,
    accountId: deps.accountId,
    record: deps.record,
  });

  const rpc: RpcService = {
    name: "ec2",
    signingName: "ec2",
    query: ec2Query,
    operations: ec2Operations(model),
  };

  return {
    name: "ec2",
    rpc,
    persistence: {
      snapshot: () => snapshot(state),
      restore: (data) => {
        restore(state, data);
        model.reschedule();
      },
      apply: (change) => {
        reduce(state, change as Change);
        model.reschedule();
      },
    },
    health() {
      const byState: Record<string, number> = {};
      for (const i of state.instances.values()) byState[i.state] = (byState[i.state] ?? 0) + 1;
      return { instances: state.instances.size, byState };
    },
    close() {
      model.close();
    },
  };
}
