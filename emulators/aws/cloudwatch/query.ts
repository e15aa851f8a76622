/**
 * CloudWatch over the query protocol (clients before @aws-sdk/client-cloudwatch 3.949, the AWS
 * CLI v1 with older botocore). Input: flat `A.member.N.B=x` params become the JSON protocol's
 * shapes (lists from `.member.N`, numbers, booleans, timestamps as epoch seconds). Output: the
 * operation's object as XML with `<member>` list items, timestamps in ISO 8601. Which members are
 * numbers, booleans and timestamps is data here, from the SDK's schemas.
 */
import type { Input, QueryBinding } from "../core/service.ts";
import { el, escapeXml } from "../protocols/xml.ts";

const NUMBERS = new Set([
  "Value",
  "Values",
  "Counts",
  "SampleCount",
  "Sum",
  "Minimum",
  "Maximum",
  "StorageResolution",
  "Period",
  "EvaluationPeriods",
  "DatapointsToAlarm",
  "Threshold",
  "MaxRecords",
  "MaxDatapoints",
  "EvaluationInterval",
]);
const BOOLEANS = new Set(["ActionsEnabled", "ReturnData", "StrictEntityValidation", "IncludeLinkedAccounts"]);
const TIMESTAMPS = new Set([
  "Timestamp",
  "Timestamps",
  "StartTime",
  "EndTime",
  "StartDate",
  "EndDate",
  "StateUpdatedTimestamp",
  "StateTransitionedTimestamp",
  "AlarmConfigurationUpdatedTimestamp",
  "LastModified",
]);
/** Lists that an empty param (`AlarmActions=`) sets to []. */
const LISTS = new Set([
  "OKActions",
  "AlarmActions",
  "InsufficientDataActions",
  "Dimensions",
  "Tags",
  "Metrics",
]);
/** Structures whose members are all strings (a dimension's or tag's `Value` is no number). */
const STRING_STRUCTURES = new Set(["Dimensions", "Tags"]);
/** Maps in outputs (`<entry><key/><value/></entry>`). */
const MAPS = new Set(["ExtendedStatistics"]);

type Node = Record<string, unknown> | unknown[];

/** `MetricData.member.2.Dimensions.member.1.Name` -> ["MetricData", 1, "Dimensions", 0, "Name"]. */
function path(key: string): Array<string | number> {
  const parts = key.split(".");
  const out: Array<string | number> = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? "";
    const index = Number(parts[i + 1]);
    if (part === "member" && Number.isInteger(index) && index >= 1) {
      out.push(index - 1);
      i++;
    } else out.push(part);
  }
  return out;
}

function convert(name: string, value: string): unknown {
  if (NUMBERS.has(name)) return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value) ? Number(value) : value;
  if (BOOLEANS.has(name)) return value === "true" ? true : value === "false" ? false : value;
  if (TIMESTAMPS.has(name)) {
    if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? value : ms / 1000;
  }
  return value;
}

function compact(node: unknown): unknown {
  if (Array.isArray(node)) return node.filter((v) => v !== undefined).map(compact);
  if (node && typeof node === "object") {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, compact(v)]));
  }
  return node;
}

function decode(_action: string, params: Map<string, string>): Input {
  const root: Record<string, unknown> = {};
  for (const [key, value] of params) {
    if (key === "Action" || key === "Version") continue;
    const segments = path(key);
    const strings = segments
      .slice(0, -1)
      .some((seg) => typeof seg === "string" && STRING_STRUCTURES.has(seg));
    let node: Node = root;
    let field = "";
    segments.forEach((seg, i) => {
      const last = i === segments.length - 1;
      if (typeof seg === "string") field = seg;
      if (last) {
        const converted =
          LISTS.has(field) && value === "" && typeof seg === "string"
            ? []
            : strings
              ? value
              : convert(field, value);
        (node as Record<string | number, unknown>)[seg] = converted;
        return;
      }
      const next = segments[i + 1];
      const holder = node as Record<string | number, unknown>;
      if (holder[seg] === undefined || typeof holder[seg] !== "object")
        holder[seg] = typeof next === "number" ? [] : {};
      node = holder[seg] as Node;
    });
  }
  return compact(root) as Input;
}

function xml(name: string, value: unknown, timestamp = TIMESTAMPS.has(name)): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value))
    return `<${name}>${value.map((v) => xml("member", v, timestamp)).join("")}</${name}>`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (MAPS.has(name)) {
      return `<${name}>${entries.map(([k, v]) => `<entry>${el("key", k)}${xml("value", v)}</entry>`).join("")}</${name}>`;
    }
    return `<${name}>${entries.map(([k, v]) => xml(k, v)).join("")}</${name}>`;
  }
  if (typeof value === "number" && timestamp) return el(name, new Date(value * 1000).toISOString());
  return el(name, value as string | number | boolean);
}

// biome-ignore lint/suspicious/noExplicitAny: outputs are the operations' plain result objects.
function encode(_action: string, output: any): string {
  if (!output || typeof output !== "object") return output ? escapeXml(String(output)) : "";
  return Object.entries(output as Record<string, unknown>)
    .map(([k, v]) => xml(k, v))
    .join("");
}

export const cloudWatchQuery: QueryBinding = {
  version: "2010-08-01",
  xmlns: "http://monitoring.amazonaws.com/doc/2010-08-01/",
  decode,
  encode,
  voidActions: new Set([
    "PutMetricData",
    "PutMetricAlarm",
    "DeleteAlarms",
    "SetAlarmState",
    "EnableAlarmActions",
    "DisableAlarmActions",
  ]),
};
