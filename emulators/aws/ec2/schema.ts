/**
 * The EC2 shapes as the AWS SDK itself describes them: `@aws-sdk/client-ec2` exports each
 * operation and shape as a static Smithy schema (`RunInstances$`, `Instance$`, ...), the same
 * data its own EC2-query serializer and XML parser run on. Reading them here means every wire
 * name (`InstanceId.1`, `instancesSet`, `instanceState`, `item`) comes from the SDK we pin and
 * none is typed by hand. Only the schema kinds EC2 uses are read (scalars, lists, structures).
 *
 * The layout read here (`[kind, namespace, name, traits, ...]`, kinds 0 simple, 1 list, 2 map,
 * 3 structure, 9 operation; bare numbers for scalars, `64 | x` for a list of scalars; members as
 * `[schema, traits]`) is @smithy/core's; ec2-schema.test.ts fails loudly if an SDK update changes it.
 */
import { createRequire } from "node:module";

// Loaded on the first EC2 request, not at start: the client is large (about 0.2-0.3 s to load) and
// most emulator runs never call EC2. Its single CommonJS bundle loads faster than its ESM tree.
let sdk: Record<string, unknown> | undefined;
const loadSdk = () => {
  sdk ??= createRequire(import.meta.url)("@aws-sdk/client-ec2") as Record<string, unknown>;
  return sdk;
};

export type Scalar = "string" | "number" | "boolean" | "timestamp" | "blob" | "other";

export type Shape =
  | { kind: "scalar"; type: Scalar }
  | { kind: "list"; member: Member }
  | { kind: "struct"; name: string; members: Member[] };

export interface Member {
  name: string;
  /** Element name in answers (`instancesSet`); the member name when absent. */
  xmlName?: string;
  /** Key in requests (`InstanceId`); else the capitalised xmlName or member name. */
  ec2QueryName?: string;
  readonly shape: Shape;
}

type Traits = { xmlName?: string; ec2QueryName?: string };

const deref = (ref: unknown): unknown => {
  let r = ref;
  while (typeof r === "function") r = (r as () => unknown)();
  return r;
};

function scalarOf(code: number): Shape {
  if (code >= 64 && code < 128) return { kind: "list", member: member("member", code & 63) };
  if (code === 0) return { kind: "scalar", type: "string" };
  if (code === 1) return { kind: "scalar", type: "number" };
  if (code === 2) return { kind: "scalar", type: "boolean" };
  if (code >= 4 && code <= 7) return { kind: "scalar", type: "timestamp" };
  if (code === 21 || code === 42) return { kind: "scalar", type: "blob" };
  return { kind: "scalar", type: "other" };
}

const cache = new WeakMap<object, Shape>();

export function shapeOf(ref: unknown): Shape {
  const r = deref(ref);
  if (typeof r === "number") return scalarOf(r);
  if (!Array.isArray(r)) return { kind: "scalar", type: "other" }; // "unit"
  const cached = cache.get(r);
  if (cached) return cached;
  let shape: Shape;
  switch (r[0]) {
    case 0:
      shape = shapeOf(r[4]);
      break;
    case 1:
      shape = { kind: "list", member: member("member", r[4]) };
      break;
    case 3:
    case -3: {
      const names = r[4] as string[];
      const schemas = r[5] as unknown[];
      shape = { kind: "struct", name: String(r[2]), members: names.map((n, i) => member(n, schemas[i])) };
      break;
    }
    default:
      shape = { kind: "scalar", type: "other" };
  }
  cache.set(r, shape);
  return shape;
}

function member(name: string, ref: unknown): Member {
  let r = ref;
  let traits: Traits = {};
  // `[schema, traits]`; traits are an object, or a bit set of flags that carry no names.
  while (Array.isArray(r) && r.length === 2) {
    if (r[1] && typeof r[1] === "object") traits = { ...(r[1] as Traits), ...traits };
    r = r[0];
  }
  let resolved: Shape | undefined;
  return {
    name,
    ...(traits.xmlName !== undefined && { xmlName: traits.xmlName }),
    ...(traits.ec2QueryName !== undefined && { ec2QueryName: traits.ec2QueryName }),
    get shape() {
      resolved ??= shapeOf(r);
      return resolved;
    },
  };
}

/** An operation's input and output structures, from the SDK's `<Action>$` operation schema. */
export function operationShapes(action: string): { input: Shape; output: Shape } {
  const op = deref(loadSdk()[`${action}$`]);
  if (!Array.isArray(op) || op[0] !== 9) throw new Error(`@aws-sdk/client-ec2 has no operation ${action}`);
  return { input: shapeOf(op[4]), output: shapeOf(op[5]) };
}
