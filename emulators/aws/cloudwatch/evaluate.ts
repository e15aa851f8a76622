/**
 * Alarm evaluation as a pure function (no I/O, no clock): the scheduler collects one datapoint
 * per period for the last EvaluationPeriods periods and asks `evaluateAlarm` for the state.
 *
 * AWS's rules (CloudWatch User Guide, "Evaluating an alarm" and "Configuring how CloudWatch
 * alarms treat missing data"):
 * - M out of N: ALARM when at least DatapointsToAlarm (M, default EvaluationPeriods) of the last
 *   EvaluationPeriods (N) datapoints breach; otherwise OK.
 * - TreatMissingData: `breaching` / `notBreaching` count a missing datapoint as such; `missing`
 *   (the default) and `ignore` leave it out. With every datapoint missing, `missing` goes to
 *   INSUFFICIENT_DATA, `ignore` keeps the current state, `breaching` goes to ALARM and
 *   `notBreaching` to OK.
 * - Avoiding premature transitions: with `missing`, the alarm goes to ALARM when the oldest
 *   available breaching datapoint is at least M datapoints old and every more recent datapoint
 *   breaches or is missing, even with fewer than M datapoints present (`ignore` keeps its state).
 */
import type { StateValue } from "./state.ts";

export interface EvaluatedDatapoint {
  /** Start of the period, epoch ms. */
  timestamp: number;
  /** The alarm's statistic over the period; absent when the period had no data. */
  value?: number;
  sampleCount?: number;
}

export interface AlarmRule {
  ComparisonOperator: string;
  Threshold: number;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  TreatMissingData?: string;
  StateValue: StateValue;
  Period: number;
  Statistic?: string;
  ExtendedStatistic?: string;
  Unit?: string;
}

export interface Evaluation {
  state: StateValue;
  reason: string;
  /** The StateReasonData object, less `queryDate`/`startDate` (the caller knows the time). */
  reasonData: Record<string, unknown>;
}

const COMPARISONS: Record<string, { test: (v: number, t: number) => boolean; words: string }> = {
  GreaterThanOrEqualToThreshold: { test: (v, t) => v >= t, words: "greater than or equal to" },
  GreaterThanThreshold: { test: (v, t) => v > t, words: "greater than" },
  LessThanThreshold: { test: (v, t) => v < t, words: "less than" },
  LessThanOrEqualToThreshold: { test: (v, t) => v <= t, words: "less than or equal to" },
};

/** The four static-threshold operators; the anomaly-band ones need a model this emulator lacks. */
export const EVALUATED_OPERATORS = Object.keys(COMPARISONS);

/** Java's Double.toString, which AWS's reasons use: `5.0`, `0.25`, `1.0E7`. */
export function formatDouble(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e7) return x.toFixed(1);
  if (Math.abs(x) >= 1e7 || (x !== 0 && Math.abs(x) < 1e-3)) {
    const [mantissa = "0", exp = "0"] = x.toExponential().split("e");
    return `${mantissa.includes(".") ? mantissa : `${mantissa}.0`}E${Number(exp)}`;
  }
  return String(x);
}

/** `dd/MM/yy HH:mm:ss` in UTC, as in AWS's state reasons. */
export function formatReasonTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCFullYear() % 100)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

/** `2024-01-26T12:00:00.000+0000`, the timestamp form of StateReasonData and notifications. */
export function formatAwsTime(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+0000");
}

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

export function evaluateAlarm(datapoints: readonly EvaluatedDatapoint[], alarm: AlarmRule): Evaluation {
  const comparison = COMPARISONS[alarm.ComparisonOperator];
  if (!comparison) throw new Error(`comparison operator ${alarm.ComparisonOperator} is not evaluated`);
  const n = alarm.EvaluationPeriods;
  const m = alarm.DatapointsToAlarm ?? n;
  const treat = alarm.TreatMissingData ?? "missing";
  const window = datapoints.slice(-n);
  const present = window.filter((d): d is EvaluatedDatapoint & { value: number } => d.value !== undefined);
  const breaches = (d: EvaluatedDatapoint) =>
    d.value !== undefined && comparison.test(d.value, alarm.Threshold);

  const newestFirst = [...present].reverse();
  const reasonData: Record<string, unknown> = {
    version: "1.0",
    ...(alarm.Statistic !== undefined && { statistic: alarm.Statistic }),
    ...(alarm.ExtendedStatistic !== undefined && { statistic: alarm.ExtendedStatistic }),
    ...(alarm.Unit !== undefined && { unit: alarm.Unit }),
    period: alarm.Period,
    recentDatapoints: present.map((d) => d.value),
    threshold: alarm.Threshold,
    evaluatedDatapoints: newestFirst.map((d) => ({
      timestamp: formatAwsTime(d.timestamp),
      ...(d.sampleCount !== undefined && { sampleCount: d.sampleCount }),
      value: d.value,
    })),
  };

  if (present.length === 0) {
    const missing = `no datapoints were received for ${n} ${plural(n, "period", "periods")} and ${n} missing ${plural(n, "datapoint was", "datapoints were")} treated as`;
    switch (treat) {
      case "breaching":
        return { state: "ALARM", reason: `Threshold Crossed: ${missing} [Breaching].`, reasonData };
      case "notBreaching":
        return { state: "OK", reason: `Threshold Crossed: ${missing} [NonBreaching].`, reasonData };
      case "ignore":
        return {
          state: alarm.StateValue,
          reason: `Insufficient Data: ${missing} [Ignore]; state kept.`,
          reasonData,
        };
      default:
        return {
          state: "INSUFFICIENT_DATA",
          reason: `Insufficient Data: ${n} ${plural(n, "datapoint was", "datapoints were")} unknown.`,
          reasonData,
        };
    }
  }

  const countedAsBreaching = treat === "breaching" ? window.length - present.length : 0;
  const breaching = present.filter(breaches);
  const breachCount = breaching.length + countedAsBreaching;
  const list = (points: EvaluatedDatapoint[]) =>
    [...points]
      .reverse()
      .map((d) => `${formatDouble(d.value ?? 0)} (${formatReasonTime(d.timestamp)})`)
      .join(", ");
  const out = (k: number, points: EvaluatedDatapoint[]) =>
    n === 1
      ? `${k} ${plural(k, "datapoint", "datapoints")} [${list(points)}]`
      : `${k} out of the last ${n} datapoints [${list(points)}]`;

  if (breachCount >= m) {
    const extra = countedAsBreaching > 0 ? ` (${countedAsBreaching} missing treated as breaching)` : "";
    return {
      state: "ALARM",
      reason:
        `Threshold Crossed: ${out(breachCount, breaching)}${extra} ${plural(breachCount, "was", "were")} ${comparison.words} the threshold (${formatDouble(alarm.Threshold)})` +
        (n === 1
          ? "."
          : ` (minimum ${m} ${plural(m, "datapoint", "datapoints")} for OK -> ALARM transition).`),
      reasonData,
    };
  }

  if (treat === "missing" || treat === "ignore") {
    const oldest = window.findIndex(breaches);
    const premature =
      oldest >= 0 &&
      window.length - oldest >= m &&
      window.slice(oldest).every((d) => d.value === undefined || breaches(d));
    if (premature) {
      if (treat === "ignore") {
        return {
          state: alarm.StateValue,
          reason: "Premature alarm for missing datapoints [Ignore]; state kept.",
          reasonData,
        };
      }
      return {
        state: "ALARM",
        reason: `Threshold Crossed: ${out(breaching.length, breaching)} ${plural(breaching.length, "was", "were")} ${comparison.words} the threshold (${formatDouble(alarm.Threshold)}) and the more recent datapoints are missing (premature alarm for missing datapoints).`,
        reasonData,
      };
    }
  }

  const fine = present.filter((d) => !breaches(d));
  const notCount = fine.length + (treat === "notBreaching" ? window.length - present.length : 0);
  return {
    state: "OK",
    reason:
      `Threshold Crossed: ${out(notCount, fine)} ${plural(notCount, "was", "were")} not ${comparison.words} the threshold (${formatDouble(alarm.Threshold)})` +
      (n === 1
        ? "."
        : ` (minimum ${n - m + 1} ${plural(n - m + 1, "datapoint", "datapoints")} for ALARM -> OK transition).`),
    reasonData,
  };
}
