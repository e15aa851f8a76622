/**
 * The EC2 codec reads the SDK's static schemas (emulators/aws/ec2/schema.ts). These checks pin
 * the wire names it derives, so an SDK update that changes the schema layout fails here rather
 * than on the wire; and every action in the table is a real EC2 command.
 */
import * as sdk from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import { systemClock } from "../../emulators/aws/core/context.ts";
import { defaultSettings } from "../../emulators/aws/core/emulated-service.ts";
import { createEc2 } from "../../emulators/aws/ec2/index.ts";
import { operationShapes, type Shape } from "../../emulators/aws/ec2/schema.ts";

const member = (shape: Shape, name: string) => {
  if (shape.kind !== "struct") throw new Error(`not a structure: ${shape.kind}`);
  const m = shape.members.find((x) => x.name === name);
  if (!m) throw new Error(`no member ${name}`);
  return m;
};

describe("EC2 schemas from @aws-sdk/client-ec2", () => {
  it("DescribeInstances answers reservationSet/item/instancesSet/item/instanceState", () => {
    const { output } = operationShapes("DescribeInstances");
    const reservations = member(output, "Reservations");
    expect(reservations.xmlName).toBe("reservationSet");
    if (reservations.shape.kind !== "list") throw new Error("Reservations is not a list");
    expect(reservations.shape.member.xmlName).toBe("item");
    const instances = member(reservations.shape.member.shape, "Instances");
    expect(instances.xmlName).toBe("instancesSet");
    if (instances.shape.kind !== "list") throw new Error("Instances is not a list");
    const state = member(instances.shape.member.shape, "State");
    expect(state.xmlName).toBe("instanceState");
    expect(member(state.shape, "Code").shape).toEqual({ kind: "scalar", type: "number" });
    expect(member(instances.shape.member.shape, "LaunchTime").shape).toEqual({
      kind: "scalar",
      type: "timestamp",
    });
  });

  it("requests use the EC2 query names: InstanceId.N, Filter.N.Value.M, TagSpecification.N.Tag.M", () => {
    const describeInput = operationShapes("DescribeInstances").input;
    expect(member(describeInput, "InstanceIds").xmlName).toBe("InstanceId");
    const filters = member(describeInput, "Filters");
    expect(filters.xmlName).toBe("Filter");
    if (filters.shape.kind !== "list") throw new Error("Filters is not a list");
    expect(member(filters.shape.member.shape, "Values").xmlName).toBe("Value");
    const run = operationShapes("RunInstances").input;
    expect(member(run, "TagSpecifications").xmlName).toBe("TagSpecification");
    const modify = operationShapes("ModifyInstanceAttribute").input;
    expect(member(modify, "InstanceType").ec2QueryName).toBe("InstanceType");
    expect(member(member(modify, "UserData").shape, "Value").shape).toEqual({ kind: "scalar", type: "blob" });
  });

  it("every action in the table is an EC2 command of the SDK", () => {
    const service = createEc2({
      clock: systemClock,
      record: () => {},
      region: "us-east-1",
      accountId: "000000000000",
      ports: {} as never,
      settings: defaultSettings,
    });
    const actions = Object.keys(service.rpc?.operations ?? {});
    expect(actions.length).toBe(12);
    for (const action of actions) expect(sdk).toHaveProperty(`${action}Command`);
    service.close?.();
  });
});
