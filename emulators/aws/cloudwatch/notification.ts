/**
 * The SNS message CloudWatch sends for an alarm state change (the alarm notification JSON of the
 * CloudWatch User Guide), built as a pure function so it can be checked field by field.
 */
import { formatAwsTime } from "./evaluate.ts";
import type { Alarm, StateValue } from "./state.ts";

/** Region long names as they appear in notifications and subjects. */
const REGION_NAMES: Record<string, string> = {
  "us-east-1": "US East (N. Virginia)",
  "us-east-2": "US East (Ohio)",
  "us-west-1": "US West (N. California)",
  "us-west-2": "US West (Oregon)",
  "ca-central-1": "Canada (Central)",
  "eu-west-1": "EU (Ireland)",
  "eu-west-2": "EU (London)",
  "eu-west-3": "EU (Paris)",
  "eu-central-1": "EU (Frankfurt)",
  "eu-north-1": "EU (Stockholm)",
  "eu-south-1": "EU (Milan)",
  "ap-south-1": "Asia Pacific (Mumbai)",
  "ap-northeast-1": "Asia Pacific (Tokyo)",
  "ap-northeast-2": "Asia Pacific (Seoul)",
  "ap-northeast-3": "Asia Pacific (Osaka)",
  "ap-southeast-1": "Asia Pacific (Singapore)",
  "ap-southeast-2": "Asia Pacific (Sydney)",
  "ap-east-1": "Asia Pacific (Hong Kong)",
  "sa-east-1": "South America (Sao Paulo)",
  "me-south-1": "Middle East (Bahrain)",
  "af-south-1": "Africa (Cape Town)",
};

export function regionName(region: string): string {
  return REGION_NAMES[region] ?? region;
}

export function alarmSubject(alarmName: string, state: StateValue, region: string): string {
  return `${state}: "${alarmName}" in ${regionName(region)}`;
}

export function alarmNotification(
  alarm: Alarm,
  change: { oldState: StateValue; at: number },
  where: { accountId: string; region: string },
): Record<string, unknown> {
  const extended = alarm.ExtendedStatistic !== undefined;
  return {
    AlarmName: alarm.AlarmName,
    AlarmDescription: alarm.AlarmDescription ?? null,
    AWSAccountId: where.accountId,
    AlarmConfigurationUpdatedTimestamp: formatAwsTime(alarm.AlarmConfigurationUpdatedTimestamp),
    NewStateValue: alarm.StateValue,
    NewStateReason: alarm.StateReason,
    StateChangeTime: formatAwsTime(change.at),
    Region: regionName(where.region),
    AlarmArn: alarm.AlarmArn,
    OldStateValue: change.oldState,
    OKActions: alarm.OKActions,
    AlarmActions: alarm.AlarmActions,
    InsufficientDataActions: alarm.InsufficientDataActions,
    Trigger: {
      MetricName: alarm.MetricName,
      Namespace: alarm.Namespace,
      StatisticType: extended ? "ExtendedStatistic" : "Statistic",
      ...(extended
        ? { ExtendedStatistic: alarm.ExtendedStatistic }
        : { Statistic: alarm.Statistic?.toUpperCase() }),
      Unit: alarm.Unit ?? null,
      Dimensions: alarm.Dimensions.map((d) => ({ value: d.Value, name: d.Name })),
      Period: alarm.Period,
      EvaluationPeriods: alarm.EvaluationPeriods,
      ...(alarm.DatapointsToAlarm !== undefined && { DatapointsToAlarm: alarm.DatapointsToAlarm }),
      ComparisonOperator: alarm.ComparisonOperator,
      Threshold: alarm.Threshold,
      // AWS really sends this padded "- TreatMissingData: <value>" string in notifications.
      TreatMissingData: `- TreatMissingData:                    ${alarm.TreatMissingData ?? "missing"}`,
      EvaluateLowSampleCountPercentile: alarm.EvaluateLowSampleCountPercentile ?? "",
    },
  };
}
