/**
 * Metrics: PutMetricData keeps raw samples with their timestamps; GetMetricStatistics,
 * GetMetricData and ListMetrics aggregate on read. Raw samples older than 15 days are dropped.
 */
import { cwErrors } from "./errors.ts";
import {
  HIGH_RES_PERIODS,
  HISTORY_RETENTION_MS,
  LIST_METRICS_PAGE,
  MAX_ABS_VALUE,
  MAX_DATAPOINTS_PER_CALL,
  MAX_FUTURE_MS,
  MAX_METRIC_DATA,
  MAX_METRIC_DATA_POINTS,
  MAX_METRIC_DATA_QUERIES,
  MAX_PAST_MS,
  MAX_VALUES_PER_DATUM,
  RECENTLY_ACTIVE_MS,
  RETENTION_MS,
  STANDARD_UNITS,
  STATISTICS,
} from "./limits.ts";
import {
  booleanParam,
  dimensionsParam,
  integerParam,
  listParam,
  type Model,
  numberParam,
  paginate,
  requiredString,
  seconds,
  stringList,
  stringParam,
  timestampParam,
} from "./model.ts";
import { type Dimension, lowerBound, type Metric, metricKey, type Sample } from "./state.ts";
import {
  type Aggregate,
  aggregate,
  bucket,
  isPercentile,
  isStandardStatistic,
  statistic,
} from "./statistics.ts";

type Obj = Record<string, unknown>;

const PRUNE_EVERY_MS = 3600_000;

/** Drops samples past retention (and alarm history past 30 days); at most once an hour. */
export function pruneOld(m: Model, force = false): void {
  const now = m.clock.now();
  if (!force && now - m.lastPrune < PRUNE_EVERY_MS) return;
  m.lastPrune = now;
  const before = now - RETENTION_MS;
  const historyBefore = now - HISTORY_RETENTION_MS;
  let stale = false;
  for (const s of m.state.stores.values()) {
    for (const metric of s.metrics.values()) if ((metric.samples[0]?.t ?? before) < before) stale = true;
    if ((s.history[0]?.Timestamp ?? historyBefore) < historyBefore) stale = true;
  }
  if (stale) m.record({ t: "pruned", before, historyBefore });
}

export function unitParam(value: unknown, name: string): string | undefined {
  const unit = stringParam(value, name);
  if (unit !== undefined && !STANDARD_UNITS.has(unit)) throw cwErrors.invalidValue(name, unit);
  return unit;
}

function checkValue(value: unknown, name: string): number {
  const n = numberParam(value, name, true) as number;
  if (Math.abs(n) > MAX_ABS_VALUE) throw cwErrors.invalidValue(name, n);
  return n;
}

/** One MetricDatum -> its metric identity and raw sample; throws AWS's errors. */
function datumSample(
  datum: unknown,
  path: string,
  now: number,
): { name: string; dims: Dimension[]; sample: Sample } {
  if (datum === null || typeof datum !== "object") throw cwErrors.invalidValue(path, datum);
  const d = datum as Obj;
  const name = requiredString(d.MetricName, `${path}.MetricName`);
  const dims = dimensionsParam(d.Dimensions, `${path}.Dimensions`);
  const t = timestampParam(d.Timestamp, `${path}.Timestamp`) ?? now;
  if (t < now - MAX_PAST_MS) {
    throw cwErrors.invalidParameterValue(
      `The parameter ${path}.Timestamp must specify a time no more than two weeks in the past.`,
    );
  }
  if (t > now + MAX_FUTURE_MS) {
    throw cwErrors.invalidParameterValue(
      `The parameter ${path}.Timestamp must specify a time no more than two hours in the future.`,
    );
  }
  const unit = unitParam(d.Unit, `${path}.Unit`);
  const resolution = integerParam(d.StorageResolution, `${path}.StorageResolution`);
  if (resolution !== undefined && resolution !== 1 && resolution !== 60) {
    throw cwErrors.invalidParameterValue(
      `The value ${resolution} for parameter ${path}.StorageResolution is invalid. Valid values are 1 and 60.`,
    );
  }
  const given = (["Value", "StatisticValues", "Values"] as const).filter(
    (k) => d[k] !== undefined && d[k] !== null,
  );
  if (given.length > 1) {
    throw cwErrors.invalidParameterCombination(
      `The parameters ${given.map((k) => `${path}.${k}`).join(" and ")} are mutually exclusive and you have specified both.`,
    );
  }
  if (given.length === 0) {
    throw cwErrors.invalidParameterCombination(
      `At least one of the parameters ${path}.Value, ${path}.StatisticValues or ${path}.Values must be specified.`,
    );
  }
  const base = { t, ...(unit !== undefined && { u: unit }) };
  if (given[0] === "Value") {
    const v = checkValue(d.Value, `${path}.Value`);
    return { name, dims, sample: { ...base, n: 1, s: v, mn: v, mx: v } };
  }
  if (given[0] === "StatisticValues") {
    const sv = d.StatisticValues as Obj;
    const p = `${path}.StatisticValues`;
    if (typeof sv !== "object") throw cwErrors.invalidValue(p, sv);
    const n = checkValue(sv.SampleCount, `${p}.SampleCount`);
    const s = checkValue(sv.Sum, `${p}.Sum`);
    const mn = checkValue(sv.Minimum, `${p}.Minimum`);
    const mx = checkValue(sv.Maximum, `${p}.Maximum`);
    if (n <= 0)
      throw cwErrors.invalidParameterValue(`The parameter ${p}.SampleCount must be greater than 0.`);
    if (mn > mx)
      throw cwErrors.invalidParameterValue(
        `The parameter ${p}.Minimum must not be greater than ${p}.Maximum.`,
      );
    return { name, dims, sample: { ...base, n, s, mn, mx } };
  }
  const values = listParam(d.Values, `${path}.Values`, MAX_VALUES_PER_DATUM).map((v, i) =>
    checkValue(v, `${path}.Values.member.${i + 1}`),
  );
  const counts =
    d.Counts === undefined || d.Counts === null
      ? undefined
      : listParam(d.Counts, `${path}.Counts`).map((c, i) => checkValue(c, `${path}.Counts.member.${i + 1}`));
  if (counts && counts.length !== values.length) {
    throw cwErrors.invalidParameterValue(
      `The parameters ${path}.Values and ${path}.Counts must be of the same size.`,
    );
  }
  if (values.length === 0)
    throw cwErrors.invalidParameterValue(`The parameter ${path}.Values must not be empty.`);
  if (counts?.some((c) => c < 0))
    throw cwErrors.invalidParameterValue(`The parameter ${path}.Counts must not be negative.`);
  let n = 0;
  let s = 0;
  values.forEach((v, i) => {
    const c = counts?.[i] ?? 1;
    n += c;
    s += v * c;
  });
  return {
    name,
    dims,
    sample: {
      ...base,
      n,
      s,
      mn: Math.min(...values),
      mx: Math.max(...values),
      v: values,
      ...(counts && { c: counts }),
    },
  };
}

/**
 * PutMetricData for one account and region. `internal` marks data from other emulated services
 * (AWS/SQS...), which may use the reserved `AWS/` namespaces.
 */
export function putMetricData(
  m: Model,
  k: string,
  namespace: unknown,
  data: unknown,
  internal = false,
): void {
  const ns = requiredString(namespace, "Namespace");
  if (!internal && (ns.startsWith("AWS/") || ns.startsWith(":"))) {
    throw cwErrors.invalidParameterValue(`The value ${ns} for parameter Namespace is invalid.`);
  }
  if (data === undefined || data === null) throw cwErrors.missingParameter("MetricData");
  const list = listParam(data, "MetricData", MAX_METRIC_DATA);
  if (list.length === 0) throw cwErrors.missingParameter("MetricData");
  const now = m.clock.now();
  const byMetric = new Map<string, { name: string; dims: Dimension[]; samples: Sample[] }>();
  list.forEach((datum, i) => {
    const { name, dims, sample } = datumSample(datum, `MetricData.member.${i + 1}`, now);
    const key = metricKey(ns, name, dims);
    const entry = byMetric.get(key);
    if (entry) entry.samples.push(sample);
    else byMetric.set(key, { name, dims, samples: [sample] });
  });
  for (const { name, dims, samples } of byMetric.values()) {
    m.record({ t: "data", k, ns, name, dims, samples });
  }
  pruneOld(m);
}

export function findMetric(
  m: Model,
  k: string,
  ns: string,
  name: string,
  dims: Dimension[],
): Metric | undefined {
  return m.state.stores.get(k)?.metrics.get(metricKey(ns, name, dims));
}

/** Samples of a metric in [from, to), optionally of one unit. */
export function samplesIn(metric: Metric | undefined, from: number, to: number, unit?: string): Sample[] {
  if (!metric) return [];
  const out = metric.samples.slice(lowerBound(metric.samples, from), lowerBound(metric.samples, to));
  return unit === undefined ? out : out.filter((s) => (s.u ?? "None") === unit);
}

/** Period rules shared by reads: 1, 5, 10, 20, 30 or a multiple of 60. */
export function periodParam(value: unknown, name: string): number {
  const period = integerParam(value, name, { required: true, min: 1 }) as number;
  if (period % 60 !== 0 && !(HIGH_RES_PERIODS as readonly number[]).includes(period)) {
    throw cwErrors.invalidParameterValue(
      `The parameter ${name} must be 1, 5, 10, 20, 30, or a multiple of 60.`,
    );
  }
  return period;
}

function timeRange(input: Obj): { start: number; end: number } {
  const start = timestampParam(input.StartTime, "StartTime", true) as number;
  const end = timestampParam(input.EndTime, "EndTime", true) as number;
  if (start >= end) {
    throw cwErrors.invalidParameterValue("The parameter StartTime must be less than the parameter EndTime.");
  }
  return { start, end };
}

export function getMetricStatistics(m: Model, k: string, input: Obj) {
  const ns = requiredString(input.Namespace, "Namespace");
  const name = requiredString(input.MetricName, "MetricName");
  const { start, end } = timeRange(input);
  const period = periodParam(input.Period, "Period");
  const dims = dimensionsParam(input.Dimensions, "Dimensions");
  const stats = stringList(input.Statistics, "Statistics", STATISTICS.length);
  const extended = stringList(input.ExtendedStatistics, "ExtendedStatistics", 10);
  if (stats.length === 0 && extended.length === 0) {
    throw cwErrors.invalidParameterCombination("Must specify either Statistics or ExtendedStatistics.");
  }
  if (stats.length > 0 && extended.length > 0) {
    throw cwErrors.invalidParameterCombination(
      "The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both.",
    );
  }
  stats.forEach((s, i) => {
    if (!isStandardStatistic(s)) throw cwErrors.invalidValue(`Statistics.member.${i + 1}`, s);
  });
  extended.forEach((s, i) => {
    if (!isPercentile(s)) throw cwErrors.invalidValue(`ExtendedStatistics.member.${i + 1}`, s);
  });
  const unit = unitParam(input.Unit, "Unit");
  const from = Math.floor(start / (period * 1000)) * period * 1000;
  const requested = Math.ceil((end - from) / (period * 1000));
  if (requested > MAX_DATAPOINTS_PER_CALL) {
    throw cwErrors.invalidParameterCombination(
      `You have requested up to ${requested} datapoints, which exceeds the limit of ${MAX_DATAPOINTS_PER_CALL}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
    );
  }
  const samples = samplesIn(findMetric(m, k, ns, name, dims), from, end, unit);
  const Datapoints = bucket(samples, period).map(({ start: at, samples: group }) => {
    const agg = aggregate(group) as Aggregate;
    const point: Obj = { Timestamp: seconds(at) };
    for (const s of stats) point[s] = agg[s as keyof Aggregate];
    if (extended.length > 0) {
      const values: Record<string, number> = {};
      for (const p of extended) {
        const v = statistic(agg, p);
        if (v !== undefined) values[p] = v;
      }
      point.ExtendedStatistics = values;
    }
    point.Unit = unit ?? agg.unit ?? "None";
    return point;
  });
  return { Label: name, Datapoints };
}

interface MetricQuery {
  id: string;
  label?: string;
  returnData: boolean;
  ns: string;
  name: string;
  dims: Dimension[];
  period: number;
  stat: string;
  unit?: string;
}

function metricQuery(q: unknown, path: string): MetricQuery {
  if (q === null || typeof q !== "object") throw cwErrors.invalidValue(path, q);
  const query = q as Obj;
  const id = requiredString(query.Id, `${path}.Id`);
  if (!/^[a-z][a-zA-Z0-9_]*$/.test(id)) throw cwErrors.invalidValue(`${path}.Id`, id);
  const label = stringParam(query.Label, `${path}.Label`);
  const returnData = booleanParam(query.ReturnData, `${path}.ReturnData`) ?? true;
  if (query.Expression !== undefined && query.MetricStat !== undefined) {
    throw cwErrors.invalidParameterCombination(
      `The parameters ${path}.Expression and ${path}.MetricStat are mutually exclusive and you have specified both.`,
    );
  }
  if (query.Expression !== undefined) {
    throw cwErrors.invalidParameterValue(
      `${path}.Expression: metric math and Metrics Insights expressions are not supported by this emulator (only MetricStat queries are); expression was ${JSON.stringify(query.Expression)}.`,
    );
  }
  const stat = query.MetricStat as Obj | undefined;
  if (!stat || typeof stat !== "object") {
    throw cwErrors.invalidParameterCombination(
      `Exactly one of ${path}.MetricStat and ${path}.Expression must be specified.`,
    );
  }
  const metric = stat.Metric as Obj | undefined;
  if (!metric || typeof metric !== "object") throw cwErrors.missingParameter(`${path}.MetricStat.Metric`);
  const statName = requiredString(stat.Stat, `${path}.MetricStat.Stat`);
  if (!isStandardStatistic(statName) && !isPercentile(statName)) {
    throw cwErrors.invalidParameterValue(
      `The value ${statName} for parameter ${path}.MetricStat.Stat is invalid: this emulator computes SampleCount, Average, Sum, Minimum, Maximum and percentiles (pNN).`,
    );
  }
  return {
    id,
    ...(label !== undefined && { label }),
    returnData,
    ns: requiredString(metric.Namespace, `${path}.MetricStat.Metric.Namespace`),
    name: requiredString(metric.MetricName, `${path}.MetricStat.Metric.MetricName`),
    dims: dimensionsParam(metric.Dimensions, `${path}.MetricStat.Metric.Dimensions`),
    period: periodParam(stat.Period, `${path}.MetricStat.Period`),
    stat: statName,
    ...(stat.Unit !== undefined && { unit: unitParam(stat.Unit, `${path}.MetricStat.Unit`) }),
  };
}

export function getMetricData(m: Model, k: string, input: Obj) {
  if (input.MetricDataQueries === undefined) throw cwErrors.missingParameter("MetricDataQueries");
  const raw = listParam(input.MetricDataQueries, "MetricDataQueries", MAX_METRIC_DATA_QUERIES);
  if (raw.length === 0) throw cwErrors.missingParameter("MetricDataQueries");
  const queries = raw.map((q, i) => metricQuery(q, `MetricDataQueries.member.${i + 1}`));
  const ids = new Set<string>();
  for (const q of queries) {
    if (ids.has(q.id))
      throw cwErrors.invalidParameterValue(
        `The value ${q.id} for parameter MetricDataQueries.Id is not unique.`,
      );
    ids.add(q.id);
  }
  const { start, end } = timeRange(input);
  const scanBy = stringParam(input.ScanBy, "ScanBy") ?? "TimestampDescending";
  if (scanBy !== "TimestampDescending" && scanBy !== "TimestampAscending")
    throw cwErrors.invalidValue("ScanBy", scanBy);
  const maxPoints = integerParam(input.MaxDatapoints, "MaxDatapoints", { min: 1 }) ?? MAX_METRIC_DATA_POINTS;
  let budget = maxPoints;
  const MetricDataResults = queries
    .filter((q) => q.returnData)
    .map((q) => {
      const from = Math.floor(start / (q.period * 1000)) * q.period * 1000;
      const samples = samplesIn(findMetric(m, k, q.ns, q.name, q.dims), from, end, q.unit);
      let points = bucket(samples, q.period).flatMap(({ start: at, samples: group }) => {
        const v = statistic(aggregate(group) as Aggregate, q.stat);
        return v === undefined ? [] : [{ at, v }];
      });
      if (scanBy === "TimestampDescending") points.reverse();
      const partial = points.length > budget;
      if (partial) points = points.slice(0, budget);
      budget -= points.length;
      return {
        Id: q.id,
        Label: q.label ?? q.name,
        Timestamps: points.map((p) => seconds(p.at)),
        Values: points.map((p) => p.v),
        StatusCode: partial ? "PartialData" : "Complete",
        Messages: [],
      };
    });
  return { MetricDataResults, Messages: [] };
}

export function listMetrics(m: Model, k: string, input: Obj) {
  const ns = stringParam(input.Namespace, "Namespace", { min: 1, max: 255 });
  const name = stringParam(input.MetricName, "MetricName", { min: 1, max: 255 });
  const filters = dimensionsParam(input.Dimensions, "Dimensions", { valueRequired: false });
  const recently = stringParam(input.RecentlyActive, "RecentlyActive");
  if (recently !== undefined && recently !== "PT3H") throw cwErrors.invalidValue("RecentlyActive", recently);
  const since = recently ? m.clock.now() - RECENTLY_ACTIVE_MS : undefined;
  const metrics = [...(m.state.stores.get(k)?.metrics.values() ?? [])]
    .filter(
      (metric) =>
        (ns === undefined || metric.namespace === ns) &&
        (name === undefined || metric.name === name) &&
        filters.every((f) =>
          metric.dimensions.some((d) => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value)),
        ) &&
        (since === undefined || (metric.samples.at(-1)?.t ?? 0) >= since),
    )
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const { page, NextToken } = paginate(metrics, input.NextToken, LIST_METRICS_PAGE);
  return {
    Metrics: page.map((metric) => ({
      Namespace: metric.namespace,
      MetricName: metric.name,
      Dimensions: metric.dimensions.map((d) => ({ Name: d.Name, Value: d.Value })),
    })),
    ...(NextToken && { NextToken }),
  };
}
