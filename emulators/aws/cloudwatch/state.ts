/**
 * CloudWatch state (per account and region) and the one reducer that changes it. Every mutation
 * is a `Change` applied here and journaled, so a restart rebuilds exactly what clients saw:
 * raw metric samples, alarms with their state, alarm history and dashboards.
 */

export interface Dimension {
  Name: string;
  Value: string;
}

/**
 * One published datum, raw: aggregated on read. `n/s/mn/mx` are its count, sum, minimum and
 * maximum; `v`/`c` are the values and counts of a `Values` datum (kept for percentiles). A single
 * `Value` has n = 1 and no `v`; a `StatisticValues` datum has no `v` (no percentiles, as on AWS).
 */
export interface Sample {
  /** epoch ms */
  t: number;
  u?: string;
  n: number;
  s: number;
  mn: number;
  mx: number;
  v?: number[];
  c?: number[];
}

export interface Metric {
  key: string;
  namespace: string;
  name: string;
  /** Sorted by name. */
  dimensions: Dimension[];
  /** Sorted by time. */
  samples: Sample[];
}

export type StateValue = "OK" | "ALARM" | "INSUFFICIENT_DATA";

export interface Alarm {
  AlarmName: string;
  AlarmArn: string;
  AlarmDescription?: string;
  ActionsEnabled: boolean;
  OKActions: string[];
  AlarmActions: string[];
  InsufficientDataActions: string[];
  MetricName?: string;
  Namespace?: string;
  Statistic?: string;
  ExtendedStatistic?: string;
  Dimensions: Dimension[];
  Period?: number;
  Unit?: string;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  Threshold?: number;
  ComparisonOperator: string;
  TreatMissingData?: string;
  EvaluateLowSampleCountPercentile?: string;
  /** Metric math alarms: stored and described, never evaluated here. */
  Metrics?: unknown[];
  ThresholdMetricId?: string;
  StateValue: StateValue;
  StateReason: string;
  StateReasonData?: string;
  /** epoch ms */
  StateUpdatedTimestamp: number;
  StateTransitionedTimestamp: number;
  AlarmConfigurationUpdatedTimestamp: number;
  tags: Record<string, string>;
}

export type HistoryItemType = "ConfigurationUpdate" | "StateUpdate" | "Action";

export interface HistoryItem {
  AlarmName: string;
  AlarmType: "MetricAlarm";
  /** epoch ms */
  Timestamp: number;
  HistoryItemType: HistoryItemType;
  HistorySummary: string;
  HistoryData: string;
}

export interface Dashboard {
  name: string;
  arn: string;
  body: string;
  /** epoch ms */
  lastModified: number;
  tags: Record<string, string>;
}

export interface RegionStore {
  metrics: Map<string, Metric>;
  alarms: Map<string, Alarm>;
  /** Oldest first. */
  history: HistoryItem[];
  dashboards: Map<string, Dashboard>;
}

export interface CloudWatchState {
  /** By `${accountId}:${region}`. */
  stores: Map<string, RegionStore>;
}

export type Change =
  | { t: "data"; k: string; ns: string; name: string; dims: Dimension[]; samples: Sample[] }
  | { t: "pruned"; before: number; historyBefore: number }
  | { t: "alarm"; k: string; a: Alarm }
  | { t: "alarmDeleted"; k: string; name: string }
  | { t: "history"; k: string; item: HistoryItem }
  | { t: "dashboard"; k: string; d: Dashboard }
  | { t: "dashboardDeleted"; k: string; names: string[] };

export function emptyState(): CloudWatchState {
  return { stores: new Map() };
}

export function storeKey(accountId: string, region: string): string {
  return `${accountId}:${region}`;
}

export function store(state: CloudWatchState, k: string): RegionStore {
  let s = state.stores.get(k);
  if (!s) {
    s = { metrics: new Map(), alarms: new Map(), history: [], dashboards: new Map() };
    state.stores.set(k, s);
  }
  return s;
}

/** Namespace, name and the sorted dimensions identify a metric. */
export function metricKey(namespace: string, name: string, dims: Dimension[]): string {
  return JSON.stringify([namespace, name, dims.map((d) => [d.Name, d.Value])]);
}

/** Index of the first sample at or after `t` (samples are sorted by time). */
export function lowerBound(samples: Sample[], t: number): number {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((samples[mid]?.t ?? 0) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function addSample(metric: Metric, sample: Sample): void {
  const last = metric.samples.at(-1);
  if (!last || last.t <= sample.t) metric.samples.push(sample);
  else metric.samples.splice(lowerBound(metric.samples, sample.t + 1), 0, sample);
}

export function apply(state: CloudWatchState, change: Change): void {
  switch (change.t) {
    case "data": {
      const s = store(state, change.k);
      const key = metricKey(change.ns, change.name, change.dims);
      let metric = s.metrics.get(key);
      if (!metric) {
        metric = { key, namespace: change.ns, name: change.name, dimensions: change.dims, samples: [] };
        s.metrics.set(key, metric);
      }
      for (const sample of change.samples) addSample(metric, sample);
      return;
    }
    case "pruned":
      for (const s of state.stores.values()) {
        for (const [key, metric] of s.metrics) {
          const keep = lowerBound(metric.samples, change.before);
          if (keep > 0) metric.samples.splice(0, keep);
          if (metric.samples.length === 0) s.metrics.delete(key);
        }
        const firstKept = s.history.findIndex((h) => h.Timestamp >= change.historyBefore);
        if (firstKept < 0) s.history = [];
        else if (firstKept > 0) s.history.splice(0, firstKept);
      }
      return;
    case "alarm":
      store(state, change.k).alarms.set(change.a.AlarmName, structuredClone(change.a));
      return;
    case "alarmDeleted":
      store(state, change.k).alarms.delete(change.name);
      return;
    case "history":
      store(state, change.k).history.push({ ...change.item });
      return;
    case "dashboard":
      store(state, change.k).dashboards.set(change.d.name, structuredClone(change.d));
      return;
    case "dashboardDeleted": {
      const s = store(state, change.k);
      for (const name of change.names) s.dashboards.delete(name);
      return;
    }
  }
}

export function snapshot(state: CloudWatchState): unknown {
  return {
    stores: [...state.stores.entries()].map(([k, s]) => ({
      k,
      metrics: [...s.metrics.values()],
      alarms: [...s.alarms.values()],
      history: s.history,
      dashboards: [...s.dashboards.values()],
    })),
  };
}

export function restore(state: CloudWatchState, data: unknown): void {
  const saved = data as {
    stores?: Array<{
      k: string;
      metrics: Metric[];
      alarms: Alarm[];
      history: HistoryItem[];
      dashboards: Dashboard[];
    }>;
  };
  state.stores.clear();
  for (const saved1 of saved.stores ?? []) {
    const s = store(state, saved1.k);
    for (const m of saved1.metrics) s.metrics.set(m.key, m);
    for (const a of saved1.alarms) s.alarms.set(a.AlarmName, a);
    s.history = saved1.history;
    for (const d of saved1.dashboards) s.dashboards.set(d.name, d);
  }
}
