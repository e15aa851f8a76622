/**
 * Instance rules: launch, the four state-changing requests (driven by the REQUESTS table),
 * attributes, lookups, and the SDK-shaped views DescribeInstances and DescribeInstanceStatus
 * answer with. Every change is a whole-record `instance` change through `m.commit`.
 */
import type { Instance, InstanceStateChange, InstanceStatus } from "@aws-sdk/client-ec2";
import { ec2Errors } from "./errors.ts";
import {
  type Outcome,
  REQUEST_VERB,
  REQUESTS,
  type Request,
  SETTLES,
  type StateName,
  stateOf,
} from "./instance-states.ts";
import { isInstanceType } from "./instance-types.ts";
import { MAX_USER_DATA_BYTES } from "./limits.ts";
import type { Model } from "./model.ts";
import type { InstanceRecord } from "./state.ts";

const INSTANCE_ID = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;

export function checkInstanceId(id: string): void {
  if (!INSTANCE_ID.test(id)) throw ec2Errors.instanceIdMalformed(id);
}

/** The instances named, in the order named; malformed ids first, then all missing ones at once. */
export function getInstances(m: Model, ids: string[]): InstanceRecord[] {
  for (const id of ids) checkInstanceId(id);
  const missing = ids.filter((id) => !m.state.instances.has(id));
  if (missing.length > 0) throw ec2Errors.instanceNotFound([...new Set(missing)]);
  return [...new Set(ids)].map((id) => m.state.instances.get(id) as InstanceRecord);
}

export function checkInstanceType(type: string): void {
  if (!isInstanceType(type)) throw ec2Errors.invalidInstanceType(type);
}

export function checkUserData(base64: string, parameter: string): void {
  const raw = Buffer.from(base64, "base64");
  if (raw.toString("base64").replace(/=+$/, "") !== base64.replace(/\s/g, "").replace(/=+$/, ""))
    throw ec2Errors.invalidValue(`Invalid BASE64 encoding of user data (${parameter}).`);
  if (raw.length > MAX_USER_DATA_BYTES)
    throw ec2Errors.invalidValue(`User data is limited to ${MAX_USER_DATA_BYTES} bytes.`);
}

/** `User initiated (2026-11-27 10:00:00 GMT)`, as EC2 writes StateTransitionReason. */
export function userInitiated(at: number): string {
  return `User initiated (${new Date(at).toISOString().slice(0, 19).replace("T", " ")} GMT)`;
}

const USER_SHUTDOWN = {
  Code: "Client.UserInitiatedShutdown",
  Message: "Client.UserInitiatedShutdown: User initiated shutdown",
};

export interface Launch {
  imageId: string;
  instanceType: string;
  count: number;
  userData?: string;
  clientToken?: string;
  keyName?: string;
  disableApiTermination?: boolean;
  disableApiStop?: boolean;
  shutdownBehavior?: "stop" | "terminate";
}

export function runInstances(m: Model, launch: Launch): InstanceRecord[] {
  if (launch.clientToken) {
    const earlier = [...m.state.instances.values()].filter((i) => i.clientToken === launch.clientToken);
    if (earlier.length > 0) return earlier;
  }
  const now = m.clock.now();
  const reservationId = m.ids.reservation();
  const settlesAt = now + m.durations.pendingMs;
  const launched: InstanceRecord[] = [];
  for (let n = 0; n < launch.count; n++) {
    const record: InstanceRecord = {
      id: m.ids.instance(),
      reservationId,
      ownerId: m.accountId,
      availabilityZone: `${m.region}a`,
      imageId: launch.imageId,
      instanceType: launch.instanceType,
      ...(launch.userData !== undefined && { userData: launch.userData }),
      launchIndex: n,
      ...(launch.clientToken !== undefined && { clientToken: launch.clientToken }),
      ...(launch.keyName !== undefined && { keyName: launch.keyName }),
      privateIp: m.ids.privateIp(),
      state: "pending",
      settlesAt,
      launchedAt: now,
      statusOkAt: settlesAt + m.durations.pendingMs,
      transitionReason: "",
      stateReason: { Code: "pending", Message: "pending" },
      disableApiTermination: launch.disableApiTermination ?? false,
      disableApiStop: launch.disableApiStop ?? false,
      shutdownBehavior: launch.shutdownBehavior ?? "stop",
    };
    m.commit({ t: "instance", i: record });
    launched.push(record);
  }
  return launched;
}

/** Start, stop, reboot or terminate: all instances are checked before any changes. */
export function changeStates(m: Model, ids: string[], request: Request): InstanceStateChange[] {
  const instances = getInstances(m, ids);
  const plans = instances.map((i) => {
    const outcome: Outcome = REQUESTS[request][i.state];
    if (outcome === "refuse") throw ec2Errors.notInStateFor(i.id, REQUEST_VERB[request]);
    if (outcome === "never-ran") throw ec2Errors.neverRunning(i.id);
    if (request === "terminate" && outcome !== "keep" && i.disableApiTermination)
      throw ec2Errors.operationNotPermitted(i.id, "terminated", "disableApiTermination");
    if (request === "stop" && outcome !== "keep" && i.disableApiStop)
      throw ec2Errors.operationNotPermitted(i.id, "stopped", "disableApiStop");
    return { i, outcome };
  });
  const now = m.clock.now();
  return plans.map(({ i, outcome }) => {
    const previous = i.state;
    if (outcome !== "keep") m.commit({ t: "instance", i: enter(m, i, outcome, now) });
    else if (request === "reboot" && i.state === "running")
      m.commit({ t: "instance", i: { ...i, statusOkAt: now + m.durations.rebootMs } });
    const current = m.state.instances.get(i.id)?.state ?? previous;
    return { InstanceId: i.id, PreviousState: stateOf(previous), CurrentState: stateOf(current) };
  });
}

/** The record once it enters an in-between state by request. */
function enter(m: Model, i: InstanceRecord, to: StateName, now: number): InstanceRecord {
  const rule = SETTLES[to];
  const settlesAt = rule ? now + m.durations[rule.after] : undefined;
  const { settlesAt: _s, stateReason: _r, ...rest } = i;
  if (to === "pending") {
    return {
      ...rest,
      state: to,
      ...(settlesAt !== undefined && { settlesAt, statusOkAt: settlesAt + m.durations.pendingMs }),
      launchedAt: now,
      transitionReason: "",
      stateReason: { Code: "pending", Message: "pending" },
    };
  }
  return {
    ...rest,
    state: to,
    ...(settlesAt !== undefined && { settlesAt }),
    transitionReason: userInitiated(now),
    stateReason: USER_SHUTDOWN,
  };
}

export type Attribute =
  | { name: "instanceType"; value: string }
  | { name: "userData"; value: string }
  | { name: "disableApiTermination"; value: boolean }
  | { name: "disableApiStop"; value: boolean }
  | { name: "instanceInitiatedShutdownBehavior"; value: "stop" | "terminate" };

/** Instance type and user data change only while stopped, as on AWS. */
export function modifyAttribute(m: Model, id: string, attribute: Attribute): void {
  const [i] = getInstances(m, [id]);
  if (!i) return;
  let next: InstanceRecord;
  switch (attribute.name) {
    case "instanceType":
      checkInstanceType(attribute.value);
      if (i.state !== "stopped") throw ec2Errors.notStopped(id);
      next = { ...i, instanceType: attribute.value };
      break;
    case "userData":
      checkUserData(attribute.value, "userData");
      if (i.state !== "stopped") throw ec2Errors.notStopped(id);
      next = { ...i, userData: attribute.value };
      break;
    case "disableApiTermination":
      next = { ...i, disableApiTermination: attribute.value };
      break;
    case "disableApiStop":
      next = { ...i, disableApiStop: attribute.value };
      break;
    case "instanceInitiatedShutdownBehavior":
      next = { ...i, shutdownBehavior: attribute.value };
      break;
  }
  m.commit({ t: "instance", i: next });
}

export function tagList(m: Model, id: string): Array<{ Key: string; Value: string }> | undefined {
  const tags = m.state.tags.get(id);
  if (!tags) return undefined;
  return [...tags].map(([Key, Value]) => ({ Key, Value }));
}

/** The SDK's `Instance` for one record. */
export function toInstance(m: Model, i: InstanceRecord): Instance {
  const running = i.state !== "terminated";
  const dns = `ip-${i.privateIp.replaceAll(".", "-")}.ec2.internal`;
  return {
    InstanceId: i.id,
    ImageId: i.imageId,
    State: stateOf(i.state),
    PrivateDnsName: running ? dns : "",
    PublicDnsName: "",
    StateTransitionReason: i.transitionReason,
    ...(i.keyName !== undefined && { KeyName: i.keyName }),
    AmiLaunchIndex: i.launchIndex,
    ProductCodes: [],
    InstanceType: i.instanceType as Instance["InstanceType"],
    LaunchTime: new Date(i.launchedAt),
    Placement: { AvailabilityZone: i.availabilityZone, GroupName: "", Tenancy: "default" },
    Monitoring: { State: "disabled" },
    ...(running && { PrivateIpAddress: i.privateIp }),
    Architecture: "x86_64",
    RootDeviceType: "ebs",
    RootDeviceName: "/dev/xvda",
    BlockDeviceMappings: [],
    VirtualizationType: "hvm",
    ...(i.clientToken !== undefined && { ClientToken: i.clientToken }),
    ...(m.state.tags.has(i.id) && { Tags: tagList(m, i.id) }),
    SecurityGroups: [],
    Hypervisor: "xen",
    EbsOptimized: false,
    EnaSupport: true,
    ...(i.stateReason && { StateReason: i.stateReason }),
    PlatformDetails: "Linux/UNIX",
    UsageOperation: "RunInstances",
  };
}

/** The SDK's `InstanceStatus`: checks are `initializing` for a while after a boot or reboot. */
export function toInstanceStatus(m: Model, i: InstanceRecord): InstanceStatus {
  const summary = () => {
    if (i.state !== "running") return { Status: "not-applicable" as const };
    const ready = m.clock.now() >= i.statusOkAt;
    return {
      Status: ready ? ("ok" as const) : ("initializing" as const),
      Details: [
        { Name: "reachability" as const, Status: ready ? ("passed" as const) : ("initializing" as const) },
      ],
    };
  };
  return {
    InstanceId: i.id,
    AvailabilityZone: i.availabilityZone,
    InstanceState: stateOf(i.state),
    InstanceStatus: summary(),
    SystemStatus: summary(),
  };
}
