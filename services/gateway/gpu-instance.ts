/**
 * The GPU instance as the API sees it: found by its Name tag (EC2 DescribeInstances), stopped
 * with StopInstances. Terminated instances do not count.
 */
import { DescribeInstancesCommand, type EC2Client, StopInstancesCommand } from "@aws-sdk/client-ec2";

export interface GpuInstance {
  instanceId: string;
  state: string;
  instanceType: string | undefined;
}

const LIVE_STATES = ["pending", "running", "stopping", "stopped", "shutting-down"];

export class GpuInstances {
  #ec2: EC2Client;
  #nameTag: string;

  constructor(ec2: EC2Client, nameTag: string) {
    this.#ec2 = ec2;
    this.#nameTag = nameTag;
  }

  get nameTag(): string {
    return this.#nameTag;
  }

  /** The tagged instance, or undefined when there is none. */
  async find(): Promise<GpuInstance | undefined> {
    const out = await this.#ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: "tag:Name", Values: [this.#nameTag] },
          { Name: "instance-state-name", Values: LIVE_STATES },
        ],
      }),
    );
    const instance = out.Reservations?.flatMap((r) => r.Instances ?? [])[0];
    if (!instance?.InstanceId) return undefined;
    return {
      instanceId: instance.InstanceId,
      state: instance.State?.Name ?? "unknown",
      instanceType: instance.InstanceType,
    };
  }

  /** Stops `instanceId`; resolves to the state EC2 reports after the call. */
  async stop(instanceId: string): Promise<string> {
    const out = await this.#ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    return out.StoppingInstances?.[0]?.CurrentState?.Name ?? "stopping";
  }
}
