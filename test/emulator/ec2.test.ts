/**
 * EC2 through the real @aws-sdk/client-ec2 against the emulator on an ephemeral port, with
 * 300 ms transitions: the lifecycle as clients observe it by polling, attributes, filters and
 * pagination, tags, and each error code with its status and fault.
 */
import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeTagsCommand,
  EC2Client,
  type Instance,
  ModifyInstanceAttributeCommand,
  RebootInstancesCommand,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../emulators/aws/server.ts";
import { failure } from "../helpers/sdk-error.ts";

const MS = 300;
let emulator: Emulator;
let ec2: EC2Client;

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    settings: { ec2: { pendingMs: MS, stoppingMs: MS, shuttingDownMs: MS, rebootMs: MS } },
  });
  ec2 = new EC2Client({
    endpoint: emulator.url,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
});
afterAll(() => emulator.close());

async function launch(extra: Partial<RunInstancesCommandInput> = {}): Promise<Instance[]> {
  const { Instances = [] } = await ec2.send(
    new RunInstancesCommand({ ImageId: "ami-0123456789abcdef0", MinCount: 1, MaxCount: 1, ...extra }),
  );
  return Instances;
}

async function launchOne(extra: Partial<RunInstancesCommandInput> = {}): Promise<string> {
  const [instance] = await launch(extra);
  if (!instance?.InstanceId) throw new Error("RunInstances returned no instance");
  return instance.InstanceId;
}

async function describe1(id: string): Promise<Instance> {
  const { Reservations = [] } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  const instance = Reservations[0]?.Instances?.[0];
  if (!instance) throw new Error(`${id} not described`);
  return instance;
}

/** Every state DescribeInstances shows, polled every 25 ms until `until` (or 5 s). */
async function watch(id: string, until: string): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const state = (await describe1(id)).State?.Name ?? "?";
    if (seen.at(-1) !== state) seen.push(state);
    if (state === until) return seen;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${id} never reached ${until}; saw ${seen.join(" -> ")}`);
}

describe("lifecycle", () => {
  it("RunInstances answers pending; DescribeInstances then shows pending, then running", async () => {
    const [instance] = await launch({ InstanceType: "g4dn.xlarge" });
    expect(instance?.State).toEqual({ Code: 0, Name: "pending" });
    expect(instance?.InstanceId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(await watch(instance?.InstanceId ?? "", "running")).toEqual(["pending", "running"]);
    const running = await describe1(instance?.InstanceId ?? "");
    expect(running.State).toEqual({ Code: 16, Name: "running" });
    expect(running.InstanceType).toBe("g4dn.xlarge");
    expect(running.StateReason).toBeUndefined();
  });

  it("a stop is stopping, then stopped, with AWS's reasons; a start is pending, then running, with a new LaunchTime", async () => {
    const id = await launchOne();
    await watch(id, "running");
    const launchedAt = (await describe1(id)).LaunchTime?.getTime() ?? 0;

    const { StoppingInstances } = await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    expect(StoppingInstances).toEqual([
      {
        InstanceId: id,
        PreviousState: { Code: 16, Name: "running" },
        CurrentState: { Code: 64, Name: "stopping" },
      },
    ]);
    expect(await watch(id, "stopped")).toEqual(["stopping", "stopped"]);
    const stopped = await describe1(id);
    expect(stopped.State).toEqual({ Code: 80, Name: "stopped" });
    expect(stopped.StateTransitionReason).toMatch(/^User initiated \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\)$/);
    expect(stopped.StateReason).toEqual({
      Code: "Client.UserInitiatedShutdown",
      Message: "Client.UserInitiatedShutdown: User initiated shutdown",
    });

    await new Promise((r) => setTimeout(r, 20));
    const { StartingInstances } = await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    expect(StartingInstances?.[0]).toMatchObject({
      PreviousState: { Name: "stopped" },
      CurrentState: { Code: 0, Name: "pending" },
    });
    expect(await watch(id, "running")).toEqual(["pending", "running"]);
    const restarted = await describe1(id);
    expect(restarted.LaunchTime?.getTime()).toBeGreaterThan(launchedAt);
    expect(restarted.StateTransitionReason).toBe("");
  });

  it("stopping a stopped instance and starting a running one change nothing", async () => {
    const id = await launchOne();
    await watch(id, "running");
    const { StartingInstances } = await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    expect(StartingInstances?.[0]).toMatchObject({
      PreviousState: { Name: "running" },
      CurrentState: { Name: "running" },
    });
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await watch(id, "stopped");
    const { StoppingInstances } = await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    expect(StoppingInstances?.[0]).toMatchObject({
      PreviousState: { Name: "stopped" },
      CurrentState: { Name: "stopped" },
    });
  });

  it("terminate goes shutting-down, then terminated, and the instance stays describable", async () => {
    const id = await launchOne();
    const { TerminatingInstances } = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(TerminatingInstances?.[0]).toMatchObject({
      PreviousState: { Code: 0, Name: "pending" },
      CurrentState: { Code: 32, Name: "shutting-down" },
    });
    expect(await watch(id, "terminated")).toEqual(["shutting-down", "terminated"]);
    expect((await describe1(id)).State).toEqual({ Code: 48, Name: "terminated" });
    const again = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(again.TerminatingInstances?.[0]?.CurrentState?.Name).toBe("terminated");
  });

  it("reboot keeps running; DescribeInstanceStatus shows checks initializing, then ok", async () => {
    const id = await launchOne();
    await watch(id, "running");
    await new Promise((r) => setTimeout(r, MS + 50));
    const status = async () =>
      (await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id] }))).InstanceStatuses?.[0];
    expect((await status())?.InstanceStatus?.Status).toBe("ok");
    await ec2.send(new RebootInstancesCommand({ InstanceIds: [id] }));
    expect((await describe1(id)).State?.Name).toBe("running");
    expect((await status())?.InstanceStatus?.Status).toBe("initializing");
    await new Promise((r) => setTimeout(r, MS + 50));
    expect(await status()).toMatchObject({
      InstanceState: { Code: 16, Name: "running" },
      InstanceStatus: { Status: "ok" },
      SystemStatus: { Status: "ok" },
    });
  });

  it("DescribeInstanceStatus lists only running instances unless IncludeAllInstances", async () => {
    const id = await launchOne();
    const plain = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [id] }));
    expect(plain.InstanceStatuses).toEqual([]);
    const all = await ec2.send(
      new DescribeInstanceStatusCommand({ InstanceIds: [id], IncludeAllInstances: true }),
    );
    expect(all.InstanceStatuses?.[0]).toMatchObject({
      InstanceId: id,
      InstanceState: { Name: "pending" },
      InstanceStatus: { Status: "not-applicable" },
    });
  });
});

describe("IncorrectInstanceState", () => {
  it("ModifyInstanceAttribute(InstanceType) fails while running and works once stopped", async () => {
    const id = await launchOne({ InstanceType: "t3.micro" });
    await watch(id, "running");
    const err = await failure(
      ec2.send(
        new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: "g4dn.xlarge" } }),
      ),
    );
    expect(err).toEqual({
      name: "IncorrectInstanceState",
      message: `The instance '${id}' is not in the 'stopped' state.`,
      status: 400,
      fault: "client",
    });
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await watch(id, "stopped");
    await ec2.send(
      new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: "g4dn.xlarge" } }),
    );
    const attr = await ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: "instanceType" }),
    );
    expect(attr.InstanceType?.Value).toBe("g4dn.xlarge");
    expect((await describe1(id)).InstanceType).toBe("g4dn.xlarge");
  });

  it("the Attribute + Value form and UserData work on a stopped instance", async () => {
    const id = await launchOne({ UserData: Buffer.from("#!/bin/sh\necho one").toString("base64") });
    const first = await ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: "userData" }),
    );
    expect(Buffer.from(first.UserData?.Value ?? "", "base64").toString()).toBe("#!/bin/sh\necho one");
    await watch(id, "running");
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await watch(id, "stopped");
    await ec2.send(
      new ModifyInstanceAttributeCommand({ InstanceId: id, Attribute: "instanceType", Value: "g5.xlarge" }),
    );
    await ec2.send(
      new ModifyInstanceAttributeCommand({
        InstanceId: id,
        UserData: { Value: new TextEncoder().encode("two") },
      }),
    );
    const type = await ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: "instanceType" }),
    );
    expect(type.InstanceType?.Value).toBe("g5.xlarge");
    const data = await ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: "userData" }),
    );
    expect(Buffer.from(data.UserData?.Value ?? "", "base64").toString()).toBe("two");
  });

  it("a stopping instance cannot be started; a pending one cannot be stopped; a terminated one cannot be started", async () => {
    const id = await launchOne();
    expect(await failure(ec2.send(new StopInstancesCommand({ InstanceIds: [id] })))).toMatchObject({
      name: "IncorrectInstanceState",
      message: `Instance '${id}' cannot be stopped as it has never reached the 'running' state.`,
    });
    await watch(id, "running");
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    expect(await failure(ec2.send(new StartInstancesCommand({ InstanceIds: [id] })))).toMatchObject({
      name: "IncorrectInstanceState",
      message: `The instance '${id}' is not in a state from which it can be started.`,
      status: 400,
    });
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(await failure(ec2.send(new StartInstancesCommand({ InstanceIds: [id] })))).toMatchObject({
      name: "IncorrectInstanceState",
    });
    expect(await failure(ec2.send(new RebootInstancesCommand({ InstanceIds: [id] })))).toMatchObject({
      name: "IncorrectInstanceState",
    });
  });

  it("disableApiTermination refuses TerminateInstances with OperationNotPermitted", async () => {
    const id = await launchOne({ DisableApiTermination: true });
    expect(await failure(ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] })))).toMatchObject({
      name: "OperationNotPermitted",
      status: 400,
    });
    await ec2.send(
      new ModifyInstanceAttributeCommand({ InstanceId: id, DisableApiTermination: { Value: false } }),
    );
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  });
});

describe("DescribeInstances filters and pagination", () => {
  const group = `batch-${Date.now()}`;
  let ids: string[] = [];
  beforeAll(async () => {
    const instances = await launch({
      MinCount: 7,
      MaxCount: 7,
      InstanceType: "t3.nano",
      TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Group", Value: group }] }],
    });
    ids = instances.map((i) => i.InstanceId ?? "");
    await ec2.send(
      new CreateTagsCommand({
        Resources: [ids[0] ?? ""],
        Tags: [{ Key: "Name", Value: "tinyllama-gpu-test" }],
      }),
    );
  });

  const idsOf = (r: { Reservations?: Array<{ Instances?: Instance[] }> }) =>
    (r.Reservations ?? []).flatMap((res) => res.Instances ?? []).map((i) => i.InstanceId);

  it("one launch is one reservation with every instance", async () => {
    const r = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: "tag:Group", Values: [group] }] }),
    );
    expect(r.Reservations).toHaveLength(1);
    expect(idsOf(r)).toEqual(ids);
    expect(r.Reservations?.[0]?.Instances?.map((i) => i.AmiLaunchIndex)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("filters by instance-id, tag:Name (with wildcards), tag-key, instance-type and instance-state-name", async () => {
    const by = async (Name: string, Values: string[]) =>
      idsOf(
        await ec2.send(
          new DescribeInstancesCommand({
            Filters: [
              { Name, Values },
              { Name: "tag:Group", Values: [group] },
            ],
          }),
        ),
      );
    expect(await by("instance-id", [ids[2] ?? "", ids[4] ?? ""])).toEqual([ids[2], ids[4]]);
    expect(await by("tag:Name", ["tinyllama-gpu-*"])).toEqual([ids[0]]);
    expect(await by("tag-key", ["Name"])).toEqual([ids[0]]);
    expect(await by("instance-type", ["t3.nano"])).toEqual(ids);
    expect(await by("instance-type", ["g5.xlarge"])).toEqual([]);
    await watch(ids[6] ?? "", "running");
    await ec2.send(new StopInstancesCommand({ InstanceIds: [ids[6] ?? ""] }));
    expect(await by("instance-state-name", ["stopping", "stopped"])).toEqual([ids[6]]);
    expect(await by("instance-state-code", ["16"])).toEqual(ids.slice(0, 6));
  });

  it("pages with MaxResults and NextToken", async () => {
    const seen: Array<string | undefined> = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const r = await ec2.send(
        new DescribeInstancesCommand({
          Filters: [{ Name: "tag:Group", Values: [group] }],
          MaxResults: 5,
          NextToken,
        }),
      );
      seen.push(...idsOf(r));
      NextToken = r.NextToken;
      pages++;
    } while (NextToken);
    expect(pages).toBe(2);
    expect(seen).toEqual(ids);
  });

  it("refuses MaxResults out of range, with InstanceIds, an unknown filter and a bad NextToken", async () => {
    expect(await failure(ec2.send(new DescribeInstancesCommand({ MaxResults: 3 })))).toMatchObject({
      name: "InvalidParameterValue",
    });
    expect(
      await failure(ec2.send(new DescribeInstancesCommand({ InstanceIds: [ids[0] ?? ""], MaxResults: 5 }))),
    ).toMatchObject({ name: "InvalidParameterCombination", status: 400 });
    expect(
      await failure(
        ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: "flavour", Values: ["x"] }] })),
      ),
    ).toMatchObject({ name: "InvalidParameterValue", message: "The filter 'flavour' is invalid" });
    expect(await failure(ec2.send(new DescribeInstancesCommand({ NextToken: "nonsense" })))).toMatchObject({
      name: "InvalidParameterValue",
    });
  });
});

describe("tags", () => {
  it("CreateTags, DescribeTags with filters, DeleteTags by key and by key and value", async () => {
    const id = await launchOne();
    await ec2.send(
      new CreateTagsCommand({
        Resources: [id],
        Tags: [
          { Key: "Name", Value: "tagged" },
          { Key: "Env", Value: "dev" },
          { Key: "Team", Value: "ml" },
        ],
      }),
    );
    const tagsOf = async () =>
      (await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: "resource-id", Values: [id] }] }))).Tags;
    expect(await tagsOf()).toEqual([
      { ResourceId: id, ResourceType: "instance", Key: "Name", Value: "tagged" },
      { ResourceId: id, ResourceType: "instance", Key: "Env", Value: "dev" },
      { ResourceId: id, ResourceType: "instance", Key: "Team", Value: "ml" },
    ]);
    const byKeyValue = await ec2.send(
      new DescribeTagsCommand({
        Filters: [
          { Name: "key", Values: ["Env"] },
          { Name: "value", Values: ["dev"] },
          { Name: "resource-type", Values: ["instance"] },
          { Name: "resource-id", Values: [id] },
        ],
      }),
    );
    expect(byKeyValue.Tags?.map((t) => t.Key)).toEqual(["Env"]);

    await ec2.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: "Env", Value: "prod" }] }));
    expect((await tagsOf())?.map((t) => t.Key)).toEqual(["Name", "Env", "Team"]);
    await ec2.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: "Env" }] }));
    expect((await tagsOf())?.map((t) => t.Key)).toEqual(["Name", "Team"]);
    expect((await describe1(id)).Tags).toEqual([
      { Key: "Name", Value: "tagged" },
      { Key: "Team", Value: "ml" },
    ]);
    await ec2.send(new DeleteTagsCommand({ Resources: [id] }));
    expect(await tagsOf()).toEqual([]);
  });

  it("DescribeTags pages; tags on an unknown instance or a reserved key are refused", async () => {
    const id = await launchOne();
    await ec2.send(
      new CreateTagsCommand({
        Resources: [id],
        Tags: Array.from({ length: 7 }, (_, n) => ({ Key: `k${n}`, Value: String(n) })),
      }),
    );
    const first = await ec2.send(
      new DescribeTagsCommand({ Filters: [{ Name: "resource-id", Values: [id] }], MaxResults: 5 }),
    );
    expect(first.Tags).toHaveLength(5);
    const second = await ec2.send(
      new DescribeTagsCommand({
        Filters: [{ Name: "resource-id", Values: [id] }],
        NextToken: first.NextToken,
      }),
    );
    expect(second.Tags?.map((t) => t.Key)).toEqual(["k5", "k6"]);
    expect(second.NextToken).toBeUndefined();

    expect(
      await failure(
        ec2.send(
          new CreateTagsCommand({ Resources: ["i-0000000000000000f"], Tags: [{ Key: "a", Value: "b" }] }),
        ),
      ),
    ).toMatchObject({ name: "InvalidInstanceID.NotFound" });
    expect(
      await failure(
        ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: "aws:x", Value: "b" }] })),
      ),
    ).toMatchObject({ name: "InvalidParameterValue" });
    expect(
      await failure(
        ec2.send(new CreateTagsCommand({ Resources: ["nonsense"], Tags: [{ Key: "a", Value: "b" }] })),
      ),
    ).toMatchObject({ name: "InvalidID" });
  });
});

describe("errors", () => {
  it("InvalidInstanceID.NotFound and InvalidInstanceID.Malformed", async () => {
    const missing = "i-0123456789abcdef0";
    expect(await failure(ec2.send(new DescribeInstancesCommand({ InstanceIds: [missing] })))).toEqual({
      name: "InvalidInstanceID.NotFound",
      message: `The instance ID '${missing}' does not exist`,
      status: 400,
      fault: "client",
    });
    expect(
      await failure(ec2.send(new StopInstancesCommand({ InstanceIds: [missing, "i-0123456789abcdef1"] }))),
    ).toMatchObject({
      name: "InvalidInstanceID.NotFound",
      message: `The instance IDs '${missing}, i-0123456789abcdef1' do not exist`,
    });
    expect(await failure(ec2.send(new StartInstancesCommand({ InstanceIds: ["i-xyz"] })))).toEqual({
      name: "InvalidInstanceID.Malformed",
      message: 'Invalid id: "i-xyz" (expecting "i-...")',
      status: 400,
      fault: "client",
    });
  });

  it("InvalidParameterValue for an unknown instance type, in RunInstances and ModifyInstanceAttribute", async () => {
    expect(await failure(launch({ InstanceType: "g9.galactic" as never }))).toEqual({
      name: "InvalidParameterValue",
      message: "Invalid value 'g9.galactic' for InstanceType.",
      status: 400,
      fault: "client",
    });
    const id = await launchOne();
    expect(
      await failure(
        ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: "x.y" } })),
      ),
    ).toMatchObject({ name: "InvalidParameterValue" });
  });

  it("MissingParameter", async () => {
    expect(await failure(ec2.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1 })))).toMatchObject({
      name: "MissingParameter",
      message: "The request must contain the parameter ImageId",
      status: 400,
    });
    expect(await failure(ec2.send(new StopInstancesCommand({ InstanceIds: [] })))).toMatchObject({
      name: "MissingParameter",
    });
    expect(
      await failure(
        ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: "i-0123456789abcdef0" } as never)),
      ),
    ).toMatchObject({ name: "MissingParameter" });
  });

  it("InvalidParameterCombination", async () => {
    const id = await launchOne();
    expect(await failure(ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id })))).toMatchObject({
      name: "InvalidParameterCombination",
      message: "No attributes specified.",
    });
    expect(
      await failure(
        ec2.send(
          new ModifyInstanceAttributeCommand({
            InstanceId: id,
            InstanceType: { Value: "t3.micro" },
            DisableApiTermination: { Value: true },
          }),
        ),
      ),
    ).toMatchObject({ name: "InvalidParameterCombination" });
    expect(await failure(launch({ MinCount: 3, MaxCount: 2 }))).toMatchObject({
      name: "InvalidParameterCombination",
    });
  });

  it("InvalidAMIID.Malformed and DryRunOperation (412)", async () => {
    expect(await failure(launch({ ImageId: "image-1" }))).toMatchObject({ name: "InvalidAMIID.Malformed" });
    expect(await failure(launch({ DryRun: true }))).toMatchObject({ name: "DryRunOperation", status: 412 });
  });

  it("UnknownParameter and InvalidAction over the wire", async () => {
    const post = (body: string) =>
      fetch(emulator.url, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded; charset=utf-8",
          authorization:
            "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=x",
        },
        body,
      });
    const unknown = await post("Action=DescribeInstances&Version=2016-11-15&Flavour=mint");
    expect(unknown.status).toBe(400);
    const text = await unknown.text();
    expect(text).toContain("<Code>UnknownParameter</Code>");
    expect(text).toContain("<Response><Errors><Error>");
    const action = await post("Action=DescribeVpcs&Version=2016-11-15");
    expect(action.status).toBe(400);
    expect(await action.text()).toContain("<Code>InvalidAction</Code>");
  });
});
