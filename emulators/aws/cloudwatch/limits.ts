/**
 * CloudWatch limits, from the AWS SDK's model documentation (@aws-sdk/client-cloudwatch
 * dist-types/models/models_0.d.ts and commands/*.d.ts) unless noted.
 */

/** PutMetricData: "more than 1000 different metrics" per request are refused. */
export const MAX_METRIC_DATA = 1000;
/** MetricDatum.Values: "up to 150 unique values in each PutMetricData action". */
export const MAX_VALUES_PER_DATUM = 150;
/** "You can use up to 30 dimensions per metric". */
export const MAX_DIMENSIONS = 30;
export const MAX_NAME_LENGTH = 255;
export const MAX_DIMENSION_VALUE_LENGTH = 1024;
/** Values must be in the range of -2^360 to 2^360. */
export const MAX_ABS_VALUE = 2 ** 360;
/** Timestamps "as much as two weeks before the current date, and as much as 2 hours after". */
export const MAX_PAST_MS = 14 * 24 * 3600_000;
export const MAX_FUTURE_MS = 2 * 3600_000;
/** Raw data kept for 15 days (CloudWatch's retention of sub-minute and 1-minute data points). */
export const RETENTION_MS = 15 * 24 * 3600_000;
/** GetMetricStatistics: "The maximum number of data points returned from a single call is 1,440." */
export const MAX_DATAPOINTS_PER_CALL = 1440;
/** GetMetricData: "as many as 500 different metrics in a single request". */
export const MAX_METRIC_DATA_QUERIES = 500;
/** GetMetricData MaxDatapoints default: "a total of as many as 100,800 data points". */
export const MAX_METRIC_DATA_POINTS = 100_800;
/** ListMetrics: "Up to 500 results are returned for any one call." */
export const LIST_METRICS_PAGE = 500;
/** ListMetrics RecentlyActive: PT3H is the only valid value. */
export const RECENTLY_ACTIVE_MS = 3 * 3600_000;
/** High-resolution periods; every other period is a multiple of 60. */
export const HIGH_RES_PERIODS = [1, 5, 10, 20, 30] as const;
/** Alarm periods: "valid values are 10, 20, 30, and any multiple of 60". */
export const ALARM_SUB_MINUTE_PERIODS = [10, 20, 30] as const;
/** Period x EvaluationPeriods <= 7 days; <= 1 day when Period < 1 hour. */
export const MAX_EVALUATION_SECONDS = 604_800;
export const MAX_EVALUATION_SECONDS_SHORT = 86_400;
/** AlarmActions/OKActions/InsufficientDataActions: "Maximum number of 5 items." */
export const MAX_ACTIONS = 5;
/** DescribeAlarms MaxRecords 1..100 (default 50); DescribeAlarmHistory 1..100 (default 100). */
export const DESCRIBE_ALARMS_MAX = 100;
export const DESCRIBE_ALARMS_DEFAULT = 50;
export const HISTORY_MAX = 100;
/** "CloudWatch retains the history of an alarm even if you delete the alarm" for 30 days. */
export const HISTORY_RETENTION_MS = 30 * 24 * 3600_000;
export const MAX_ALARM_NAMES = 100;
export const MAX_STATE_REASON = 1023;
export const MAX_STATE_REASON_DATA = 4000;
export const MAX_ALARM_DESCRIPTION = 1024;
export const MAX_TAGS = 50;
export const MAX_TAG_KEY = 128;
export const MAX_TAG_VALUE = 256;
/** Dashboards: the grid is 24 columns wide; heights up to 1000 (CloudWatch dashboard body reference). */
export const DASHBOARD_COLUMNS = 24;
export const DASHBOARD_MAX_HEIGHT = 1000;
export const DASHBOARD_MAX_WIDGETS = 500;
export const LIST_DASHBOARDS_PAGE = 1000;

export { STANDARD_UNITS } from "../core/metric-units.ts";

export const STATISTICS = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"] as const;
export type StandardStatistic = (typeof STATISTICS)[number];
