/**
 * Shared by the lifecycle tests: the GPU instance's state as seen by EC2 over time (a background
 * poller), and the job events the runtime wrote to the job log group.
 */
import { FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeInstancesCommand } from "@aws-sdk/client-ec2";
import type { StackClient } from "../../scripts/lib/launch-stack.ts";

export interface StateChange {
  at: number;
  state: string;
}

/** Polls DescribeInstances every `everyMs` and keeps each change of the tagged instance's state. */
export function watchInstance(stack: StackClient, everyMs = 100) {
  const changes: StateChange[] = [];
  let instanceId: string | undefined;
  let instanceType: string | undefined;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const out = await stack.aws.ec2.send(
          new DescribeInstancesCommand({
            Filters: [{ Name: "tag:Name", Values: [stack.config.gpu.nameTag] }],
          }),
        );
        const i = out.Reservations?.flatMap((r) => r.Instances ?? [])[0];
        instanceId = i?.InstanceId;
        instanceType = i?.InstanceType;
        const state = i?.State?.Name ?? "none";
        if (changes.at(-1)?.state !== state) changes.push({ at: Date.now(), state });
      } catch {
        // the emulator is restarting or gone
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    changes,
    get instanceId(): string {
      if (!instanceId) throw new Error("no GPU instance seen yet");
      return instanceId;
    },
    get instanceType() {
      return instanceType;
    },
    get state() {
      return changes.at(-1)?.state;
    },
    /** States entered since `from` (epoch ms), in order. */
    since: (from: number) => changes.filter((c) => c.at >= from).map((c) => c.state),
    async close() {
      stopped = true;
      await loop;
    },
  };
}

/** The runtime's job events (delivered, processed, failed, released) for one job, oldest first. */
export async function jobEvents(stack: StackClient, jobId: string): Promise<Array<Record<string, unknown>>> {
  const out = await stack.aws.logs.send(
    new FilterLogEventsCommand({ logGroupName: stack.config.logs.jobLogGroup, filterPattern: `"${jobId}"` }),
  );
  return (out.events ?? [])
    .map((e) => JSON.parse(e.message ?? "{}") as Record<string, unknown>)
    .filter((e) => e.jobId === jobId);
}

export const names = (events: Array<Record<string, unknown>>) => events.map((e) => String(e.event));
