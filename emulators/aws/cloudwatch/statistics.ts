/**
 * Aggregation of raw samples on read: the five standard statistics and percentiles (`p99`,
 * `p99.9`). Pure: no state, no clock. Percentiles use the nearest-rank method over the published
 * values; samples published as `StatisticValues` carry no values, so a percentile over them is
 * unavailable (as on AWS).
 */
import { STATISTICS, type StandardStatistic } from "./limits.ts";
import type { Sample } from "./state.ts";

export interface Aggregate {
  SampleCount: number;
  Sum: number;
  Minimum: number;
  Maximum: number;
  Average: number;
  /** Samples whose values are known (Value or Values data), for percentiles. */
  samples: Sample[];
  /** Whether every sample kept its values, so percentiles are exact. */
  percentilesAvailable: boolean;
  unit: string | undefined;
}

export function aggregate(samples: Sample[]): Aggregate | undefined {
  if (samples.length === 0) return undefined;
  let n = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let percentilesAvailable = true;
  for (const s of samples) {
    n += s.n;
    sum += s.s;
    if (s.mn < min) min = s.mn;
    if (s.mx > max) max = s.mx;
    if (!s.v && !(s.n === 1 && s.mn === s.mx)) percentilesAvailable = false;
  }
  return {
    SampleCount: n,
    Sum: sum,
    Minimum: min,
    Maximum: max,
    Average: n > 0 ? sum / n : 0,
    samples,
    percentilesAvailable,
    unit: samples[0]?.u,
  };
}

const PERCENTILE = /^p(\d{1,2}(\.\d{1,10})?|100(\.0{1,10})?)$/;

export function isStandardStatistic(stat: string): stat is StandardStatistic {
  return (STATISTICS as readonly string[]).includes(stat);
}

/** `p0`..`p100` with up to ten decimals, as ExtendedStatistic and GetMetricData's Stat accept. */
export function isPercentile(stat: string): boolean {
  return PERCENTILE.test(stat);
}

/** Nearest-rank percentile of the values (with counts) of the samples. */
export function percentile(agg: Aggregate, p: number): number | undefined {
  if (!agg.percentilesAvailable) return undefined;
  const pairs: Array<[number, number]> = [];
  let total = 0;
  for (const s of agg.samples) {
    if (s.v) {
      s.v.forEach((value, i) => {
        const count = s.c?.[i] ?? 1;
        pairs.push([value, count]);
        total += count;
      });
    } else {
      pairs.push([s.mn, 1]);
      total += 1;
    }
  }
  if (total === 0) return undefined;
  pairs.sort((a, b) => a[0] - b[0]);
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [value, count] of pairs) {
    seen += count;
    if (seen >= rank) return value;
  }
  return pairs.at(-1)?.[0];
}

/** The value of one statistic (standard name or percentile) over an aggregate. */
export function statistic(agg: Aggregate, stat: string): number | undefined {
  if (isStandardStatistic(stat)) return agg[stat];
  if (isPercentile(stat)) return percentile(agg, Number(stat.slice(1)));
  return undefined;
}

/** The start of the period that holds `t`, periods aligned to the epoch (ms in, ms out). */
export function periodStart(t: number, periodSeconds: number): number {
  const p = periodSeconds * 1000;
  return Math.floor(t / p) * p;
}

/** Samples grouped into periods aligned to the epoch, in time order. */
export function bucket(
  samples: Sample[],
  periodSeconds: number,
): Array<{ start: number; samples: Sample[] }> {
  const out: Array<{ start: number; samples: Sample[] }> = [];
  for (const s of samples) {
    const start = periodStart(s.t, periodSeconds);
    const last = out.at(-1);
    if (last && last.start === start) last.samples.push(s);
    else out.push({ start, samples: [s] });
  }
  return out;
}
