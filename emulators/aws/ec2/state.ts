/**
 * EC2 state and the one reducer that changes it. Every change the model makes (a launch, each
 * state change including those the timers make, a modified attribute, a tag set) is a `Change`
 * applied here and journaled, so a restart rebuilds what clients were told, and transitions that
 * were under way finish from their recorded deadlines.
 */
import type { StateName } from "./instance-states.ts";

export interface InstanceRecord {
  id: string;
  reservationId: string;
  ownerId: string;
  availabilityZone: string;
  imageId: string;
  instanceType: string;
  /** base64, as RunInstances and ModifyInstanceAttribute carry it. */
  userData?: string;
  launchIndex: number;
  clientToken?: string;
  keyName?: string;
  privateIp: string;
  state: StateName;
  /** When the current in-between state settles (epoch ms). */
  settlesAt?: number;
  /** LaunchTime: the last launch or start. */
  launchedAt: number;
  /** Until then DescribeInstanceStatus says `initializing` (boot, reboot). */
  statusOkAt: number;
  transitionReason: string;
  stateReason?: { Code: string; Message: string };
  disableApiTermination: boolean;
  disableApiStop: boolean;
  shutdownBehavior: "stop" | "terminate";
  /** Set when terminated: the instance is forgotten some time later. */
  terminatedAt?: number;
}

export interface Ec2State {
  instances: Map<string, InstanceRecord>;
  /** Tags by resource id, in the order they were first set. */
  tags: Map<string, Map<string, string>>;
}

export type Change =
  | { t: "instance"; i: InstanceRecord }
  | { t: "forgotten"; id: string }
  /** The resource's whole tag set after the change; empty removes it. */
  | { t: "tags"; id: string; tags: Array<[string, string]> };

export function emptyState(): Ec2State {
  return { instances: new Map(), tags: new Map() };
}

export function apply(state: Ec2State, change: Change): void {
  switch (change.t) {
    case "instance":
      state.instances.set(change.i.id, { ...change.i });
      return;
    case "forgotten":
      state.instances.delete(change.id);
      state.tags.delete(change.id);
      return;
    case "tags":
      if (change.tags.length === 0) state.tags.delete(change.id);
      else state.tags.set(change.id, new Map(change.tags));
      return;
  }
}

export function snapshot(state: Ec2State): unknown {
  return {
    instances: [...state.instances.values()],
    tags: [...state.tags.entries()].map(([id, tags]) => [id, [...tags.entries()]]),
  };
}

export function restore(state: Ec2State, data: unknown): void {
  const saved = data as { instances?: InstanceRecord[]; tags?: Array<[string, Array<[string, string]>]> };
  state.instances.clear();
  state.tags.clear();
  for (const i of saved.instances ?? []) state.instances.set(i.id, i);
  for (const [id, tags] of saved.tags ?? []) state.tags.set(id, new Map(tags));
}
