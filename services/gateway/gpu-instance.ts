/**
 * The GPU instance as the API sees it: found by its Name tag (EC2 DescribeInstances), stopped
 * with StopInstances. Terminated instances do not count.
 */
import { type EC2Client, StopInstancesCommand } from "@aws-sdk/client-ec2";
import { describeGpuInstance } from "../lib/gpu-instance.ts";

export interface GpuInstance {
  instanceId: string;
  state: string;
  instanceType: string | undefined;
}

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
    const instance = await describeGpuInstance(this.#ec2, this.#nameTag);
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
