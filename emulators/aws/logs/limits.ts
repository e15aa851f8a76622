/**
 * CloudWatch Logs limits, from the AWS SDK's model documentation
 * (@aws-sdk/client-cloudwatch-logs dist-types/models/models_0.d.ts and the PutLogEventsCommand
 * docs), which is current where older guides are not: sequence tokens are ignored, the batch
 * must still be in chronological order.
 */
const HOUR_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * HOUR_MS;

/** LogGroup.retentionInDays: "Possible values are: 1, 3, 5, ... 3288, and 3653." */
export const RETENTION_DAYS: ReadonlySet<number> = new Set([
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
]);

// PutLogEvents: "The maximum batch size is 1,048,576 bytes ... plus 26 bytes for each log event."
export const MAX_BATCH_BYTES = 1_048_576;
export const EVENT_OVERHEAD_BYTES = 26;
export const MAX_BATCH_EVENTS = 10_000;
/** "Each log event can be no larger than 1 MB." */
export const MAX_EVENT_BYTES = 1_048_576 - EVENT_OVERHEAD_BYTES;
/** "Events more than 2 hours in the future are rejected." */
export const MAX_FUTURE_MS = 2 * HOUR_MS;
/** "Events older than 14 days ... are rejected." */
export const MAX_AGE_MS = 14 * DAY_MS;
/** "the time span in a single batch cannot exceed 24 hours." */
export const MAX_BATCH_SPAN_MS = 24 * HOUR_MS;

export const LOG_GROUP_NAME = { min: 1, max: 512, pattern: /^[.\-_/#A-Za-z0-9]+$/ };
export const LOG_STREAM_NAME = { min: 1, max: 512, pattern: /^[^:*]*$/ };
export const FILTER_NAME = { min: 1, max: 512, pattern: /^[^:*]*$/ };
export const METRIC_NAME = { max: 255, pattern: /^[^:*$]*$/ };
export const MAX_FILTER_PATTERN_LENGTH = 1_024;
export const MAX_METRIC_VALUE_LENGTH = 100;
export const MAX_METRIC_FILTERS_PER_GROUP = 100;
export const MAX_DIMENSIONS = 3;

export const TAG_KEY = { min: 1, max: 128, pattern: /^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$/u };
export const TAG_VALUE = { max: 256, pattern: /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u };
export const MAX_TAGS = 50;

/** DescribeLogGroups / DescribeLogStreams / DescribeMetricFilters: "default is up to 50 items". */
export const DESCRIBE_LIMIT = { min: 1, max: 50, default: 50 };
/** GetLogEvents / FilterLogEvents: up to 10,000 events, as many as fit in 1 MB. */
export const EVENTS_LIMIT = { min: 1, max: 10_000, default: 10_000 };
export const MAX_RESPONSE_BYTES = 1_048_576;

/** How often expired events are swept from memory (reads already hide them). */
export const RETENTION_SWEEP_MS = 60_000;
/** Metric data the control route keeps for tests (`GET /_emulator/logs/metric-data`). */
export const PUBLISHED_METRICS_KEPT = 1_000;
