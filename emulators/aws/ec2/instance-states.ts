/**
 * The instance lifecycle as data: the states with their codes, the in-between states and what
 * each settles into (after which of the `settings.ec2` durations), and what each request does
 * from each state: move to a state, leave it as it is ("keep", AWS answers with the current
 * state), or refuse (IncorrectInstanceState). The codes appear in this file only.
 * Source: EC2 API reference, InstanceState; user guide, "Amazon EC2 instance state changes".
 */
import type { EmulatorSettings } from "../core/emulated-service.ts";

export const INSTANCE_STATES = {
  pending: 0,
  running: 16,
  "shutting-down": 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
} as const;

export type StateName = keyof typeof INSTANCE_STATES;

export const isStateName = (name: string): name is StateName => Object.hasOwn(INSTANCE_STATES, name);

export const stateOf = (name: StateName) => ({ Code: INSTANCE_STATES[name], Name: name });

type Duration = keyof EmulatorSettings["ec2"];

/** In-between states: where each goes on its own, and after how long. */
export const SETTLES: Partial<Record<StateName, { to: StateName; after: Duration }>> = {
  pending: { to: "running", after: "pendingMs" },
  stopping: { to: "stopped", after: "stoppingMs" },
  "shutting-down": { to: "terminated", after: "shuttingDownMs" },
};

export type Request = "start" | "stop" | "reboot" | "terminate";
/** "keep": accepted, no change; "refuse": IncorrectInstanceState; "never-ran": stop while pending. */
export type Outcome = StateName | "keep" | "refuse" | "never-ran";

export const REQUESTS: Record<Request, Record<StateName, Outcome>> = {
  start: {
    pending: "keep",
    running: "keep",
    stopping: "refuse",
    stopped: "pending",
    "shutting-down": "refuse",
    terminated: "refuse",
  },
  stop: {
    pending: "never-ran",
    running: "stopping",
    stopping: "keep",
    stopped: "keep",
    "shutting-down": "refuse",
    terminated: "refuse",
  },
  reboot: {
    pending: "keep",
    running: "keep",
    stopping: "refuse",
    stopped: "refuse",
    "shutting-down": "refuse",
    terminated: "refuse",
  },
  terminate: {
    pending: "shutting-down",
    running: "shutting-down",
    stopping: "shutting-down",
    stopped: "shutting-down",
    "shutting-down": "keep",
    terminated: "keep",
  },
};

/** The participle AWS's IncorrectInstanceState message uses for each request. */
export const REQUEST_VERB: Record<Request, string> = {
  start: "started",
  stop: "stopped",
  reboot: "rebooted",
  terminate: "terminated",
};
