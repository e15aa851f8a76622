/**
 * The EC2 model's core: state, injected clock and ids, the commit that applies and journals each
 * change, and the settling of in-between states. Timers only wake `settle`; `settle` compares the
 * recorded deadlines with the clock, so a late timer, a restart, or a test's clock all give the
 * same answer. It knows no HTTP: instances.ts and tags.ts hold the rules per resource.
 */
import { randomBytes } from "node:crypto";
import type { Clock } from "../core/context.ts";
import type { EmulatorSettings } from "../core/emulated-service.ts";
import { SETTLES } from "./instance-states.ts";
import { TERMINATED_VISIBLE_MS } from "./limits.ts";
import { apply, type Change, type Ec2State, type InstanceRecord } from "./state.ts";

export interface Ids {
  instance(): string;
  reservation(): string;
  privateIp(): string;
}

/** `i-` and `r-` plus 17 hex digits, as EC2 makes them since 2016. */
export const randomIds: Ids = {
  instance: () => `i-${randomBytes(9).toString("hex").slice(0, 17)}`,
  reservation: () => `r-${randomBytes(9).toString("hex").slice(0, 17)}`,
  privateIp: () => {
    const [a = 0, b = 0] = randomBytes(2);
    return `10.0.${a}.${Math.max(b, 4)}`;
  },
};

export interface Model {
  state: Ec2State;
  clock: Clock;
  ids: Ids;
  durations: EmulatorSettings["ec2"];
  region: string;
  accountId: string;
  /** Applies a change, journals it, and re-arms the timer. */
  commit(change: Change): void;
  /** Brings every in-between state whose deadline has passed to where it settles. */
  settle(): void;
  /** Re-arms the timer for the next deadline (after a restore or replay). */
  reschedule(): void;
  close(): void;
}

export interface ModelDeps {
  clock: Clock;
  ids: Ids;
  durations: EmulatorSettings["ec2"];
  region: string;
  accountId: string;
  record(change: Change): void;
}

export function createModel(state: Ec2State, deps: ModelDeps): Model {
  let timer: NodeJS.Timeout | undefined;
  let armQueued = false;
  let closed = false;

  const deadline = (i: InstanceRecord): number | undefined =>
    i.settlesAt ?? (i.terminatedAt !== undefined ? i.terminatedAt + TERMINATED_VISIBLE_MS : undefined);

  const model: Model = {
    state,
    clock: deps.clock,
    ids: deps.ids,
    durations: deps.durations,
    region: deps.region,
    accountId: deps.accountId,
    commit(change) {
      apply(state, change);
      deps.record(change);
      if (!armQueued) {
        armQueued = true;
        queueMicrotask(() => {
          armQueued = false;
          model.reschedule();
        });
      }
    },
    settle() {
      const now = deps.clock.now();
      for (const i of [...state.instances.values()]) {
        const rule = SETTLES[i.state];
        if (rule && i.settlesAt !== undefined && i.settlesAt <= now) {
          model.commit({ t: "instance", i: settled(i, rule.to, i.settlesAt) });
        } else if (i.terminatedAt !== undefined && i.terminatedAt + TERMINATED_VISIBLE_MS <= now) {
          model.commit({ t: "forgotten", id: i.id });
        }
      }
    },
    reschedule() {
      if (closed) return;
      if (timer) clearTimeout(timer);
      timer = undefined;
      let next = Number.POSITIVE_INFINITY;
      for (const i of state.instances.values()) next = Math.min(next, deadline(i) ?? next);
      if (next === Number.POSITIVE_INFINITY) return;
      timer = setTimeout(
        () => {
          timer = undefined;
          model.settle();
          model.reschedule();
        },
        Math.max(0, next - deps.clock.now()),
      );
      timer.unref();
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
  return model;
}

function settled(i: InstanceRecord, to: InstanceRecord["state"], at: number): InstanceRecord {
  const { settlesAt: _s, stateReason, ...rest } = i;
  if (to === "running") return { ...rest, state: to };
  if (to === "terminated")
    return { ...rest, state: to, terminatedAt: at, ...(stateReason && { stateReason }) };
  return { ...rest, state: to, ...(stateReason && { stateReason }) };
}
