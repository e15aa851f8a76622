/**
 * Tags on any EC2 resource id: CreateTags, DeleteTags, DescribeTags, and the tags RunInstances
 * applies. Instance ids must name an instance; other ids need only EC2's id form, since this
 * emulator keeps no other resources. Each resource's whole tag set is one change.
 */
import type { TagDescription } from "@aws-sdk/client-ec2";
import { ec2Errors } from "./errors.ts";
import { type Filter, filterItems } from "./filters.ts";
import { getInstances } from "./instances.ts";
import { MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH, MAX_TAGS_PER_RESOURCE } from "./limits.ts";
import type { Model } from "./model.ts";

/** Id prefix -> the resource type DescribeTags reports (ResourceType enum of the SDK). */
const RESOURCE_TYPES: Record<string, string> = {
  i: "instance",
  ami: "image",
  vol: "volume",
  snap: "snapshot",
  sg: "security-group",
  subnet: "subnet",
  vpc: "vpc",
  eni: "network-interface",
  igw: "internet-gateway",
  rtb: "route-table",
  eipalloc: "elastic-ip",
  key: "key-pair",
  lt: "launch-template",
  nat: "natgateway",
  acl: "network-acl",
};

export function resourceType(id: string): string {
  const match = /^([a-z]+)-([0-9a-f]{8}|[0-9a-f]{17})$/.exec(id);
  const type = match?.[1] && RESOURCE_TYPES[match[1]];
  if (!type) throw ec2Errors.invalidId(id);
  return type;
}

export interface TagInput {
  Key?: string;
  Value?: string;
}

function checkTag(tag: TagInput): [string, string] {
  const key = tag.Key ?? "";
  const value = tag.Value ?? "";
  if (key.length === 0) throw ec2Errors.invalidValue("Tag key cannot be empty.");
  if (key.length > MAX_TAG_KEY_LENGTH)
    throw ec2Errors.invalidValue(`Tag key exceeds the maximum length of ${MAX_TAG_KEY_LENGTH} characters.`);
  if (value.length > MAX_TAG_VALUE_LENGTH)
    throw ec2Errors.invalidValue(
      `Tag value exceeds the maximum length of ${MAX_TAG_VALUE_LENGTH} characters.`,
    );
  if (key.toLowerCase().startsWith("aws:"))
    throw ec2Errors.invalidValue(`Tag keys starting with 'aws:' are reserved for internal use: ${key}`);
  return [key, value];
}

function checkResources(m: Model, ids: string[]): void {
  for (const id of ids) resourceType(id);
  const instances = ids.filter((id) => id.startsWith("i-"));
  if (instances.length > 0) getInstances(m, instances);
}

export function createTags(m: Model, resources: string[], tags: TagInput[]): void {
  checkResources(m, resources);
  const pairs = tags.map(checkTag);
  const next = resources.map((id) => {
    const merged = new Map(m.state.tags.get(id));
    for (const [k, v] of pairs) merged.set(k, v);
    if (merged.size > MAX_TAGS_PER_RESOURCE) throw ec2Errors.tagLimitExceeded();
    return [id, merged] as const;
  });
  for (const [id, merged] of next) m.commit({ t: "tags", id, tags: [...merged] });
}

/** No tags: all of them go. A tag without Value goes whatever its value; with one, only if equal. */
export function deleteTags(m: Model, resources: string[], tags: TagInput[] | undefined): void {
  checkResources(m, resources);
  for (const id of resources) {
    const current = m.state.tags.get(id);
    if (!current) continue;
    const kept = tags
      ? [...current].filter(
          ([k, v]) => !tags.some((t) => t.Key === k && (t.Value === undefined || t.Value === v)),
        )
      : [];
    if (kept.length !== current.size) m.commit({ t: "tags", id, tags: kept });
  }
}

export function describeTags(m: Model, filters: Filter[] | undefined): TagDescription[] {
  const all: TagDescription[] = [];
  for (const [id, tags] of m.state.tags) {
    const type = resourceType(id) as TagDescription["ResourceType"];
    for (const [Key, Value] of tags) all.push({ ResourceId: id, ResourceType: type, Key, Value });
  }
  return filterItems(all, filters, {
    "resource-id": (t) => t.ResourceId,
    "resource-type": (t) => t.ResourceType,
    key: (t) => t.Key,
    value: (t) => t.Value,
  });
}
