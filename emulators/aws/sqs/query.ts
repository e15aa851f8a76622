/**
 * SQS over the query protocol (older clients: Debian's awscli 2.9, aws-sdk v2). Turns flat
 * `Attribute.1.Name=...` params into the same input the JSON protocol carries, and outputs into
 * the flattened XML the query model describes. Member names and their wire names are data here.
 */
import type { Input, QueryBinding } from "../core/service.ts";
import { el, escapeXml, wrap } from "../protocols/xml.ts";

type Params = Map<string, string>;

/** `prefix.1.*`, `prefix.2.*`, ... as sub-param maps, in index order. */
function indexed(params: Params, prefix: string): Params[] {
  const byIndex = new Map<number, Params>();
  const head = `${prefix}.`;
  for (const [key, value] of params) {
    if (!key.startsWith(head)) continue;
    const rest = key.slice(head.length);
    const dot = rest.indexOf(".");
    const index = Number(dot < 0 ? rest : rest.slice(0, dot));
    if (!Number.isInteger(index)) continue;
    let sub = byIndex.get(index);
    if (!sub) {
      sub = new Map();
      byIndex.set(index, sub);
    }
    sub.set(dot < 0 ? "" : rest.slice(dot + 1), value);
  }
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, sub]) => sub);
}

const list = (params: Params, prefix: string) => indexed(params, prefix).map((p) => p.get("") ?? "");

function map(params: Params, prefix: string, key: string, value: string): Record<string, string> | undefined {
  const entries = indexed(params, prefix);
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map((p) => [p.get(key) ?? "", p.get(value) ?? ""]));
}

function messageAttributes(params: Params, prefix: string): Input | undefined {
  const entries = indexed(params, prefix);
  if (entries.length === 0) return undefined;
  const out: Input = {};
  for (const p of entries) {
    out[p.get("Name") ?? ""] = {
      DataType: p.get("Value.DataType"),
      ...(p.has("Value.StringValue") && { StringValue: p.get("Value.StringValue") }),
      ...(p.has("Value.BinaryValue") && { BinaryValue: p.get("Value.BinaryValue") }),
    };
  }
  return out;
}

const INTEGER_MEMBERS = new Set([
  "DelaySeconds",
  "MaxNumberOfMessages",
  "WaitTimeSeconds",
  "VisibilityTimeout",
  "MaxResults",
  "MaxNumberOfMessagesPerSecond",
]);

/** Scalars, lists and maps shared by every SQS action's input. */
function decodeMembers(params: Params): Input {
  const input: Input = {};
  for (const [key, value] of params) {
    if (key.includes(".") || key === "Action" || key === "Version") continue;
    input[key] = INTEGER_MEMBERS.has(key) && /^-?\d+$/.test(value) ? Number(value) : value;
  }
  const attributes = map(params, "Attribute", "Name", "Value");
  if (attributes) input.Attributes = attributes;
  const tags = map(params, "Tag", "Key", "Value");
  if (tags) input.tags = input.Tags = tags;
  for (const [member, wire] of [
    ["AttributeNames", "AttributeName"],
    ["MessageSystemAttributeNames", "MessageSystemAttributeName"],
    ["MessageAttributeNames", "MessageAttributeName"],
    ["TagKeys", "TagKey"],
    ["AWSAccountIds", "AWSAccountId"],
    ["Actions", "ActionName"],
  ] as const) {
    const values = list(params, wire);
    if (values.length > 0) input[member] = values;
  }
  const attrs = messageAttributes(params, "MessageAttribute");
  if (attrs) input.MessageAttributes = attrs;
  const system = messageAttributes(params, "MessageSystemAttribute");
  if (system) input.MessageSystemAttributes = system;
  return input;
}

function decode(action: string, params: Params): Input {
  const input = decodeMembers(params);
  const entries = indexed(params, `${action}RequestEntry`);
  if (entries.length > 0) input.Entries = entries.map(decodeMembers);
  else if (action.endsWith("Batch") && !input.Entries) input.Entries = [];
  return input;
}

// ---- encoding -----------------------------------------------------------------------------

function mapXml(
  name: string,
  keyName: string,
  valueName: string,
  entries: Record<string, string> | undefined,
): string {
  return Object.entries(entries ?? {})
    .map(([k, v]) => wrap(name, el(keyName, k) + el(valueName, v)))
    .join("");
}

function messageAttributesXml(
  attrs: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }> | undefined,
) {
  return Object.entries(attrs ?? {})
    .map(([name, v]) =>
      wrap(
        "MessageAttribute",
        el("Name", name) +
          wrap(
            "Value",
            el("StringValue", v.StringValue) + el("BinaryValue", v.BinaryValue) + el("DataType", v.DataType),
          ),
      ),
    )
    .join("");
}

/** Scalars of an entry or result, in order, skipping lists and maps. */
function scalars(obj: Record<string, unknown>, skip: string[] = []): string {
  return Object.entries(obj)
    .filter(([k, v]) => !skip.includes(k) && v !== undefined && (typeof v !== "object" || v === null))
    .map(([k, v]) => el(k, v as string))
    .join("");
}

// biome-ignore lint/suspicious/noExplicitAny: outputs are the operations' plain result objects.
function encode(action: string, output: any): string {
  if (!output) return "";
  switch (action) {
    case "ListQueues":
    case "ListDeadLetterSourceQueues":
      return (
        ((output.QueueUrls ?? output.queueUrls ?? []) as string[]).map((u) => el("QueueUrl", u)).join("") +
        el("NextToken", output.NextToken)
      );
    case "GetQueueAttributes":
      return mapXml("Attribute", "Name", "Value", output.Attributes);
    case "ListQueueTags":
      return mapXml("Tag", "Key", "Value", output.Tags);
    case "ReceiveMessage":
      return ((output.Messages ?? []) as Array<Record<string, unknown>>)
        .map((msg) =>
          wrap(
            "Message",
            scalars(msg, ["Body"]) +
              el("Body", msg.Body as string) +
              mapXml("Attribute", "Name", "Value", msg.Attributes as Record<string, string>) +
              messageAttributesXml(msg.MessageAttributes as never),
          ),
        )
        .join("");
    case "SendMessageBatch":
    case "DeleteMessageBatch":
    case "ChangeMessageVisibilityBatch":
      return (
        (output.Successful as Array<Record<string, unknown>>)
          .map((e) => wrap(`${action}ResultEntry`, scalars(e)))
          .join("") +
        (output.Failed as Array<Record<string, unknown>>)
          .map((e) => wrap("BatchResultErrorEntry", scalars(e)))
          .join("")
      );
    case "ListMessageMoveTasks":
      return (output.Results as Array<Record<string, unknown>>)
        .map((r) => wrap("ListMessageMoveTasksResultEntry", scalars(r)))
        .join("");
    default:
      return typeof output === "object" ? scalars(output) : escapeXml(String(output));
  }
}

export const sqsQuery: QueryBinding = {
  version: "2012-11-05",
  xmlns: "http://queue.amazonaws.com/doc/2012-11-05/",
  decode,
  encode,
  voidActions: new Set([
    "AddPermission",
    "ChangeMessageVisibility",
    "DeleteMessage",
    "DeleteQueue",
    "PurgeQueue",
    "RemovePermission",
    "SetQueueAttributes",
    "TagQueue",
    "UntagQueue",
  ]),
};
