/**
 * The EC2 action table: one entry per AWS action name. Each unpacks its input (already shaped
 * like the SDK's `<Action>Request` by the query codec), calls the model and returns the SDK's
 * `<Action>Result`. Settling comes first, so every answer sees transitions whose time has come.
 */
import type {
  DescribeInstanceAttributeCommandOutput,
  DescribeInstanceStatusResult,
  DescribeInstancesResult,
  DescribeTagsResult,
  Reservation,
  RunInstancesRequest,
} from "@aws-sdk/client-ec2";
import type { Input, Operation } from "../core/service.ts";
import { ec2Errors } from "./errors.ts";
import { checkMaxResults, type Filter, filterItems, page } from "./filters.ts";
import { INSTANCE_STATES } from "./instance-states.ts";
import {
  type Attribute,
  changeStates,
  checkInstanceId,
  checkInstanceType,
  checkUserData,
  getInstances,
  modifyAttribute,
  runInstances,
  toInstance,
  toInstanceStatus,
} from "./instances.ts";
import { DEFAULT_INSTANCE_TYPE, MAX_INSTANCES_PER_LAUNCH, MAX_RESULTS, TAGS_MAX_RESULTS } from "./limits.ts";
import type { Model } from "./model.ts";
import type { InstanceRecord } from "./state.ts";
import { createTags, deleteTags, describeTags, resourceType, type TagInput } from "./tags.ts";

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === "" || (Array.isArray(value) && value.length === 0))
    throw ec2Errors.missingParameter(name);
  return value;
}

const TAGGABLE_AT_LAUNCH = new Set(["instance", "volume", "network-interface", "spot-instances-request"]);

const INSTANCE_FILTERS = {
  "instance-id": (i: InstanceRecord) => i.id,
  "instance-state-name": (i: InstanceRecord) => i.state,
  "instance-state-code": (i: InstanceRecord) => String(INSTANCE_STATES[i.state]),
  "instance-type": (i: InstanceRecord) => i.instanceType,
  "image-id": (i: InstanceRecord) => i.imageId,
  "reservation-id": (i: InstanceRecord) => i.reservationId,
  "availability-zone": (i: InstanceRecord) => i.availabilityZone,
  "private-ip-address": (i: InstanceRecord) => i.privateIp,
};

function instancesFor(m: Model, ids: string[] | undefined, filters: Filter[] | undefined, extra = {}) {
  const base = ids && ids.length > 0 ? getInstances(m, ids) : [...m.state.instances.values()];
  return filterItems(base, filters, { ...INSTANCE_FILTERS, ...extra }, (i) => m.state.tags.get(i.id));
}

export function ec2Operations(m: Model): Record<string, Operation> {
  const ops: Record<string, (input: Input) => unknown> = {
    RunInstances(raw): Reservation {
      const input = raw as RunInstancesRequest;
      const imageId = required(input.ImageId, "ImageId");
      if (!/^ami-([0-9a-f]{8}|[0-9a-f]{17})$/.test(imageId)) throw ec2Errors.amiIdMalformed(imageId);
      const min = required(input.MinCount, "MinCount");
      const max = required(input.MaxCount, "MaxCount");
      if (min < 1) throw ec2Errors.invalidParameterValue(String(min), "minCount", "Must be at least 1.");
      if (max < min) throw ec2Errors.combination("MinCount must be less than or equal to MaxCount");
      const count = Math.min(max, MAX_INSTANCES_PER_LAUNCH);
      if (count < min)
        throw ec2Errors.invalidValue(
          `You can launch at most ${MAX_INSTANCES_PER_LAUNCH} instances per request.`,
        );
      const instanceType = input.InstanceType ?? DEFAULT_INSTANCE_TYPE;
      checkInstanceType(instanceType);
      if (input.UserData !== undefined) checkUserData(input.UserData, "UserData");
      const tags: TagInput[] = [];
      for (const spec of input.TagSpecifications ?? []) {
        const type = spec.ResourceType ?? "";
        if (!TAGGABLE_AT_LAUNCH.has(type))
          throw ec2Errors.invalidValue(`'${type}' is not a valid taggable resource type for this operation.`);
        if (type === "instance") tags.push(...(spec.Tags ?? []));
      }
      const launched = runInstances(m, {
        imageId,
        instanceType,
        count,
        ...(input.UserData !== undefined && { userData: input.UserData }),
        ...(input.ClientToken !== undefined && { clientToken: input.ClientToken }),
        ...(input.KeyName !== undefined && { keyName: input.KeyName }),
        ...(input.DisableApiTermination !== undefined && {
          disableApiTermination: input.DisableApiTermination,
        }),
        ...(input.DisableApiStop !== undefined && { disableApiStop: input.DisableApiStop }),
        ...(input.InstanceInitiatedShutdownBehavior !== undefined && {
          shutdownBehavior: input.InstanceInitiatedShutdownBehavior,
        }),
      });
      if (tags.length > 0)
        createTags(
          m,
          launched.map((i) => i.id),
          tags,
        );
      const first = launched[0];
      return {
        ReservationId: first?.reservationId,
        OwnerId: m.accountId,
        Groups: [],
        Instances: launched.map((i) => toInstance(m, m.state.instances.get(i.id) ?? i)),
      };
    },

    DescribeInstances(input): DescribeInstancesResult {
      const ids = input.InstanceIds as string[] | undefined;
      if (ids?.length && input.MaxResults !== undefined)
        throw ec2Errors.combination(
          "The parameter instancesSet cannot be used with the parameter maxResults",
        );
      checkMaxResults(input.MaxResults, MAX_RESULTS);
      const found = instancesFor(m, ids, input.Filters);
      const { items, nextToken } = page(found, input.MaxResults, input.NextToken, MAX_RESULTS.default);
      // Consecutive instances of one launch share a reservation, as in EC2's answer.
      const reservations: Reservation[] = [];
      for (const i of items) {
        const last = reservations.at(-1);
        if (last?.ReservationId === i.reservationId) last.Instances?.push(toInstance(m, i));
        else
          reservations.push({
            ReservationId: i.reservationId,
            OwnerId: i.ownerId,
            Groups: [],
            Instances: [toInstance(m, i)],
          });
      }
      return { Reservations: reservations, ...(nextToken && { NextToken: nextToken }) };
    },

    DescribeInstanceStatus(input): DescribeInstanceStatusResult {
      checkMaxResults(input.MaxResults, MAX_RESULTS);
      const ids = input.InstanceIds as string[] | undefined;
      let found = instancesFor(m, ids, input.Filters, {
        "instance-status.status": (i: InstanceRecord) => toInstanceStatus(m, i).InstanceStatus?.Status,
        "system-status.status": (i: InstanceRecord) => toInstanceStatus(m, i).SystemStatus?.Status,
      });
      // "By default, only running instances are described."
      if (!input.IncludeAllInstances) found = found.filter((i) => i.state === "running");
      const { items, nextToken } = page(found, input.MaxResults, input.NextToken, MAX_RESULTS.default);
      return {
        InstanceStatuses: items.map((i) => toInstanceStatus(m, i)),
        ...(nextToken && { NextToken: nextToken }),
      };
    },

    StartInstances: (input) => ({
      StartingInstances: changeStates(m, required(input.InstanceIds, "InstanceId"), "start"),
    }),
    StopInstances: (input) => ({
      StoppingInstances: changeStates(m, required(input.InstanceIds, "InstanceId"), "stop"),
    }),
    TerminateInstances: (input) => ({
      TerminatingInstances: changeStates(m, required(input.InstanceIds, "InstanceId"), "terminate"),
    }),
    RebootInstances(input) {
      changeStates(m, required(input.InstanceIds, "InstanceId"), "reboot");
      return {};
    },

    ModifyInstanceAttribute(input) {
      const id = required(input.InstanceId as string | undefined, "InstanceId");
      checkInstanceId(id);
      modifyAttribute(m, id, attributeChange(input));
      return {};
    },

    DescribeInstanceAttribute(input): Omit<DescribeInstanceAttributeCommandOutput, "$metadata"> {
      const id = required(input.InstanceId as string | undefined, "InstanceId");
      const attribute = required(input.Attribute as string | undefined, "Attribute");
      const [i] = getInstances(m, [id]);
      if (!i) throw ec2Errors.instanceNotFound([id]);
      const view = ATTRIBUTE_VIEWS[attribute];
      if (!view) throw ec2Errors.invalidParameterValue(attribute, "attribute", "Unknown attribute.");
      return { InstanceId: i.id, ...view(i) };
    },

    CreateTags(input) {
      createTags(m, required(input.Resources, "ResourceId"), required(input.Tags, "Tag"));
      return {};
    },
    DeleteTags(input) {
      deleteTags(m, required(input.Resources, "ResourceId"), input.Tags);
      return {};
    },
    DescribeTags(input): DescribeTagsResult {
      checkMaxResults(input.MaxResults, TAGS_MAX_RESULTS);
      const { items, nextToken } = page(
        describeTags(m, input.Filters),
        input.MaxResults,
        input.NextToken,
        TAGS_MAX_RESULTS.default,
      );
      return { Tags: items, ...(nextToken && { NextToken: nextToken }) };
    },
  };

  // Every action: settle due transitions first; DryRun answers as EC2 does once checks pass.
  return Object.fromEntries(
    Object.entries(ops).map(([action, op]) => [
      action,
      (input: Input) => {
        m.settle();
        if (input.DryRun === true) {
          if (Array.isArray(input.InstanceIds)) getInstances(m, input.InstanceIds);
          if (Array.isArray(input.Resources)) for (const id of input.Resources) resourceType(id);
          throw ec2Errors.dryRun();
        }
        return op(input);
      },
    ]),
  );
}

/** `InstanceType.Value=...` (one attribute member), or the older `Attribute=...&Value=...` form. */
function attributeChange(input: Input): Attribute {
  const given = Object.entries(MODIFIABLE).filter(([member]) => input[member] !== undefined);
  const other = UNSUPPORTED_MEMBERS.filter((member) => input[member] !== undefined);
  if (input.Attribute !== undefined) {
    if (given.length > 0 || other.length > 0)
      throw ec2Errors.combination(
        "The parameter Attribute cannot be used with attribute-specific parameters.",
      );
    const name = input.Attribute as string;
    const value = input.Value as string | undefined;
    if (value === undefined) throw ec2Errors.missingParameter("Value");
    const entry = Object.entries(MODIFIABLE).find(([, a]) => a.name === name);
    if (!entry) {
      if (KNOWN_ATTRIBUTES.has(name))
        throw ec2Errors.unsupported(`Modifying the attribute '${name}' is not supported by this emulator.`);
      throw ec2Errors.invalidParameterValue(name, "attribute", "Unknown attribute.");
    }
    return entry[1].parse(value);
  }
  if (given.length + other.length === 0) throw ec2Errors.combination("No attributes specified.");
  if (given.length + other.length > 1)
    throw ec2Errors.combination(
      `Fields for multiple attribute types specified: ${[...given.map(([k]) => k), ...other].join(", ")}`,
    );
  if (other.length > 0)
    throw ec2Errors.unsupported(`Modifying the attribute '${other[0]}' is not supported by this emulator.`);
  const [member, attribute] = given[0] as [string, (typeof MODIFIABLE)[keyof typeof MODIFIABLE]];
  return attribute.parse((input[member] as { Value?: unknown }).Value);
}

const bool = (v: unknown, name: string): boolean => {
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "false") return v === "true";
  throw ec2Errors.invalidParameterValue(String(v), name);
};

const MODIFIABLE = {
  InstanceType: {
    name: "instanceType",
    parse: (v: unknown): Attribute => ({ name: "instanceType", value: String(v ?? "") }),
  },
  UserData: {
    name: "userData",
    parse: (v: unknown): Attribute => ({ name: "userData", value: String(v ?? "") }),
  },
  DisableApiTermination: {
    name: "disableApiTermination",
    parse: (v: unknown): Attribute => ({
      name: "disableApiTermination",
      value: bool(v, "disableApiTermination"),
    }),
  },
  DisableApiStop: {
    name: "disableApiStop",
    parse: (v: unknown): Attribute => ({ name: "disableApiStop", value: bool(v, "disableApiStop") }),
  },
  InstanceInitiatedShutdownBehavior: {
    name: "instanceInitiatedShutdownBehavior",
    parse: (v: unknown): Attribute => {
      if (v !== "stop" && v !== "terminate")
        throw ec2Errors.invalidParameterValue(String(v), "instanceInitiatedShutdownBehavior");
      return { name: "instanceInitiatedShutdownBehavior", value: v };
    },
  },
} as const;

const UNSUPPORTED_MEMBERS = [
  "SourceDestCheck",
  "BlockDeviceMappings",
  "Kernel",
  "Ramdisk",
  "Groups",
  "EbsOptimized",
  "SriovNetSupport",
  "EnaSupport",
  "EnclaveOptions",
];

/** The InstanceAttributeName values of the SDK. */
const KNOWN_ATTRIBUTES = new Set([
  "instanceType",
  "kernel",
  "ramdisk",
  "userData",
  "disableApiTermination",
  "instanceInitiatedShutdownBehavior",
  "rootDeviceName",
  "blockDeviceMapping",
  "productCodes",
  "sourceDestCheck",
  "groupSet",
  "ebsOptimized",
  "sriovNetSupport",
  "enaSupport",
  "enclaveOptions",
  "disableApiStop",
]);

type AttributeView = (i: InstanceRecord) => Record<string, unknown>;

/** DescribeInstanceAttribute: each attribute name -> the InstanceAttribute members it fills. */
const ATTRIBUTE_VIEWS: Record<string, AttributeView> = {
  instanceType: (i) => ({ InstanceType: { Value: i.instanceType } }),
  userData: (i) => ({ UserData: i.userData !== undefined ? { Value: i.userData } : {} }),
  disableApiTermination: (i) => ({ DisableApiTermination: { Value: i.disableApiTermination } }),
  disableApiStop: (i) => ({ DisableApiStop: { Value: i.disableApiStop } }),
  instanceInitiatedShutdownBehavior: (i) => ({
    InstanceInitiatedShutdownBehavior: { Value: i.shutdownBehavior },
  }),
  kernel: () => ({ KernelId: {} }),
  ramdisk: () => ({ RamdiskId: {} }),
  rootDeviceName: () => ({ RootDeviceName: { Value: "/dev/xvda" } }),
  blockDeviceMapping: () => ({ BlockDeviceMappings: [] }),
  productCodes: () => ({ ProductCodes: [] }),
  sourceDestCheck: () => ({ SourceDestCheck: { Value: true } }),
  groupSet: () => ({ Groups: [] }),
  ebsOptimized: () => ({ EbsOptimized: { Value: false } }),
  sriovNetSupport: () => ({ SriovNetSupport: {} }),
  enaSupport: () => ({ EnaSupport: { Value: true } }),
  enclaveOptions: () => ({ EnclaveOptions: { Enabled: false } }),
};
