/**
 * The AWS CLI, an independent client (botocore's EC2 query serializer and parser), against the
 * emulator: run, describe with a filter, stop, modify the type while stopped, start, and an
 * error code as the CLI reports it. Skipped, with the reason in the suite name, when no `aws`
 * is on PATH. Credentials are dummies; HOME and the config files point into a temp dir.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../emulators/aws/server.ts";
import { findAwsCli, isolatedAwsEnv, runAwsCli } from "../helpers/aws-cli.ts";

const { env, remove: removeHome } = isolatedAwsEnv("ec2-cli-home-");
const cli = findAwsCli();
const MS = 200;

describe.skipIf(!cli)(cli ? `aws ec2 (${cli})` : "aws ec2: skipped, no `aws` on PATH", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({
      port: 0,
      settings: { ec2: { pendingMs: MS, stoppingMs: MS, shuttingDownMs: MS, rebootMs: MS } },
    });
  });
  afterAll(async () => {
    await emulator.close();
    removeHome();
  });

  const aws = (...args: string[]) =>
    runAwsCli(
      cli as string,
      ["ec2", ...args, "--endpoint-url", emulator.url, "--output", "json"],
      env,
      30_000,
    );
  const json = async (...args: string[]) => {
    const r = await aws(...args);
    if (r.code !== 0) throw new Error(`aws ec2 ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    return r.stdout ? JSON.parse(r.stdout) : {};
  };
  const stateOf = async (id: string): Promise<string> =>
    (await json("describe-instances", "--instance-ids", id)).Reservations[0].Instances[0].State.Name;
  const until = async (id: string, state: string) => {
    const deadline = Date.now() + 10_000;
    while ((await stateOf(id)) !== state) {
      if (Date.now() > deadline) throw new Error(`${id} never reached ${state}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it("run, describe with a tag filter, stop, modify while stopped, start", async () => {
    const run = await json(
      "run-instances",
      "--image-id",
      "ami-0123456789abcdef0",
      "--instance-type",
      "t3.micro",
      "--count",
      "1",
      "--tag-specifications",
      "ResourceType=instance,Tags=[{Key=Name,Value=cli-gpu}]",
    );
    const id: string = run.Instances[0].InstanceId;
    expect(run.Instances[0].State).toEqual({ Code: 0, Name: "pending" });

    const found = await json("describe-instances", "--filters", "Name=tag:Name,Values=cli-gpu");
    expect(found.Reservations[0].Instances[0].InstanceId).toBe(id);
    expect(found.Reservations[0].Instances[0].Tags).toEqual([{ Key: "Name", Value: "cli-gpu" }]);
    await until(id, "running");

    const refused = await aws(
      "modify-instance-attribute",
      "--instance-id",
      id,
      "--instance-type",
      "g4dn.xlarge",
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("(IncorrectInstanceState)");
    expect(refused.stderr).toContain(`The instance '${id}' is not in the 'stopped' state.`);

    const stop = await json("stop-instances", "--instance-ids", id);
    expect(stop.StoppingInstances[0]).toMatchObject({
      InstanceId: id,
      PreviousState: { Name: "running" },
      CurrentState: { Name: "stopping" },
    });
    await until(id, "stopped");
    await json("modify-instance-attribute", "--instance-id", id, "--instance-type", "g4dn.xlarge");
    const attr = await json(
      "describe-instance-attribute",
      "--instance-id",
      id,
      "--attribute",
      "instanceType",
    );
    expect(attr.InstanceType).toEqual({ Value: "g4dn.xlarge" });

    const start = await json("start-instances", "--instance-ids", id);
    expect(start.StartingInstances[0].CurrentState).toEqual({ Code: 0, Name: "pending" });
    await until(id, "running");
    const after = await json("describe-instances", "--instance-ids", id);
    expect(after.Reservations[0].Instances[0].InstanceType).toBe("g4dn.xlarge");
  }, 60_000);

  it("reports InvalidInstanceID.NotFound", async () => {
    const r = await aws("stop-instances", "--instance-ids", "i-0123456789abcdef0");
    expect(r.code).not.toBe(0); // 255 from CLI v1, 254 from v2
    expect(r.stderr).toContain("(InvalidInstanceID.NotFound)");
  }, 30_000);
});
