/**
 * EC2 state on a data directory: instances, attributes and tags survive a restart, and a
 * transition under way when the emulator stopped completes after it starts again (from its
 * recorded deadline, so one that is already due completes at once).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  DescribeInstancesCommand,
  EC2Client,
  type Instance,
  RunInstancesCommand,
  StopInstancesCommand,
} from "@aws-sdk/client-ec2";
import { afterEach, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../emulators/aws/server.ts";

const dirs: string[] = [];
const running: Emulator[] = [];
afterEach(async () => {
  for (const e of running.splice(0)) await e.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function start(dataDir: string, ms: number) {
  const emulator = await startEmulator({
    port: 0,
    dataDir,
    settings: { ec2: { pendingMs: ms, stoppingMs: ms, shuttingDownMs: ms, rebootMs: ms } },
  });
  running.push(emulator);
  const ec2 = new EC2Client({
    endpoint: emulator.url,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  const describe1 = async (id: string): Promise<Instance> => {
    const { Reservations = [] } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    return Reservations[0]?.Instances?.[0] ?? {};
  };
  const until = async (id: string, state: string) => {
    const deadline = Date.now() + 5000;
    while ((await describe1(id)).State?.Name !== state) {
      if (Date.now() > deadline) throw new Error(`${id} never reached ${state}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { emulator, ec2, describe1, until };
}

const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec2-data-"));
  dirs.push(dir);
  return dir;
};

describe("EC2 persistence", () => {
  it("keeps instances, attributes and tags across a restart", async () => {
    const dir = tempDir();
    const first = await start(dir, 100);
    const { Instances = [] } = await first.ec2.send(
      new RunInstancesCommand({
        ImageId: "ami-0123456789abcdef0",
        InstanceType: "g5.xlarge",
        MinCount: 1,
        MaxCount: 1,
        UserData: Buffer.from("boot").toString("base64"),
        TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Name", Value: "kept" }] }],
      }),
    );
    const id = Instances[0]?.InstanceId ?? "";
    await first.until(id, "running");
    const before = await first.describe1(id);
    await first.emulator.close();
    running.splice(0);

    const second = await start(dir, 100);
    const after = await second.describe1(id);
    expect(after).toMatchObject({
      InstanceId: id,
      InstanceType: "g5.xlarge",
      State: { Name: "running" },
      Tags: [{ Key: "Name", Value: "kept" }],
      LaunchTime: before.LaunchTime,
      PrivateIpAddress: before.PrivateIpAddress,
    });
  });

  it("a stop under way at shutdown completes after the restart", async () => {
    const dir = tempDir();
    const first = await start(dir, 600);
    const { Instances = [] } = await first.ec2.send(
      new RunInstancesCommand({ ImageId: "ami-0123456789abcdef0", MinCount: 1, MaxCount: 1 }),
    );
    const id = Instances[0]?.InstanceId ?? "";
    await first.until(id, "running");
    await first.ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await first.emulator.close();
    running.splice(0);

    const second = await start(dir, 600);
    expect((await second.describe1(id)).State?.Name).toBe("stopping");
    await second.until(id, "stopped");
    expect((await second.describe1(id)).StateReason?.Code).toBe("Client.UserInitiatedShutdown");
  });

  it("a launch whose boot fell due while the emulator was down is running at once", async () => {
    const dir = tempDir();
    const first = await start(dir, 150);
    const { Instances = [] } = await first.ec2.send(
      new RunInstancesCommand({ ImageId: "ami-0123456789abcdef0", MinCount: 1, MaxCount: 1 }),
    );
    const id = Instances[0]?.InstanceId ?? "";
    await first.emulator.close();
    running.splice(0);
    await new Promise((r) => setTimeout(r, 200));

    const second = await start(dir, 150);
    expect((await second.describe1(id)).State?.Name).toBe("running");
  });
});
