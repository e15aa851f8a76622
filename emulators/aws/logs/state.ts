/**
 * CloudWatch Logs state and the one reducer that changes it. Every mutation the model makes is a
 * `Change` applied here; the journal stores the same changes, so a restart rebuilds what clients
 * were told. Nothing here validates: the model decides, this records.
 */

export interface LogEvent {
  /** Event time (ms), as the client sent it. */
  ts: number;
  msg: string;
  /** Ingestion time (ms), the emulator clock at PutLogEvents. */
  ing: number;
  /** Emulator-wide ingestion order: breaks timestamp ties and makes event ids and tokens. */
  seq: number;
}

export interface LogStream {
  name: string;
  creationTime: number;
  firstEventTimestamp?: number;
  lastEventTimestamp?: number;
  lastIngestionTime?: number;
  /** Sorted by (ts, seq). */
  events: LogEvent[];
  /** UTF-8 bytes of the messages held. */
  bytes: number;
}

export interface MetricTransformation {
  metricName: string;
  metricNamespace: string;
  metricValue: string;
  defaultValue?: number;
  dimensions?: Record<string, string>;
  unit?: string;
}

export interface MetricFilter {
  filterName: string;
  filterPattern: string;
  metricTransformations: MetricTransformation[];
  creationTime: number;
}

export interface LogGroup {
  /** Without the trailing `:*` (the tagging form, `logGroupArn`). */
  arn: string;
  name: string;
  region: string;
  accountId: string;
  creationTime: number;
  retentionInDays?: number;
  kmsKeyId?: string;
  logGroupClass: string;
  deletionProtectionEnabled?: boolean;
  tags: Record<string, string>;
  streams: Map<string, LogStream>;
  filters: Map<string, MetricFilter>;
}

export type GroupMeta = Omit<LogGroup, "streams" | "filters">;
export type StreamMeta = Omit<LogStream, "events" | "bytes">;

export interface LogsState {
  groups: Map<string, LogGroup>;
  /** Last LogEvent.seq handed out. */
  seq: number;
}

export type Change =
  | { t: "group"; g: GroupMeta }
  | { t: "groupDeleted"; arn: string }
  | { t: "stream"; arn: string; s: StreamMeta }
  | { t: "streamDeleted"; arn: string; name: string }
  /** Accepted events of one PutLogEvents call, in chronological order. */
  | { t: "events"; arn: string; stream: string; events: LogEvent[] }
  | { t: "filter"; arn: string; f: MetricFilter }
  | { t: "filterDeleted"; arn: string; name: string }
  /** Retention: every event of the group with ts < before is gone. */
  | { t: "expired"; arn: string; before: number };

export function emptyState(): LogsState {
  return { groups: new Map(), seq: 0 };
}

const byteLength = (s: string) => Buffer.byteLength(s, "utf8");
const byKey = (a: LogEvent, b: LogEvent) => a.ts - b.ts || a.seq - b.seq;

function addEvents(stream: LogStream, events: LogEvent[]): void {
  const first = events[0];
  const last = events.at(-1);
  if (!first || !last) return;
  const tail = stream.events.at(-1);
  stream.events.push(...events);
  // Parallel PutLogEvents calls may interleave in time: keep the stream sorted.
  if (tail && byKey(first, tail) < 0) stream.events.sort(byKey);
  for (const e of events) stream.bytes += byteLength(e.msg);
  stream.firstEventTimestamp = Math.min(stream.firstEventTimestamp ?? first.ts, first.ts);
  stream.lastEventTimestamp = Math.max(stream.lastEventTimestamp ?? last.ts, last.ts);
  stream.lastIngestionTime = Math.max(stream.lastIngestionTime ?? 0, ...events.map((e) => e.ing));
}

function expire(stream: LogStream, before: number): void {
  let cut = 0;
  while (cut < stream.events.length && (stream.events[cut] as LogEvent).ts < before) cut++;
  if (cut === 0) return;
  for (const e of stream.events.splice(0, cut)) stream.bytes -= byteLength(e.msg);
}

export function apply(state: LogsState, change: Change): void {
  switch (change.t) {
    case "group": {
      const existing = state.groups.get(change.g.arn);
      if (existing) {
        // Optional fields absent from the change are absent from the group (DeleteRetentionPolicy).
        delete existing.retentionInDays;
        Object.assign(existing, change.g);
      } else state.groups.set(change.g.arn, { ...change.g, streams: new Map(), filters: new Map() });
      return;
    }
    case "groupDeleted":
      state.groups.delete(change.arn);
      return;
    case "stream": {
      const g = state.groups.get(change.arn);
      if (!g) return;
      const existing = g.streams.get(change.s.name);
      if (existing) Object.assign(existing, change.s);
      else g.streams.set(change.s.name, { ...change.s, events: [], bytes: 0 });
      return;
    }
    case "streamDeleted":
      state.groups.get(change.arn)?.streams.delete(change.name);
      return;
    case "events": {
      const stream = state.groups.get(change.arn)?.streams.get(change.stream);
      for (const e of change.events) state.seq = Math.max(state.seq, e.seq);
      if (stream)
        addEvents(
          stream,
          change.events.map((e) => ({ ...e })),
        );
      return;
    }
    case "filter":
      state.groups.get(change.arn)?.filters.set(change.f.filterName, structuredClone(change.f));
      return;
    case "filterDeleted":
      state.groups.get(change.arn)?.filters.delete(change.name);
      return;
    case "expired": {
      const g = state.groups.get(change.arn);
      if (g) for (const s of g.streams.values()) expire(s, change.before);
      return;
    }
  }
}

/** JSON form for the snapshot: maps become arrays. */
export function snapshot(state: LogsState): unknown {
  return {
    seq: state.seq,
    groups: [...state.groups.values()].map(({ streams, filters, ...meta }) => ({
      meta,
      streams: [...streams.values()].map(({ events, bytes: _b, ...s }) => ({ meta: s, events })),
      filters: [...filters.values()],
    })),
  };
}

export function restore(state: LogsState, data: unknown): void {
  const saved = data as {
    seq?: number;
    groups?: Array<{
      meta: GroupMeta;
      streams: Array<{ meta: StreamMeta; events: LogEvent[] }>;
      filters: MetricFilter[];
    }>;
  };
  state.groups.clear();
  state.seq = saved.seq ?? 0;
  for (const { meta, streams, filters } of saved.groups ?? []) {
    const g: LogGroup = { ...meta, streams: new Map(), filters: new Map() };
    for (const s of streams) {
      const bytes = s.events.reduce((n, e) => n + byteLength(e.msg), 0);
      g.streams.set(s.meta.name, { ...s.meta, events: s.events, bytes });
    }
    for (const f of filters) g.filters.set(f.filterName, f);
    state.groups.set(g.arn, g);
  }
}
