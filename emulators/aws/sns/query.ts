/**
 * SNS over the query protocol (the only one SNS speaks): flat `A.member.1.B=x` /
 * `A.entry.1.key=k` params become the nested input the SDK's shapes describe, and outputs become
 * XML with lists as `<member>` and the `Attributes` maps as `<entry><key/><value/></entry>`.
 */
import type { Input, QueryBinding } from "../core/service.ts";
import { el, wrap } from "../protocols/xml.ts";

type Tree = { [key: string]: Tree | string };

function normalize(node: Tree | string): unknown {
  if (typeof node === "string") return node;
  const keys = Object.keys(node);
  const byIndex = (items: Tree | string) =>
    typeof items === "string"
      ? []
      : Object.entries(items)
          .sort((a, b) => Number(a[0]) - Number(b[0]))
          .map(([, v]) => v);
  if (keys.length === 1 && keys[0] === "member") return byIndex(node.member as Tree).map(normalize);
  if (keys.length === 1 && keys[0] === "entry") {
    const out: Record<string, unknown> = {};
    for (const e of byIndex(node.entry as Tree)) {
      if (typeof e === "string") continue;
      const key = e.key ?? e.Name;
      const value = e.value ?? e.Value;
      if (typeof key === "string") out[key] = value === undefined ? "" : normalize(value);
    }
    return out;
  }
  return Object.fromEntries(keys.map((k) => [k, normalize(node[k] as Tree | string)]));
}

function decode(_action: string, params: Map<string, string>): Input {
  const root: Tree = {};
  for (const [key, value] of params) {
    if (key === "Action" || key === "Version") continue;
    const parts = key.split(".");
    let node = root;
    for (const [i, part] of parts.entries()) {
      if (i === parts.length - 1) {
        if (typeof node[part] !== "object") node[part] = value;
        break;
      }
      const next = node[part];
      if (typeof next === "object") node = next;
      else {
        const created: Tree = {};
        node[part] = created;
        node = created;
      }
    }
  }
  return normalize(root) as Input;
}

function toXml(name: string, value: unknown): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return wrap(name, value.map((v) => toXml("member", v)).join(""));
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (name === "Attributes") {
      return wrap(
        name,
        entries.map(([k, v]) => wrap("entry", el("key", k) + el("value", String(v)))).join(""),
      );
    }
    return wrap(name, entries.map(([k, v]) => toXml(k, v)).join(""));
  }
  return el(name, value as string | number | boolean);
}

function encode(_action: string, output: unknown): string {
  if (!output || typeof output !== "object") return "";
  return Object.entries(output as Record<string, unknown>)
    .map(([k, v]) => toXml(k, v))
    .join("");
}

export const snsQuery: QueryBinding = {
  version: "2010-03-31",
  xmlns: "http://sns.amazonaws.com/doc/2010-03-31/",
  decode,
  encode,
  // Actions whose model has no output shape: their answer is only <ResponseMetadata>.
  voidActions: new Set(["DeleteTopic", "SetTopicAttributes", "Unsubscribe", "SetSubscriptionAttributes"]),
};
