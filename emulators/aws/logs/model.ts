/**
 * The CloudWatch Logs model: log groups, streams, events, retention, metric filters and tags. It
 * knows no HTTP: operations hand it names and values, it hands back plain data. Time comes only
 * from the injected clock; expired events are removed lazily (every read of a group first drops
 * what its retention no longer keeps) and by the periodic sweep in index.ts.
 */

import type { Clock } from "../core/context.ts";
import { STANDARD_UNITS } from "../core/metric-units.ts";
import type { MetricDatum, Where } from "../core/ports.ts";
import { logsErrors } from "./errors.ts";
import {
  type CompiledPattern,
  compileFilterPattern,
  FilterPatternError,
  jsonField,
} from "./filter-pattern.ts";
import {
  EVENT_OVERHEAD_BYTES,
  FILTER_NAME,
  LOG_GROUP_NAME,
  LOG_STREAM_NAME,
  MAX_AGE_MS,
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  MAX_BATCH_SPAN_MS,
  MAX_DIMENSIONS,
  MAX_EVENT_BYTES,
  MAX_FILTER_PATTERN_LENGTH,
  MAX_FUTURE_MS,
  MAX_METRIC_FILTERS_PER_GROUP,
  MAX_METRIC_VALUE_LENGTH,
  MAX_TAGS,
  METRIC_NAME,
  RETENTION_DAYS,
  TAG_KEY,
  TAG_VALUE,
} from "./limits.ts";
import { isExpired, retentionCutoff } from "./retention.ts";
import {
  apply,
  type Change,
  type GroupMeta,
  type LogEvent,
  type LogGroup,
  type LogStream,
  type LogsState,
  type MetricFilter,
  type MetricTransformation,
} from "./state.ts";

export interface Model {
  state: LogsState;
  clock: Clock;
  /** Applies a change and journals it. */
  commit(change: Change): void;
  /** Metric filter output (the putMetricData port). */
  publish(where: Where, namespace: string, datum: MetricDatum): void;
  patterns: Map<string, CompiledPattern>;
}

export function createModel(
  state: LogsState,
  clock: Clock,
  record: (c: Change) => void,
  publish: Model["publish"],
): Model {
  return {
    state,
    clock,
    publish,
    patterns: new Map(),
    commit(change) {
      apply(state, change);
      record(change);
    },
  };
}

const invalid = logsErrors.invalidParameter;

export function groupArn(where: Where, name: string): string {
  return `arn:aws:logs:${where.region}:${where.accountId}:log-group:${name}`;
}

export function streamArn(group: LogGroup, stream: string): string {
  return `${group.arn}:log-stream:${stream}`;
}

export function compilePattern(m: Model, pattern: string): CompiledPattern {
  let compiled = m.patterns.get(pattern);
  if (!compiled) {
    try {
      compiled = compileFilterPattern(pattern);
    } catch (err) {
      if (err instanceof FilterPatternError) throw invalid(`Invalid filter pattern: ${err.message}`);
      throw err;
    }
    if (m.patterns.size > 1_000) m.patterns.clear();
    m.patterns.set(pattern, compiled);
  }
  return compiled;
}

// ---------------------------------------------------------------------------------------------
// Log groups

function checkName(kind: string, name: unknown, rule: { min: number; max: number; pattern: RegExp }): string {
  if (typeof name !== "string") throw invalid(`${kind} is required.`);
  if (name.length < rule.min || name.length > rule.max || !rule.pattern.test(name)) {
    throw invalid(
      `1 validation error detected: Value '${name}' at '${kind}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${rule.pattern.source} and length ${rule.min}-${rule.max}`,
    );
  }
  return name;
}

export function checkTags(tags: unknown): Record<string, string> {
  if (tags === undefined || tags === null) return {};
  if (typeof tags !== "object" || Array.isArray(tags)) throw invalid("tags must be a map.");
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) {
    if (
      k.length < TAG_KEY.min ||
      k.length > TAG_KEY.max ||
      !TAG_KEY.pattern.test(k) ||
      k.startsWith("aws:")
    ) {
      throw invalid(`Invalid tag key '${k}'.`);
    }
    if (typeof v !== "string" || v.length > TAG_VALUE.max || !TAG_VALUE.pattern.test(v)) {
      throw invalid(`Invalid value for tag '${k}'.`);
    }
    out[k] = v;
  }
  return out;
}

function meta(g: LogGroup): GroupMeta {
  const { streams: _s, filters: _f, ...rest } = g;
  return rest;
}

export function createLogGroup(
  m: Model,
  where: Where,
  input: {
    name: unknown;
    tags?: unknown;
    kmsKeyId?: unknown;
    logGroupClass?: unknown;
    deletionProtection?: unknown;
  },
): void {
  const name = checkName("logGroupName", input.name, LOG_GROUP_NAME);
  if (name.startsWith("aws/")) throw invalid("Log group names can't start with 'aws/'.");
  const tags = checkTags(input.tags);
  if (Object.keys(tags).length > MAX_TAGS) throw logsErrors.tooManyTags(groupArn(where, name));
  const cls = input.logGroupClass ?? "STANDARD";
  if (!["STANDARD", "INFREQUENT_ACCESS", "DELIVERY"].includes(String(cls)))
    throw invalid(`Invalid logGroupClass '${String(cls)}'.`);
  const arn = groupArn(where, name);
  if (m.state.groups.has(arn)) throw logsErrors.groupExists();
  const g: GroupMeta = {
    arn,
    name,
    region: where.region,
    accountId: where.accountId,
    creationTime: m.clock.now(),
    logGroupClass: String(cls),
    tags,
    ...(typeof input.kmsKeyId === "string" && { kmsKeyId: input.kmsKeyId }),
    ...(input.deletionProtection === true && { deletionProtectionEnabled: true }),
    // "Log events in log groups in the Delivery class are kept in CloudWatch Logs for only one day."
    ...(cls === "DELIVERY" && { retentionInDays: 1 }),
  };
  m.commit({ t: "group", g });
}

export function getGroup(m: Model, where: Where, name: unknown): LogGroup {
  if (typeof name !== "string" || name === "") throw invalid("logGroupName is required.");
  const g = m.state.groups.get(groupArn(where, name));
  if (!g) throw logsErrors.groupNotFound();
  return g;
}

/** `logGroupName` or `logGroupIdentifier` (a name or an ARN, with or without `:*`): exactly one. */
export function resolveGroup(m: Model, where: Where, name: unknown, identifier: unknown): LogGroup {
  if (name !== undefined && identifier !== undefined)
    throw invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.");
  if (identifier === undefined) return getGroup(m, where, name);
  if (typeof identifier !== "string" || identifier === "") throw invalid("logGroupIdentifier is required.");
  const arn = /^arn:[^:]+:logs:([^:]*):([^:]*):log-group:(.+?)(:\*)?$/.exec(identifier);
  if (!arn) return getGroup(m, where, identifier);
  return getGroup(m, { region: arn[1] ?? where.region, accountId: arn[2] ?? where.accountId }, arn[3]);
}

export function deleteLogGroup(m: Model, where: Where, name: unknown): void {
  const g = getGroup(m, where, name);
  if (g.deletionProtectionEnabled) {
    throw logsErrors.invalidOperation("Log group has deletion protection enabled and cannot be deleted.");
  }
  m.commit({ t: "groupDeleted", arn: g.arn });
}

/** Groups of one account and region, by name; retention enforced first. */
export function listGroups(m: Model, where: Where): LogGroup[] {
  const prefix = groupArn(where, "");
  const out = [...m.state.groups.values()].filter((g) => g.arn.startsWith(prefix));
  for (const g of out) enforceRetention(m, g);
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function storedBytes(g: LogGroup): number {
  let n = 0;
  for (const s of g.streams.values()) n += s.bytes;
  return n;
}

export function putRetentionPolicy(m: Model, where: Where, name: unknown, days: unknown): void {
  const g = getGroup(m, where, name);
  if (typeof days !== "number" || !RETENTION_DAYS.has(days)) {
    throw invalid(
      `1 validation error detected: Value '${String(days)}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${[...RETENTION_DAYS].join(", ")}]`,
    );
  }
  m.commit({ t: "group", g: { ...meta(g), retentionInDays: days } });
  // A lowered retention hides old events at once.
  enforceRetention(m, g);
}

export function deleteRetentionPolicy(m: Model, where: Where, name: unknown): void {
  const g = getGroup(m, where, name);
  const { retentionInDays: _r, ...rest } = meta(g);
  m.commit({ t: "group", g: rest });
}

/** Drops the events a group's retention no longer keeps; cheap when nothing expired. */
export function enforceRetention(m: Model, g: LogGroup): void {
  if (g.retentionInDays === undefined) return;
  const now = m.clock.now();
  for (const s of g.streams.values()) {
    const first = s.events[0];
    if (first && isExpired(first.ts, g.retentionInDays, now)) {
      m.commit({ t: "expired", arn: g.arn, before: retentionCutoff(g.retentionInDays, now) });
      return;
    }
  }
}

export function sweep(m: Model): void {
  for (const g of m.state.groups.values()) enforceRetention(m, g);
}

// ---------------------------------------------------------------------------------------------
// Tags

export function groupFromArn(m: Model, arn: unknown): LogGroup {
  if (typeof arn !== "string" || arn === "") throw invalid("resourceArn is required.");
  const g = m.state.groups.get(arn.replace(/:\*$/, ""));
  if (!g) throw logsErrors.resourceNotFound(`The specified resource does not exist: ${arn}`);
  return g;
}

export function tagGroup(m: Model, g: LogGroup, tags: Record<string, string>): void {
  const merged = { ...g.tags, ...tags };
  if (Object.keys(merged).length > MAX_TAGS) throw logsErrors.tooManyTags(g.arn);
  m.commit({ t: "group", g: { ...meta(g), tags: merged } });
}

export function untagGroup(m: Model, g: LogGroup, keys: unknown): void {
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== "string"))
    throw invalid("tagKeys must be a list.");
  const tags = { ...g.tags };
  for (const k of keys as string[]) delete tags[k];
  m.commit({ t: "group", g: { ...meta(g), tags } });
}

// ---------------------------------------------------------------------------------------------
// Log streams

export function createLogStream(m: Model, g: LogGroup, name: unknown): void {
  const stream = checkName("logStreamName", name, LOG_STREAM_NAME);
  if (g.streams.has(stream)) throw logsErrors.streamExists();
  m.commit({ t: "stream", arn: g.arn, s: { name: stream, creationTime: m.clock.now() } });
}

export function getStream(g: LogGroup, name: unknown): LogStream {
  if (typeof name !== "string" || name === "") throw invalid("logStreamName is required.");
  const s = g.streams.get(name);
  if (!s) throw logsErrors.streamNotFound();
  return s;
}

export function deleteLogStream(m: Model, g: LogGroup, name: unknown): void {
  const s = getStream(g, name);
  m.commit({ t: "streamDeleted", arn: g.arn, name: s.name });
}

// ---------------------------------------------------------------------------------------------
// PutLogEvents

export interface RejectedInfo {
  tooNewLogEventStartIndex?: number;
  tooOldLogEventEndIndex?: number;
  expiredLogEventEndIndex?: number;
}

/** The batch rules of the PutLogEvents docs; rejected ranges are reported, the rest stored. */
export function putLogEvents(m: Model, where: Where, g: LogGroup, s: LogStream, raw: unknown): RejectedInfo {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw invalid(
      "1 validation error detected: Value '[]' at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  }
  if (raw.length > MAX_BATCH_EVENTS) {
    throw invalid(
      `1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to ${MAX_BATCH_EVENTS}`,
    );
  }
  let bytes = 0;
  const batch: Array<{ ts: number; msg: string }> = [];
  for (const [i, e] of raw.entries()) {
    const ts = (e as { timestamp?: unknown })?.timestamp;
    const msg = (e as { message?: unknown })?.message;
    if (typeof ts !== "number" || !Number.isInteger(ts))
      throw invalid(`logEvents.${i + 1}.timestamp is required.`);
    if (typeof msg !== "string" || msg.length === 0) {
      throw invalid(
        `1 validation error detected: Value '' at 'logEvents.${i + 1}.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1`,
      );
    }
    const size = Buffer.byteLength(msg, "utf8");
    if (size > MAX_EVENT_BYTES)
      throw invalid(`Log event too large: ${size} bytes exceeds limit of ${MAX_EVENT_BYTES}`);
    bytes += size + EVENT_OVERHEAD_BYTES;
    batch.push({ ts, msg });
  }
  if (bytes > MAX_BATCH_BYTES)
    throw invalid(`Upload too large: ${bytes} bytes exceeds limit of ${MAX_BATCH_BYTES}`);
  for (let i = 1; i < batch.length; i++) {
    if ((batch[i] as { ts: number }).ts < (batch[i - 1] as { ts: number }).ts) {
      throw invalid("Log events in a single PutLogEvents request must be in chronological order.");
    }
  }

  const now = m.clock.now();
  const rejected: RejectedInfo = {};
  let start = 0;
  let tooOld = 0;
  let expired = 0;
  let end = batch.length;
  for (const [i, e] of batch.entries()) {
    if (e.ts < now - MAX_AGE_MS) tooOld = i + 1;
    if (isExpired(e.ts, g.retentionInDays, now)) expired = i + 1;
    if (e.ts > now + MAX_FUTURE_MS && end === batch.length) end = i;
  }
  if (tooOld > 0) rejected.tooOldLogEventEndIndex = tooOld;
  if (expired > 0) rejected.expiredLogEventEndIndex = expired;
  if (end < batch.length) rejected.tooNewLogEventStartIndex = end;
  start = Math.max(tooOld, expired);
  const accepted = batch.slice(start, Math.max(start, end));
  const first = accepted[0];
  const last = accepted.at(-1);
  if (first && last && last.ts - first.ts > MAX_BATCH_SPAN_MS) {
    throw invalid("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.");
  }
  if (accepted.length === 0) return rejected;

  let seq = m.state.seq;
  const events: LogEvent[] = accepted.map((e) => ({ ts: e.ts, msg: e.msg, ing: now, seq: ++seq }));
  m.commit({ t: "events", arn: g.arn, stream: s.name, events });
  applyMetricFilters(m, where, g, events);
  return rejected;
}

// ---------------------------------------------------------------------------------------------
// Metric filters

function metricNumber(value: string, message: string, pattern: CompiledPattern): number | undefined {
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value)) return Number(value);
  const raw = value.startsWith("$.") ? jsonField(message, value) : pattern.fields(message)?.[value.slice(1)];
  if (typeof raw === "number") return raw;
  if (typeof raw === "string" && raw.trim() !== "" && !Number.isNaN(Number(raw))) return Number(raw);
  return undefined;
}

function dimensionValue(value: string, message: string, pattern: CompiledPattern): string | undefined {
  if (!value.startsWith("$")) return value;
  const raw = value.startsWith("$.") ? jsonField(message, value) : pattern.fields(message)?.[value.slice(1)];
  if (raw === undefined || raw === null || typeof raw === "object") return undefined;
  return String(raw);
}

/** Each event matching a filter publishes its transformation; the others its defaultValue, if any. */
function applyMetricFilters(m: Model, where: Where, g: LogGroup, events: LogEvent[]): void {
  for (const f of g.filters.values()) {
    const pattern = compilePattern(m, f.filterPattern);
    for (const e of events) {
      const hit = pattern.matches(e.msg);
      for (const t of f.metricTransformations) {
        const datum = hit ? matchedDatum(t, e, pattern) : defaultDatum(t, e);
        if (datum) m.publish(where, t.metricNamespace, datum);
      }
    }
  }
}

function matchedDatum(
  t: MetricTransformation,
  e: LogEvent,
  pattern: CompiledPattern,
): MetricDatum | undefined {
  const value = metricNumber(t.metricValue, e.msg, pattern);
  if (value === undefined) return undefined;
  const dimensions: Array<{ Name: string; Value: string }> = [];
  for (const [name, ref] of Object.entries(t.dimensions ?? {})) {
    const v = dimensionValue(ref, e.msg, pattern);
    if (v === undefined) return undefined;
    dimensions.push({ Name: name, Value: v });
  }
  return {
    MetricName: t.metricName,
    Value: value,
    Timestamp: e.ts,
    Unit: t.unit ?? "None",
    ...(dimensions.length > 0 && { Dimensions: dimensions }),
  };
}

function defaultDatum(t: MetricTransformation, e: LogEvent): MetricDatum | undefined {
  if (t.defaultValue === undefined) return undefined;
  return { MetricName: t.metricName, Value: t.defaultValue, Timestamp: e.ts, Unit: t.unit ?? "None" };
}

function checkTransformation(raw: unknown, pattern: CompiledPattern): MetricTransformation {
  const t = raw as Record<string, unknown> | null;
  if (!t || typeof t !== "object") throw invalid("metricTransformations must hold objects.");
  const name = (field: string) => {
    const v = t[field];
    if (typeof v !== "string" || v.length < 1 || v.length > METRIC_NAME.max || !METRIC_NAME.pattern.test(v)) {
      throw invalid(
        `Invalid ${field} '${String(v)}': 1 to ${METRIC_NAME.max} characters, no ':', '*' or '$'.`,
      );
    }
    return v;
  };
  const metricName = name("metricName");
  const metricNamespace = name("metricNamespace");
  const metricValue = t.metricValue;
  if (
    typeof metricValue !== "string" ||
    metricValue.length > MAX_METRIC_VALUE_LENGTH ||
    !/^(-?\d+(\.\d+)?([eE][+-]?\d+)?|\$\.[^\s]+|\$[A-Za-z0-9_-]+)$/.test(metricValue)
  ) {
    throw invalid(`Invalid metricValue '${String(metricValue)}': a number, $.jsonField or $fieldName.`);
  }
  if (/^\$[^.]/.test(metricValue) && pattern.kind !== "delimited") {
    throw invalid(`metricValue ${metricValue} names a field of a space-delimited pattern.`);
  }
  const out: MetricTransformation = { metricName, metricNamespace, metricValue };
  if (t.defaultValue !== undefined && t.defaultValue !== null) {
    if (typeof t.defaultValue !== "number") throw invalid("defaultValue must be a number.");
    out.defaultValue = t.defaultValue;
  }
  if (t.dimensions !== undefined && t.dimensions !== null) {
    if (typeof t.dimensions !== "object" || Array.isArray(t.dimensions))
      throw invalid("dimensions must be a map.");
    const dims: Record<string, string> = {};
    for (const [k, v] of Object.entries(t.dimensions as Record<string, unknown>)) {
      if (
        k.length < 1 ||
        k.length > METRIC_NAME.max ||
        typeof v !== "string" ||
        v.length < 1 ||
        v.length > METRIC_NAME.max
      ) {
        throw invalid(`Invalid dimension '${k}': name and value are 1 to ${METRIC_NAME.max} characters.`);
      }
      dims[k] = v;
    }
    if (Object.keys(dims).length > MAX_DIMENSIONS)
      throw logsErrors.limitExceeded(`A metric filter can have at most ${MAX_DIMENSIONS} dimensions.`);
    if (Object.keys(dims).length > 0) {
      if (out.defaultValue !== undefined)
        throw invalid("A metric filter with dimensions cannot have a defaultValue.");
      out.dimensions = dims;
    }
  }
  if (t.unit !== undefined && t.unit !== null) {
    if (typeof t.unit !== "string" || !STANDARD_UNITS.has(t.unit))
      throw invalid(`Invalid unit '${String(t.unit)}'.`);
    out.unit = t.unit;
  }
  return out;
}

export function putMetricFilter(
  m: Model,
  g: LogGroup,
  input: { filterName: unknown; filterPattern: unknown; metricTransformations: unknown },
): void {
  const filterName = checkName("filterName", input.filterName, FILTER_NAME);
  const filterPattern = input.filterPattern;
  if (typeof filterPattern !== "string") throw invalid("filterPattern is required.");
  if (filterPattern.length > MAX_FILTER_PATTERN_LENGTH)
    throw invalid(`filterPattern is longer than ${MAX_FILTER_PATTERN_LENGTH} characters.`);
  const pattern = compilePattern(m, filterPattern);
  const list = input.metricTransformations;
  if (!Array.isArray(list) || list.length !== 1) {
    throw invalid("metricTransformations must hold exactly one transformation.");
  }
  const metricTransformations = list.map((t) => checkTransformation(t, pattern));
  const existing = g.filters.get(filterName);
  if (!existing && g.filters.size >= MAX_METRIC_FILTERS_PER_GROUP) {
    throw logsErrors.limitExceeded(
      `A log group can have at most ${MAX_METRIC_FILTERS_PER_GROUP} metric filters.`,
    );
  }
  const f: MetricFilter = {
    filterName,
    filterPattern,
    metricTransformations,
    creationTime: existing?.creationTime ?? m.clock.now(),
  };
  m.commit({ t: "filter", arn: g.arn, f });
}

export function deleteMetricFilter(m: Model, g: LogGroup, name: unknown): void {
  if (typeof name !== "string" || !g.filters.has(name)) throw logsErrors.filterNotFound();
  m.commit({ t: "filterDeleted", arn: g.arn, name });
}

// ---------------------------------------------------------------------------------------------
// Reading events

export interface EventKey {
  ts: number;
  seq: number;
}

export const before = (a: EventKey, b: EventKey) => a.ts < b.ts || (a.ts === b.ts && a.seq < b.seq);

/** Events of a stream in [startTime, endTime) (GetLogEvents: the end is exclusive). */
export function eventsInRange(m: Model, g: LogGroup, s: LogStream, start?: number, end?: number): LogEvent[] {
  enforceRetention(m, g);
  return s.events.filter((e) => (start === undefined || e.ts >= start) && (end === undefined || e.ts < end));
}

/** Events of the chosen streams, merged by time, in [startTime, endTime] matching the pattern. */
export function filterEvents(
  m: Model,
  g: LogGroup,
  streams: LogStream[],
  pattern: CompiledPattern,
  start?: number,
  end?: number,
): Array<LogEvent & { stream: string }> {
  enforceRetention(m, g);
  const out: Array<LogEvent & { stream: string }> = [];
  for (const s of streams) {
    for (const e of s.events) {
      if (start !== undefined && e.ts < start) continue;
      if (end !== undefined && e.ts > end) continue;
      if (pattern.matches(e.msg)) out.push({ ...e, stream: s.name });
    }
  }
  return out.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
}

/** AWS event ids are 56-digit decimal strings; ours encode ingestion order. */
export function eventId(e: LogEvent): string {
  return `${String(e.ts).padStart(20, "0")}${String(e.seq).padStart(36, "0")}`;
}
