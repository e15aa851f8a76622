/**
 * What every CloudWatch model function works on, and the input checks they share. The model
 * knows no HTTP: operations hand it decoded input (JSON and query decode to the same shapes,
 * timestamps as epoch seconds) and the store key of the caller's account and region.
 */
import type { Clock } from "../core/context.ts";
import type { Ports } from "../core/ports.ts";
import { cwErrors } from "./errors.ts";
import { MAX_DIMENSION_VALUE_LENGTH, MAX_DIMENSIONS, MAX_NAME_LENGTH } from "./limits.ts";
import { type Change, type CloudWatchState, type Dimension, apply as reduce } from "./state.ts";

export interface Model {
  state: CloudWatchState;
  clock: Clock;
  ports: Ports;
  /** Applies a change and journals it. */
  record(change: Change): void;
  /** When old samples were last pruned (epoch ms). */
  lastPrune: number;
}

export function createModel(
  state: CloudWatchState,
  clock: Clock,
  ports: Ports,
  journal: (change: Change) => void,
): Model {
  return {
    state,
    clock,
    ports,
    lastPrune: Number.NEGATIVE_INFINITY,
    record(change) {
      reduce(state, change);
      journal(change);
    },
  };
}

export function stringParam(
  value: unknown,
  name: string,
  opts: { required?: boolean; min?: number; max?: number } = {},
): string | undefined {
  if (value === undefined || value === null) {
    if (opts.required) throw cwErrors.missingParameter(name);
    return undefined;
  }
  if (typeof value !== "string") throw cwErrors.invalidValue(name, value);
  if (value.length < (opts.min ?? 0) || value.length > (opts.max ?? Number.POSITIVE_INFINITY)) {
    throw cwErrors.invalidParameterValue(
      `The parameter ${name} must be between ${opts.min ?? 0} and ${opts.max} characters long.`,
    );
  }
  return value;
}

export function requiredString(value: unknown, name: string, max = MAX_NAME_LENGTH): string {
  return stringParam(value, name, { required: true, min: 1, max }) as string;
}

/** A finite double; the SDK sends NaN and infinities as the strings "NaN", "Infinity". */
export function numberParam(value: unknown, name: string, required = false): number | undefined {
  if (value === undefined || value === null) {
    if (required) throw cwErrors.missingParameter(name);
    return undefined;
  }
  if (typeof value !== "number" || !Number.isFinite(value)) throw cwErrors.invalidValue(name, value);
  return value;
}

export function integerParam(
  value: unknown,
  name: string,
  opts: { required?: boolean; min?: number; max?: number } = {},
): number | undefined {
  const n = numberParam(value, name, opts.required);
  if (n === undefined) return undefined;
  if (!Number.isInteger(n)) throw cwErrors.invalidValue(name, n);
  if (opts.min !== undefined && n < opts.min)
    throw cwErrors.invalidParameterValue(
      `The parameter ${name} must be greater than or equal to ${opts.min}.`,
    );
  if (opts.max !== undefined && n > opts.max)
    throw cwErrors.invalidParameterValue(`The parameter ${name} must be less than or equal to ${opts.max}.`);
  return n;
}

export function booleanParam(value: unknown, name: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw cwErrors.invalidValue(name, value);
  return value;
}

/** Epoch seconds (what the JSON protocol and the query decoder hand over) -> epoch ms. */
export function timestampParam(value: unknown, name: string, required = false): number | undefined {
  if (value === undefined || value === null) {
    if (required) throw cwErrors.missingParameter(name);
    return undefined;
  }
  if (typeof value === "number" && Number.isFinite(value)) return Math.round(value * 1000);
  if (typeof value === "string" && !Number.isNaN(Date.parse(value))) return Date.parse(value);
  throw cwErrors.invalidValue(name, value);
}

export function listParam(value: unknown, name: string, max?: number): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw cwErrors.invalidValue(name, value);
  if (max !== undefined && value.length > max) {
    throw cwErrors.invalidParameterValue(`The collection ${name} must not have a size greater than ${max}.`);
  }
  return value;
}

export function stringList(value: unknown, name: string, max?: number): string[] {
  const list = listParam(value, name, max);
  list.forEach((v, i) => {
    if (typeof v !== "string") throw cwErrors.invalidValue(`${name}.member.${i + 1}`, v);
  });
  return list as string[];
}

/** Dimensions, checked and sorted by name (the order does not make a different metric). */
export function dimensionsParam(
  value: unknown,
  name: string,
  opts: { valueRequired?: boolean } = {},
): Dimension[] {
  const list = listParam(value, name, MAX_DIMENSIONS);
  const seen = new Set<string>();
  const out: Dimension[] = [];
  list.forEach((d, i) => {
    const path = `${name}.member.${i + 1}`;
    if (d === null || typeof d !== "object") throw cwErrors.invalidValue(path, d);
    const entry = d as Record<string, unknown>;
    const dimName = requiredString(entry.Name, `${path}.Name`);
    const dimValue =
      opts.valueRequired === false
        ? stringParam(entry.Value, `${path}.Value`, { min: 1, max: MAX_DIMENSION_VALUE_LENGTH })
        : requiredString(entry.Value, `${path}.Value`, MAX_DIMENSION_VALUE_LENGTH);
    if (seen.has(dimName)) {
      throw cwErrors.invalidParameterValue(
        `No metric may have more than one dimension named ${dimName} (${name}).`,
      );
    }
    seen.add(dimName);
    out.push(dimValue === undefined ? ({ Name: dimName } as Dimension) : { Name: dimName, Value: dimValue });
  });
  return out.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

/** Offset pagination with an opaque token. */
export function paginate<T>(
  items: T[],
  nextToken: unknown,
  pageSize: number,
): { page: T[]; NextToken?: string } {
  let start = 0;
  if (nextToken !== undefined && nextToken !== null && nextToken !== "") {
    const decoded = Number(Buffer.from(String(nextToken), "base64url").toString("utf8"));
    if (!Number.isInteger(decoded) || decoded < 0 || decoded > items.length)
      throw cwErrors.invalidNextToken();
    start = decoded;
  }
  const page = items.slice(start, start + pageSize);
  const end = start + page.length;
  return end < items.length ? { page, NextToken: Buffer.from(String(end)).toString("base64url") } : { page };
}

/** Seconds since the epoch, the JSON protocol's timestamp form (the query codec writes ISO 8601). */
export const seconds = (ms: number) => ms / 1000;
