/**
 * EC2's query protocol, both directions, driven by the SDK's own schemas (schema.ts): requests
 * are flat `Action=...&InstanceId.1=...&Filter.1.Value.1=...` params, read into the same input
 * object the SDK was given; answers are the un-wrapped XML EC2 writes (`<reservationSet><item>`),
 * built from the operation's output object. A parameter the model does not know is refused as
 * AWS refuses it (UnknownParameter), so a typo never passes silently.
 */
import type { Input, QueryBinding } from "../core/service.ts";
import { el, escapeXml, wrap } from "../protocols/xml.ts";
import { ec2Errors } from "./errors.ts";
import { type Member, operationShapes, type Shape } from "./schema.ts";

type Params = Map<string, string>;

/** Names that ride along with every request and are not the operation's input. */
const ENVELOPE = /^(Action|Version|X-Amz-.*)$/;

const queryKey = (m: Member) => {
  if (m.ec2QueryName) return m.ec2QueryName;
  const name = m.xmlName ?? m.name;
  return name.charAt(0).toUpperCase() + name.slice(1);
};

function scalar(type: string, raw: string, key: string): unknown {
  switch (type) {
    case "number": {
      if (!/^-?\d+(\.\d+)?$/.test(raw)) throw ec2Errors.invalidParameterValue(raw, key);
      return Number(raw);
    }
    case "boolean":
      if (raw !== "true" && raw !== "false") throw ec2Errors.invalidParameterValue(raw, key);
      return raw === "true";
    case "timestamp": {
      const at = /^\d+(\.\d+)?$/.test(raw) ? new Date(Number(raw) * 1000) : new Date(raw);
      if (Number.isNaN(at.getTime())) throw ec2Errors.invalidParameterValue(raw, key);
      return at;
    }
    default:
      return raw; // strings, and blobs as the base64 text they arrive in
  }
}

/** Indices N of `key.N...`, ascending. */
function indices(params: Params, key: string): number[] {
  const head = `${key}.`;
  const found = new Set<number>();
  for (const k of params.keys()) {
    if (!k.startsWith(head)) continue;
    const rest = k.slice(head.length);
    const dot = rest.indexOf(".");
    const n = Number(dot < 0 ? rest : rest.slice(0, dot));
    if (Number.isInteger(n) && n > 0) found.add(n);
  }
  return [...found].sort((a, b) => a - b);
}

function read(shape: Shape, key: string, params: Params, used: Set<string>): unknown {
  switch (shape.kind) {
    case "scalar": {
      const raw = params.get(key);
      if (raw === undefined) return undefined;
      used.add(key);
      return scalar(shape.type, raw, key);
    }
    case "list": {
      // EC2 lists are flattened: `InstanceId.1`, never `InstanceId.member.1`.
      const items = indices(params, key).map((n) => read(shape.member.shape, `${key}.${n}`, params, used));
      return items.length > 0 ? items.filter((v) => v !== undefined) : undefined;
    }
    case "struct": {
      const out: Input = {};
      let any = false;
      for (const m of shape.members) {
        const value = read(m.shape, key ? `${key}.${queryKey(m)}` : queryKey(m), params, used);
        if (value === undefined) continue;
        out[m.name] = value;
        any = true;
      }
      return any ? out : undefined;
    }
  }
}

function decode(action: string, params: Params): Input {
  const used = new Set<string>();
  const input = (read(operationShapes(action).input, "", params, used) ?? {}) as Input;
  for (const key of params.keys()) {
    if (!used.has(key) && !ENVELOPE.test(key)) throw ec2Errors.unknownParameter(key);
  }
  return input;
}

function scalarText(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  return String(value);
}

function write(shape: Shape, value: unknown, name: string): string {
  if (value === undefined || value === null) return "";
  switch (shape.kind) {
    case "scalar":
      return `<${name}>${escapeXml(scalarText(value))}</${name}>`;
    case "list": {
      const itemName = shape.member.xmlName ?? "member";
      return wrap(name, (value as unknown[]).map((v) => write(shape.member.shape, v, itemName)).join(""));
    }
    case "struct":
      return wrap(name, members(shape, value as Record<string, unknown>));
  }
}

function members(shape: Extract<Shape, { kind: "struct" }>, value: Record<string, unknown>): string {
  return shape.members.map((m) => write(m.shape, value[m.name], m.xmlName ?? m.name)).join("");
}

function encode(action: string, output: unknown): string {
  const shape = operationShapes(action).output;
  // Actions with no output answer `<return>true</return>`, as EC2 does.
  if (shape.kind !== "struct") return el("return", true);
  return members(shape, (output ?? {}) as Record<string, unknown>);
}

export const ec2Query: QueryBinding = {
  flavor: "ec2",
  version: "2016-11-15",
  xmlns: "http://ec2.amazonaws.com/doc/2016-11-15/",
  decode,
  encode,
};
