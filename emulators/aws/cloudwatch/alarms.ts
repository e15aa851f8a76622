/**
 * Metric alarms: configuration (PutMetricAlarm and its rules), reads (DescribeAlarms,
 * DescribeAlarmsForMetric, DescribeAlarmHistory), state changes (evaluation, SetAlarmState) with
 * their history entries and actions. Evaluation itself is `evaluateAlarm` (pure); this file
 * collects the datapoints and applies the verdict. Actions go to SNS through the `publish` port;
 * a failure is written to the alarm's history, never thrown.
 */
import type { Where } from "../core/ports.ts";
import { cwErrors } from "./errors.ts";
import { EVALUATED_OPERATORS, type EvaluatedDatapoint, evaluateAlarm, formatAwsTime } from "./evaluate.ts";
import {
  ALARM_SUB_MINUTE_PERIODS,
  DESCRIBE_ALARMS_DEFAULT,
  DESCRIBE_ALARMS_MAX,
  HISTORY_MAX,
  MAX_ACTIONS,
  MAX_ALARM_DESCRIPTION,
  MAX_ALARM_NAMES,
  MAX_EVALUATION_SECONDS,
  MAX_EVALUATION_SECONDS_SHORT,
  MAX_STATE_REASON,
  MAX_STATE_REASON_DATA,
  STANDARD_UNITS,
} from "./limits.ts";
import { findMetric, samplesIn, unitParam } from "./metrics.ts";
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
import { alarmNotification, alarmSubject } from "./notification.ts";
import { type Alarm, type HistoryItem, type StateValue, storeKey } from "./state.ts";
import { aggregate, isPercentile, isStandardStatistic, statistic } from "./statistics.ts";
import { tagsParam } from "./tags.ts";

type Obj = Record<string, unknown>;

const STATES: readonly StateValue[] = ["OK", "ALARM", "INSUFFICIENT_DATA"];
const TREAT_MISSING = ["breaching", "notBreaching", "ignore", "missing"];
const BAND_OPERATORS = [
  "LessThanLowerOrGreaterThanUpperThreshold",
  "LessThanLowerThreshold",
  "GreaterThanUpperThreshold",
];
const HISTORY_TYPES = ["ConfigurationUpdate", "StateUpdate", "Action"];
const MATH_NOT_EVALUATED =
  "metric math alarms (Metrics) are stored but not evaluated by this emulator; only SetAlarmState changes their state";

export const keyOf = (w: Where) => storeKey(w.accountId, w.region);
export const alarmArn = (w: Where, name: string) =>
  `arn:aws:cloudwatch:${w.region}:${w.accountId}:alarm:${name}`;

export function getAlarm(m: Model, w: Where, name: string): Alarm | undefined {
  return m.state.stores.get(keyOf(w))?.alarms.get(name);
}

function actionsParam(value: unknown, name: string): string[] {
  const list = stringList(value, name, MAX_ACTIONS);
  list.forEach((arn, i) => {
    if (!/^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d*:.+/.test(arn)) {
      throw cwErrors.invalidParameterValue(`Invalid arn syntax: ${arn} (${name}.member.${i + 1})`);
    }
  });
  return list;
}

function history(m: Model, w: Where, item: Omit<HistoryItem, "AlarmType" | "Timestamp">): void {
  m.record({
    t: "history",
    k: keyOf(w),
    item: { ...item, AlarmType: "MetricAlarm", Timestamp: m.clock.now() },
  });
}

/** The API shape of an alarm (MetricAlarm), timestamps as epoch seconds. */
export function describeAlarm(a: Alarm): Obj {
  const { tags: _tags, ...rest } = a;
  return {
    ...rest,
    AlarmConfigurationUpdatedTimestamp: seconds(a.AlarmConfigurationUpdatedTimestamp),
    StateUpdatedTimestamp: seconds(a.StateUpdatedTimestamp),
    StateTransitionedTimestamp: seconds(a.StateTransitionedTimestamp),
  };
}

function alarmConfig(a: Alarm): Obj {
  const { tags: _t, StateValue: _s, StateReason: _r, StateReasonData: _d, ...config } = describeAlarm(a);
  const { StateUpdatedTimestamp: _u, StateTransitionedTimestamp: _x, ...rest } = config;
  return { ...rest, AlarmConfigurationUpdatedTimestamp: formatAwsTime(a.AlarmConfigurationUpdatedTimestamp) };
}

export function putMetricAlarm(m: Model, w: Where, input: Obj): Alarm {
  const name = requiredString(input.AlarmName, "AlarmName");
  const description = stringParam(input.AlarmDescription, "AlarmDescription", { max: MAX_ALARM_DESCRIPTION });
  const operator = requiredString(input.ComparisonOperator, "ComparisonOperator");
  if (BAND_OPERATORS.includes(operator)) {
    throw cwErrors.invalidParameterValue(
      `ComparisonOperator ${operator} compares against an anomaly detection band, which this emulator does not model; use ${EVALUATED_OPERATORS.join(", ")}.`,
    );
  }
  if (!EVALUATED_OPERATORS.includes(operator)) throw cwErrors.invalidValue("ComparisonOperator", operator);
  const evaluationPeriods = integerParam(input.EvaluationPeriods, "EvaluationPeriods", {
    required: true,
    min: 1,
  }) as number;
  const datapointsToAlarm = integerParam(input.DatapointsToAlarm, "DatapointsToAlarm", { min: 1 });
  if (datapointsToAlarm !== undefined && datapointsToAlarm > evaluationPeriods) {
    throw cwErrors.invalidParameterValue(
      `DatapointsToAlarm (${datapointsToAlarm}) must be less than or equal to EvaluationPeriods (${evaluationPeriods}).`,
    );
  }
  const treatMissing = stringParam(input.TreatMissingData, "TreatMissingData");
  if (treatMissing !== undefined && !TREAT_MISSING.includes(treatMissing)) {
    throw cwErrors.invalidParameterValue(
      `The value ${treatMissing} for parameter TreatMissingData is invalid. Valid values: ${TREAT_MISSING.join(", ")}.`,
    );
  }
  const lowSample = stringParam(input.EvaluateLowSampleCountPercentile, "EvaluateLowSampleCountPercentile");
  if (lowSample !== undefined && lowSample !== "evaluate" && lowSample !== "ignore") {
    throw cwErrors.invalidValue("EvaluateLowSampleCountPercentile", lowSample);
  }
  const unit = unitParam(input.Unit, "Unit");
  const metrics = listParam(input.Metrics, "Metrics");
  const math = metrics.length > 0;
  const statisticName = stringParam(input.Statistic, "Statistic");
  const extended = stringParam(input.ExtendedStatistic, "ExtendedStatistic");
  const threshold = numberParam(input.Threshold, "Threshold", true) as number;

  const single = {
    Namespace: input.Namespace,
    MetricName: input.MetricName,
    Statistic: statisticName,
    ExtendedStatistic: extended,
    Dimensions: input.Dimensions,
    Period: input.Period,
  };
  let period: number | undefined;
  if (math) {
    const clash = Object.entries(single)
      .filter(([, v]) => v !== undefined)
      .map(([k]) => k);
    if (clash.length > 0) {
      throw cwErrors.invalidParameterCombination(
        `The parameter Metrics cannot be combined with ${clash.join(", ")}: a metric math alarm names its metrics inside Metrics.`,
      );
    }
  } else {
    requiredString(input.Namespace, "Namespace");
    requiredString(input.MetricName, "MetricName");
    if ((statisticName === undefined) === (extended === undefined)) {
      throw cwErrors.invalidParameterCombination(
        "Exactly one of the parameters Statistic and ExtendedStatistic must be specified.",
      );
    }
    if (statisticName !== undefined && !isStandardStatistic(statisticName))
      throw cwErrors.invalidValue("Statistic", statisticName);
    if (extended !== undefined && !isPercentile(extended))
      throw cwErrors.invalidValue("ExtendedStatistic", extended);
    period = integerParam(input.Period, "Period", { required: true, min: 1 }) as number;
    if (period % 60 !== 0 && !(ALARM_SUB_MINUTE_PERIODS as readonly number[]).includes(period)) {
      throw cwErrors.invalidParameterValue("The parameter Period must be 10, 20, 30, or a multiple of 60.");
    }
    const limit = period < 3600 ? MAX_EVALUATION_SECONDS_SHORT : MAX_EVALUATION_SECONDS;
    if (period * evaluationPeriods > limit) {
      throw cwErrors.invalidParameterValue(
        `Period (${period}) multiplied by EvaluationPeriods (${evaluationPeriods}) must be ${limit} seconds or less.`,
      );
    }
  }
  const dimensions = math ? [] : dimensionsParam(input.Dimensions, "Dimensions");
  const okActions = actionsParam(input.OKActions, "OKActions");
  const alarmActions = actionsParam(input.AlarmActions, "AlarmActions");
  const insufficientActions = actionsParam(input.InsufficientDataActions, "InsufficientDataActions");
  const actionsEnabled = booleanParam(input.ActionsEnabled, "ActionsEnabled") ?? true;
  const tags = tagsParam(input.Tags);

  const now = m.clock.now();
  const existing = getAlarm(m, w, name);
  const alarm: Alarm = {
    AlarmName: name,
    AlarmArn: alarmArn(w, name),
    ...(description !== undefined && { AlarmDescription: description }),
    ActionsEnabled: actionsEnabled,
    OKActions: okActions,
    AlarmActions: alarmActions,
    InsufficientDataActions: insufficientActions,
    ...(!math && {
      MetricName: input.MetricName as string,
      Namespace: input.Namespace as string,
      ...(statisticName !== undefined && { Statistic: statisticName }),
      ...(extended !== undefined && { ExtendedStatistic: extended }),
      Period: period,
    }),
    Dimensions: dimensions,
    ...(unit !== undefined && { Unit: unit }),
    EvaluationPeriods: evaluationPeriods,
    ...(datapointsToAlarm !== undefined && { DatapointsToAlarm: datapointsToAlarm }),
    Threshold: threshold,
    ComparisonOperator: operator,
    ...(treatMissing !== undefined && { TreatMissingData: treatMissing }),
    ...(lowSample !== undefined && { EvaluateLowSampleCountPercentile: lowSample }),
    ...(math && { Metrics: metrics }),
    ...(input.ThresholdMetricId !== undefined && { ThresholdMetricId: String(input.ThresholdMetricId) }),
    StateValue: existing?.StateValue ?? "INSUFFICIENT_DATA",
    StateReason:
      existing?.StateReason ?? `Unchecked: Initial alarm creation${math ? ` (${MATH_NOT_EVALUATED})` : ""}`,
    ...(existing?.StateReasonData !== undefined && { StateReasonData: existing.StateReasonData }),
    StateUpdatedTimestamp: existing?.StateUpdatedTimestamp ?? now,
    StateTransitionedTimestamp: existing?.StateTransitionedTimestamp ?? now,
    AlarmConfigurationUpdatedTimestamp: now,
    // AWS ignores Tags when the call updates an existing alarm.
    tags: existing ? existing.tags : tags,
  };
  m.record({ t: "alarm", k: keyOf(w), a: alarm });
  history(m, w, {
    AlarmName: name,
    HistoryItemType: "ConfigurationUpdate",
    HistorySummary: `Alarm "${name}" ${existing ? "updated" : "created"}`,
    HistoryData: JSON.stringify(
      existing
        ? {
            version: "1.0",
            type: "Update",
            originalUpdatedAlarm: alarmConfig(existing),
            updatedAlarm: alarmConfig(alarm),
          }
        : { version: "1.0", type: "Create", createdAlarm: alarmConfig(alarm) },
    ),
  });
  return alarm;
}

/** Whether the scheduler can evaluate this alarm (single metric, static threshold). */
export function isEvaluated(a: Alarm): boolean {
  return a.Metrics === undefined && a.Period !== undefined && a.MetricName !== undefined;
}

/**
 * A state change: the alarm's new state, a StateUpdate history entry and, when actions are
 * enabled, the actions of the new state. Nothing happens when the state is unchanged.
 */
export function changeState(
  m: Model,
  w: Where,
  alarm: Alarm,
  state: StateValue,
  reason: string,
  reasonData?: string,
): boolean {
  if (alarm.StateValue === state) return false;
  const now = m.clock.now();
  const old = { stateValue: alarm.StateValue, stateReason: alarm.StateReason };
  const updated: Alarm = {
    ...alarm,
    StateValue: state,
    StateReason: reason,
    StateUpdatedTimestamp: now,
    StateTransitionedTimestamp: now,
  };
  if (reasonData === undefined) delete updated.StateReasonData;
  else updated.StateReasonData = reasonData;
  m.record({ t: "alarm", k: keyOf(w), a: updated });
  history(m, w, {
    AlarmName: alarm.AlarmName,
    HistoryItemType: "StateUpdate",
    HistorySummary: `Alarm updated from ${alarm.StateValue} to ${state}`,
    HistoryData: JSON.stringify({
      version: "1.0",
      oldState: old,
      newState: {
        stateValue: state,
        stateReason: reason,
        ...(reasonData !== undefined && { stateReasonData: safeJson(reasonData) }),
      },
    }),
  });
  if (updated.ActionsEnabled) {
    const actions =
      state === "ALARM"
        ? updated.AlarmActions
        : state === "OK"
          ? updated.OKActions
          : updated.InsufficientDataActions;
    for (const arn of actions) runAction(m, w, updated, alarm.StateValue, arn, now);
  }
  return true;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function runAction(m: Model, w: Where, alarm: Alarm, oldState: StateValue, arn: string, at: number): void {
  const base = { notificationResource: arn, stateUpdateTimestamp: at };
  const fail = (error: string) =>
    history(m, w, {
      AlarmName: alarm.AlarmName,
      HistoryItemType: "Action",
      HistorySummary: `Failed to execute action ${arn}. Received error: "${error}"`,
      HistoryData: JSON.stringify({ actionState: "Failed", ...base, error }),
    });
  if (!/^arn:aws[a-z-]*:sns:/.test(arn)) {
    fail("This emulator only runs SNS topic actions (arn:aws:sns:...); this action type is not emulated.");
    return;
  }
  const message = JSON.stringify(alarmNotification(alarm, { oldState, at }, w));
  try {
    const messageId = m.ports.publish(arn, {
      message,
      subject: alarmSubject(alarm.AlarmName, alarm.StateValue, w.region),
    });
    history(m, w, {
      AlarmName: alarm.AlarmName,
      HistoryItemType: "Action",
      HistorySummary: `Successfully executed action ${arn}`,
      HistoryData: JSON.stringify({ actionState: "Succeeded", ...base, publishedMessage: { messageId } }),
    });
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
}

/** The alarm's statistic for each of its last EvaluationPeriods periods that end at `boundary`. */
export function collectDatapoints(m: Model, w: Where, alarm: Alarm, boundary: number): EvaluatedDatapoint[] {
  const period = (alarm.Period ?? 60) * 1000;
  const metric = findMetric(m, keyOf(w), alarm.Namespace ?? "", alarm.MetricName ?? "", alarm.Dimensions);
  const stat = alarm.Statistic ?? alarm.ExtendedStatistic ?? "Average";
  const points: EvaluatedDatapoint[] = [];
  for (let i = alarm.EvaluationPeriods; i >= 1; i--) {
    const start = boundary - i * period;
    const agg = aggregate(samplesIn(metric, start, start + period, alarm.Unit));
    const value = agg ? statistic(agg, stat) : undefined;
    points.push(
      value === undefined ? { timestamp: start } : { timestamp: start, value, sampleCount: agg?.SampleCount },
    );
  }
  return points;
}

/** One scheduled evaluation at a period boundary; returns the alarm's state afterwards. */
export function evaluateAt(m: Model, w: Where, name: string, boundary: number): StateValue | undefined {
  const alarm = getAlarm(m, w, name);
  if (!alarm || !isEvaluated(alarm)) return alarm?.StateValue;
  const points = collectDatapoints(m, w, alarm, boundary);
  const verdict = evaluateAlarm(points, {
    ComparisonOperator: alarm.ComparisonOperator,
    Threshold: alarm.Threshold ?? 0,
    EvaluationPeriods: alarm.EvaluationPeriods,
    ...(alarm.DatapointsToAlarm !== undefined && { DatapointsToAlarm: alarm.DatapointsToAlarm }),
    ...(alarm.TreatMissingData !== undefined && { TreatMissingData: alarm.TreatMissingData }),
    StateValue: alarm.StateValue,
    Period: alarm.Period ?? 60,
    ...(alarm.Statistic !== undefined && { Statistic: alarm.Statistic }),
    ...(alarm.ExtendedStatistic !== undefined && { ExtendedStatistic: alarm.ExtendedStatistic }),
    ...(alarm.Unit !== undefined && { Unit: alarm.Unit }),
  });
  const reasonData = JSON.stringify({
    ...verdict.reasonData,
    queryDate: formatAwsTime(m.clock.now()),
    startDate: formatAwsTime(points[0]?.timestamp ?? boundary),
  });
  changeState(m, w, alarm, verdict.state, verdict.reason, reasonData);
  return verdict.state;
}

export function setAlarmState(m: Model, w: Where, input: Obj): void {
  const name = requiredString(input.AlarmName, "AlarmName");
  const state = requiredString(input.StateValue, "StateValue");
  if (!(STATES as readonly string[]).includes(state)) throw cwErrors.invalidValue("StateValue", state);
  const reason = stringParam(input.StateReason, "StateReason", {
    required: true,
    min: 0,
    max: MAX_STATE_REASON,
  }) as string;
  const data = stringParam(input.StateReasonData, "StateReasonData", { max: MAX_STATE_REASON_DATA });
  if (data !== undefined) {
    try {
      JSON.parse(data);
    } catch {
      throw cwErrors.invalidFormat("Invalid JSON in StateReasonData.");
    }
  }
  const alarm = getAlarm(m, w, name);
  if (!alarm) throw cwErrors.alarmNotFound(name);
  changeState(m, w, alarm, state as StateValue, reason, data);
}

function alarmNames(input: Obj): string[] {
  if (input.AlarmNames === undefined) throw cwErrors.missingParameter("AlarmNames");
  return stringList(input.AlarmNames, "AlarmNames", MAX_ALARM_NAMES);
}

export function deleteAlarms(m: Model, w: Where, input: Obj): void {
  const names = alarmNames(input);
  const missing = names.filter((n) => !getAlarm(m, w, n));
  if (missing.length > 0) throw cwErrors.alarmNotFound(missing.join(", "));
  for (const name of names) {
    m.record({ t: "alarmDeleted", k: keyOf(w), name });
    history(m, w, {
      AlarmName: name,
      HistoryItemType: "ConfigurationUpdate",
      HistorySummary: `Alarm "${name}" deleted`,
      HistoryData: JSON.stringify({ version: "1.0", type: "Delete" }),
    });
  }
}

export function setActionsEnabled(m: Model, w: Where, input: Obj, enabled: boolean): void {
  for (const name of alarmNames(input)) {
    const alarm = getAlarm(m, w, name);
    if (!alarm || alarm.ActionsEnabled === enabled) continue;
    m.record({ t: "alarm", k: keyOf(w), a: { ...alarm, ActionsEnabled: enabled } });
    history(m, w, {
      AlarmName: name,
      HistoryItemType: "ConfigurationUpdate",
      HistorySummary: `Alarm "${name}" updated`,
      HistoryData: JSON.stringify({ version: "1.0", type: "Update", actionsEnabled: enabled }),
    });
  }
}

function sortedAlarms(m: Model, w: Where): Alarm[] {
  return [...(m.state.stores.get(keyOf(w))?.alarms.values() ?? [])].sort((a, b) =>
    a.AlarmName < b.AlarmName ? -1 : a.AlarmName > b.AlarmName ? 1 : 0,
  );
}

export function describeAlarms(m: Model, w: Where, input: Obj) {
  const names = stringList(input.AlarmNames, "AlarmNames", MAX_ALARM_NAMES);
  const prefix = stringParam(input.AlarmNamePrefix, "AlarmNamePrefix", { min: 1, max: 255 });
  if (names.length > 0 && prefix !== undefined) {
    throw cwErrors.invalidParameterCombination(
      "AlarmNames and AlarmNamePrefix cannot be specified together.",
    );
  }
  const state = stringParam(input.StateValue, "StateValue");
  if (state !== undefined && !(STATES as readonly string[]).includes(state))
    throw cwErrors.invalidValue("StateValue", state);
  const actionPrefix = stringParam(input.ActionPrefix, "ActionPrefix", { min: 1, max: 1024 });
  const types = stringList(input.AlarmTypes, "AlarmTypes");
  for (const t of types)
    if (t !== "MetricAlarm" && t !== "CompositeAlarm") throw cwErrors.invalidValue("AlarmTypes", t);
  if (input.ChildrenOfAlarmName !== undefined || input.ParentsOfAlarmName !== undefined) {
    throw cwErrors.invalidParameterValue(
      "Composite alarms are not emulated: ChildrenOfAlarmName/ParentsOfAlarmName are not supported.",
    );
  }
  const max =
    integerParam(input.MaxRecords, "MaxRecords", { min: 1, max: DESCRIBE_ALARMS_MAX }) ??
    DESCRIBE_ALARMS_DEFAULT;
  const wantMetric = types.length === 0 || types.includes("MetricAlarm");
  const alarms = wantMetric
    ? sortedAlarms(m, w).filter(
        (a) =>
          (names.length === 0 || names.includes(a.AlarmName)) &&
          (prefix === undefined || a.AlarmName.startsWith(prefix)) &&
          (state === undefined || a.StateValue === state) &&
          (actionPrefix === undefined ||
            [...a.AlarmActions, ...a.OKActions, ...a.InsufficientDataActions].some((arn) =>
              arn.startsWith(actionPrefix),
            )),
      )
    : [];
  const { page, NextToken } = paginate(alarms, input.NextToken, max);
  return { MetricAlarms: page.map(describeAlarm), CompositeAlarms: [], ...(NextToken && { NextToken }) };
}

export function describeAlarmsForMetric(m: Model, w: Where, input: Obj) {
  const name = requiredString(input.MetricName, "MetricName");
  const ns = requiredString(input.Namespace, "Namespace");
  const stat = stringParam(input.Statistic, "Statistic");
  const extended = stringParam(input.ExtendedStatistic, "ExtendedStatistic");
  const dims = input.Dimensions === undefined ? undefined : dimensionsParam(input.Dimensions, "Dimensions");
  const period = integerParam(input.Period, "Period", { min: 1 });
  const unit = stringParam(input.Unit, "Unit");
  if (unit !== undefined && !STANDARD_UNITS.has(unit)) throw cwErrors.invalidValue("Unit", unit);
  const same = (a: Alarm) =>
    dims === undefined ||
    (a.Dimensions.length === dims.length &&
      a.Dimensions.every((d, i) => d.Name === dims[i]?.Name && d.Value === dims[i]?.Value));
  return {
    MetricAlarms: sortedAlarms(m, w)
      .filter(
        (a) =>
          a.MetricName === name &&
          a.Namespace === ns &&
          (stat === undefined || a.Statistic === stat) &&
          (extended === undefined || a.ExtendedStatistic === extended) &&
          (period === undefined || a.Period === period) &&
          (unit === undefined || a.Unit === unit) &&
          same(a),
      )
      .map(describeAlarm),
  };
}

export function describeAlarmHistory(m: Model, w: Where, input: Obj) {
  const name = stringParam(input.AlarmName, "AlarmName", { min: 1, max: 255 });
  const type = stringParam(input.HistoryItemType, "HistoryItemType");
  if (type !== undefined && !HISTORY_TYPES.includes(type))
    throw cwErrors.invalidValue("HistoryItemType", type);
  const types = stringList(input.AlarmTypes, "AlarmTypes");
  const start = timestampParam(input.StartDate, "StartDate");
  const end = timestampParam(input.EndDate, "EndDate");
  const scanBy = stringParam(input.ScanBy, "ScanBy") ?? "TimestampDescending";
  if (scanBy !== "TimestampDescending" && scanBy !== "TimestampAscending")
    throw cwErrors.invalidValue("ScanBy", scanBy);
  const max = integerParam(input.MaxRecords, "MaxRecords", { min: 1, max: HISTORY_MAX }) ?? HISTORY_MAX;
  const items = (m.state.stores.get(keyOf(w))?.history ?? []).filter(
    (h) =>
      (name === undefined || h.AlarmName === name) &&
      (type === undefined || h.HistoryItemType === type) &&
      (types.length === 0 || types.includes(h.AlarmType)) &&
      (start === undefined || h.Timestamp >= start) &&
      (end === undefined || h.Timestamp <= end),
  );
  if (scanBy === "TimestampDescending") items.reverse();
  const { page, NextToken } = paginate(items, input.NextToken, max);
  return {
    AlarmHistoryItems: page.map((h) => ({ ...h, Timestamp: seconds(h.Timestamp) })),
    ...(NextToken && { NextToken }),
  };
}
