/**
 * SQS limits, from the AWS SDK's model documentation (@aws-sdk/client-sqs models_0.d.ts), which is
 * current where older guides are not (messages and batches may be 1 MiB, not 256 KiB).
 */
export const MAX_MESSAGE_BYTES = 1_048_576; // MaximumMessageSize default and max
export const MIN_MESSAGE_BYTES = 1_024; // MaximumMessageSize min
export const MAX_BATCH_BYTES = 1_048_576; // "the sum of all messages ... up to 1 MiB"
export const MAX_BATCH_ENTRIES = 10;
export const MAX_BATCH_ENTRY_ID_LENGTH = 80;
export const MAX_RECEIVE = { min: 1, max: 10 };
export const WAIT_TIME_SECONDS = { min: 0, max: 20 };
export const VISIBILITY_TIMEOUT_SECONDS = { min: 0, max: 43_200, default: 30 };
export const DELAY_SECONDS = { min: 0, max: 900, default: 0 };
export const RETENTION_SECONDS = { min: 60, max: 1_209_600, default: 345_600 };
export const MAX_RECEIVE_COUNT = { min: 1, max: 1_000 };
export const MAX_QUEUE_NAME_LENGTH = 80;
export const MAX_MESSAGE_ATTRIBUTES = 10;
export const MAX_ATTRIBUTE_NAME_LENGTH = 256;
export const MAX_GROUP_OR_DEDUP_ID_LENGTH = 128;
export const DEDUP_WINDOW_MS = 5 * 60 * 1000;
export const RECEIVE_ATTEMPT_WINDOW_MS = 5 * 60 * 1000;
export const PURGE_INTERVAL_MS = 60 * 1000; // one PurgeQueue per 60 s, else PurgeQueueInProgress
export const MAX_TAGS = 50;
export const LIST_QUEUES_MAX = 1_000;
export const MOVE_TASK_DEFAULT_RATE = 500; // messages/s when MaxNumberOfMessagesPerSecond is absent
export const MOVE_TASK_MAX_RATE = 500;
