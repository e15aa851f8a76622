/**
 * The GPU instance as the waker and the watchdog see it: the one instance tagged
 * `Name=<gpu.nameTag>` that is not terminated, with its state and LaunchTime (EC2 sets it on
 * every start, so "up for" is measured from the last boot).
 */
import type { EC2Client } from "@aws-sdk/client-ec2";
import { describeGpuInstance } from "../lib/gpu-instance.ts";

export interface GpuInstance {
  instanceId: string;
  state: string;
  /** Epoch ms of the last launch or start. */
  launchedAt: number | undefined;
}

export async function findGpuInstance(ec2: EC2Client, nameTag: string): Promise<GpuInstance | undefined> {
  const instance = await describeGpuInstance(ec2, nameTag);
  if (!instance?.InstanceId) return undefined;
  return {
    instanceId: instance.InstanceId,
    state: instance.State?.Name ?? "unknown",
    launchedAt: instance.LaunchTime?.getTime(),
  };
}

/** EC2 refused the request because the instance was in another state than the call assumed. */
export const isIncorrectState = (err: unknown): boolean =>
  (err as Error).name === "IncorrectInstanceState" || (err as Error).name === "IncorrectState";
