/**
 * The GPU instance as the waker and the watchdog see it: the one instance tagged
 * `Name=<gpu.nameTag>` that is not terminated, with its state and LaunchTime (EC2 sets it on
 * every start, so "up for" is measured from the last boot).
 */
import { DescribeInstancesCommand, type EC2Client } from "@aws-sdk/client-ec2";

export interface GpuInstance {
  instanceId: string;
  state: string;
  /** Epoch ms of the last launch or start. */
  launchedAt: number | undefined;
}

const LIVE_STATES = ["pending", "running", "stopping", "stopped", "shutting-down"];

export async function findGpuInstance(ec2: EC2Client, nameTag: string): Promise<GpuInstance | undefined> {
  const out = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: "tag:Name", Values: [nameTag] },
        { Name: "instance-state-name", Values: LIVE_STATES },
      ],
    }),
  );
  const instance = out.Reservations?.flatMap((r) => r.Instances ?? [])[0];
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
