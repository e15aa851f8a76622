/**
 * Subscription filter policies: validation and a pure `matches(policy, message)`, no I/O.
 * Supported (SNS developer guide, "Amazon SNS message filtering"): exact string and numeric
 * values, `prefix`, `suffix`, `equals-ignore-case`, `anything-but` (values or a prefix/suffix),
 * `numeric` ranges, `exists`, `$or`; scope `MessageAttributes` (String, String.Array, Number
 * attributes; Binary ones only count for `exists`) or `MessageBody` (nested JSON keys).
 */
import { snsErrors } from "./errors.ts";
import { MAX_FILTER_POLICY_COMBINATIONS, MAX_FILTER_POLICY_KEYS } from "./limits.ts";

export type FilterPolicy = { [key: string]: unknown };
export type Scope = "MessageAttributes" | "MessageBody";
export interface AttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

const bad = (reason: string) => snsErrors.invalidParameter(`FilterPolicy: ${reason}`);
const NUMERIC_OPS = new Set(["<", "<=", "=", ">", ">="]);

/** Parses and checks a policy; returns it, or throws InvalidParameter with AWS's wording. */
export function parseFilterPolicy(text: string, scope: Scope): FilterPolicy | undefined {
  if (text.trim() === "" || text.trim() === "{}") return undefined;
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    throw bad("failed to parse JSON.");
  }
  if (policy === null || typeof policy !== "object" || Array.isArray(policy)) {
    throw bad("Filter policy must be a JSON object.");
  }
  const { keys, combinations } = check(policy as FilterPolicy, scope === "MessageBody", 0);
  if (scope === "MessageAttributes" && keys > MAX_FILTER_POLICY_KEYS) {
    throw bad(`Filter policy can not have more than ${MAX_FILTER_POLICY_KEYS} keys`);
  }
  if (combinations > MAX_FILTER_POLICY_COMBINATIONS) {
    throw bad(
      `Filter policy is too complex (${combinations} combinations > ${MAX_FILTER_POLICY_COMBINATIONS}).`,
    );
  }
  return policy as FilterPolicy;
}

function check(policy: FilterPolicy, nested: boolean, depth: number): { keys: number; combinations: number } {
  let keys = 0;
  let combinations = 1;
  for (const [key, value] of Object.entries(policy)) {
    if (key === "$or") {
      if (!Array.isArray(value) || value.length < 2)
        throw bad('"$or" needs an array of at least two policies.');
      let sum = 0;
      for (const branch of value) {
        if (branch === null || typeof branch !== "object" || Array.isArray(branch)) {
          throw bad('"$or" members must be objects.');
        }
        const inner = check(branch as FilterPolicy, nested, depth);
        keys = Math.max(keys, inner.keys);
        sum += inner.combinations;
      }
      combinations *= sum;
      continue;
    }
    keys += 1;
    if (Array.isArray(value)) {
      if (value.length === 0) throw bad(`Empty arrays are not allowed (key ${key}).`);
      for (const rule of value) checkRule(key, rule);
      combinations *= value.length;
    } else if (nested && value !== null && typeof value === "object") {
      const inner = check(value as FilterPolicy, nested, depth + 1);
      keys += inner.keys - 1;
      combinations *= inner.combinations;
    } else {
      throw bad(`"${key}" must be an array or JSON object`);
    }
  }
  return { keys, combinations };
}

function checkRule(key: string, rule: unknown): void {
  if (rule === null || typeof rule === "string" || typeof rule === "number" || typeof rule === "boolean")
    return;
  if (typeof rule !== "object" || Array.isArray(rule))
    throw bad(`Match value must be String, number, true, false, or null (key ${key}).`);
  const entries = Object.entries(rule as Record<string, unknown>);
  if (entries.length !== 1) throw bad(`Only one operator per match object (key ${key}).`);
  const [op, arg] = entries[0] as [string, unknown];
  switch (op) {
    case "prefix":
    case "suffix":
    case "equals-ignore-case":
      if (typeof arg !== "string") throw bad(`${op} match pattern must be a string`);
      return;
    case "exists":
      if (typeof arg !== "boolean") throw bad("exists match pattern must be either true or false.");
      return;
    case "anything-but": {
      if (typeof arg === "string" || typeof arg === "number") return;
      if (
        Array.isArray(arg) &&
        arg.length > 0 &&
        arg.every((v) => typeof v === "string" || typeof v === "number")
      )
        return;
      if (arg && typeof arg === "object" && !Array.isArray(arg)) {
        const [inner, value] = Object.entries(arg)[0] ?? [];
        if ((inner === "prefix" || inner === "suffix") && typeof value === "string") return;
      }
      throw bad("anything-but must be a value, a list of values, or a prefix/suffix object");
    }
    case "numeric": {
      if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0 || arg.length > 4) {
        throw bad("Value of numeric must be an array of one or two operator/number pairs.");
      }
      for (let i = 0; i < arg.length; i += 2) {
        if (!NUMERIC_OPS.has(arg[i] as string))
          throw bad(`Unrecognized numeric range operator: ${String(arg[i])}`);
        if (typeof arg[i + 1] !== "number") throw bad("Value of numeric range must be numeric");
      }
      return;
    }
    default:
      throw bad(`Unrecognized match type ${op}`);
  }
}

type Value = string | number | boolean | null;

function ruleMatches(rule: unknown, present: boolean, values: Value[]): boolean {
  if (rule !== null && typeof rule === "object") {
    const [op, arg] = Object.entries(rule as Record<string, unknown>)[0] as [string, unknown];
    if (op === "exists") return arg === present;
    if (!present) return false;
    return values.some((v) => operatorMatches(op, arg, v));
  }
  return present && values.some((v) => v === rule);
}

function operatorMatches(op: string, arg: unknown, v: Value): boolean {
  switch (op) {
    case "prefix":
      return typeof v === "string" && v.startsWith(arg as string);
    case "suffix":
      return typeof v === "string" && v.endsWith(arg as string);
    case "equals-ignore-case":
      return typeof v === "string" && v.toLowerCase() === (arg as string).toLowerCase();
    case "anything-but": {
      if (Array.isArray(arg)) return !arg.includes(v);
      if (arg !== null && typeof arg === "object") {
        const [inner, s] = Object.entries(arg)[0] as [string, string];
        if (typeof v !== "string") return true;
        return inner === "prefix" ? !v.startsWith(s) : !v.endsWith(s);
      }
      return v !== arg;
    }
    case "numeric": {
      if (typeof v !== "number") return false;
      const ops = arg as Array<string | number>;
      for (let i = 0; i < ops.length; i += 2) {
        const n = ops[i + 1] as number;
        const ok =
          ops[i] === "<"
            ? v < n
            : ops[i] === "<="
              ? v <= n
              : ops[i] === "="
                ? v === n
                : ops[i] === ">"
                  ? v > n
                  : v >= n;
        if (!ok) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** Rules of one key: any rule matching is enough. */
const keyMatches = (rules: unknown[], present: boolean, values: Value[]) =>
  rules.some((rule) => ruleMatches(rule, present, values));

function attributeValues(attr: AttributeValue | undefined): { present: boolean; values: Value[] } {
  if (!attr) return { present: false, values: [] };
  const type = attr.DataType.split(".")[0];
  if (attr.DataType.startsWith("String.Array")) {
    try {
      const parsed: unknown = JSON.parse(attr.StringValue ?? "");
      if (Array.isArray(parsed))
        return { present: true, values: parsed.filter((v) => typeof v !== "object" || v === null) };
    } catch {
      // not an array: matched as a plain string below
    }
  }
  if (type === "Number") return { present: true, values: [Number(attr.StringValue)] };
  if (type === "Binary") return { present: true, values: [] };
  return { present: true, values: [attr.StringValue ?? ""] };
}

export function matchesAttributes(policy: FilterPolicy, attributes: Record<string, AttributeValue>): boolean {
  return Object.entries(policy).every(([key, rules]) => {
    if (key === "$or")
      return (rules as FilterPolicy[]).some((branch) => matchesAttributes(branch, attributes));
    const { present, values } = attributeValues(attributes[key]);
    return keyMatches(rules as unknown[], present, values);
  });
}

export function matchesBody(policy: FilterPolicy, body: unknown): boolean {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return false;
  const obj = body as Record<string, unknown>;
  return Object.entries(policy).every(([key, rules]) => {
    if (key === "$or") return (rules as FilterPolicy[]).some((branch) => matchesBody(branch, body));
    const value = obj[key];
    if (!Array.isArray(rules)) return matchesBody(rules as FilterPolicy, value);
    const present = value !== undefined;
    const values = (Array.isArray(value) ? value : [value]).filter(
      (v): v is Value => v === null || typeof v !== "object",
    );
    return keyMatches(rules, present, values);
  });
}
