/**
 * The GPU instance as EC2 describes it: the first instance tagged `Name=<nameTag>` that is not
 * terminated (shutting-down still counts). The gateway, the scheduled handlers and the GPU
 * runtime's power gate each take from it what they need. (Provisioning looks for one with its
 * own filter: there a shutting-down instance does not count.)
 */
import { DescribeInstancesCommand, type EC2Client, type Instance } from "@aws-sdk/client-ec2";

const LIVE_STATES = ["pending", "running", "stopping", "stopped", "shutting-down"];

export async function describeGpuInstance(ec2: EC2Client, nameTag: string): Promise<Instance | undefined> {
  const out = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: "tag:Name", Values: [nameTag] },
        { Name: "instance-state-name", Values: LIVE_STATES },
      ],
    }),
  );
  return out.Reservations?.flatMap((r) => r.Instances ?? [])[0];
}
