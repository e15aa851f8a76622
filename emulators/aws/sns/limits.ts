/**
 * SNS limits, from the AWS SDK's model documentation (@aws-sdk/client-sns models_0.d.ts) and the
 * SNS developer guide (quotas, message filtering, delivery retries).
 */
export const MAX_TOPIC_NAME_LENGTH = 256; // CreateTopicInput.Name: 1 to 256 characters
export const DEFAULT_MAX_MESSAGE_BYTES = 262_144; // MaximumMessageSize default (256 KiB)
export const MAX_MESSAGE_BYTES = { min: 1_024, max: 1_048_576 }; // MaximumMessageSize range
export const MAX_SUBJECT_LENGTH = 99; // "less than 100 characters long"
export const MAX_BATCH_ENTRIES = 10; // PublishBatch: up to 10 entries
export const MAX_BATCH_ENTRY_ID_LENGTH = 80;
export const MAX_GROUP_OR_DEDUP_ID_LENGTH = 128;
export const DEDUP_WINDOW_MS = 5 * 60 * 1000; // "the 5 minute minimum deduplication interval"
export const PAGE_SIZE = 100; // ListTopics / ListSubscriptions(ByTopic): up to 100 per page
export const MAX_TAGS = 50; // tags per resource
export const MAX_TAG_KEY_LENGTH = 128;
export const MAX_TAG_VALUE_LENGTH = 256;
export const MAX_ATTRIBUTE_NAME_LENGTH = 256; // message attribute names
export const MAX_FILTER_POLICY_KEYS = 5; // attribute names per filter policy
export const MAX_FILTER_POLICY_COMBINATIONS = 150; // total combination of values
export const MAX_FILTER_POLICY_BYTES = 256 * 1024;
export const TOKEN_BYTES = 64; // confirmation tokens: hex, 128 characters

/**
 * AWS's default HTTP/S delivery policy ("up to three retries ... 20 seconds" apart), and the
 * bounds AWS enforces on a custom one (numRetries <= 100, total retry time <= 3,600 s).
 */
export const DEFAULT_HTTP_DELIVERY_POLICY = {
  minDelayTarget: 20,
  maxDelayTarget: 20,
  numRetries: 3,
  numMaxDelayRetries: 0,
  numNoDelayRetries: 0,
  numMinDelayRetries: 0,
  backoffFunction: "linear",
} as const;
export const MAX_HTTP_RETRIES = 100;
export const HTTP_TIMEOUT_MS = 15_000; // AWS waits 15 s for an endpoint's answer

/**
 * Emulator-only: one second of a delivery policy lasts this many milliseconds, so AWS's default
 * policy (3 retries, 20 s apart) runs in about 3 s and a policy with 1-s delays in 150 ms.
 */
export const DELIVERY_POLICY_SECOND_MS = 50;

/** Emulator-only: the email outbox keeps this many mails (oldest dropped first). */
export const OUTBOX_CAPACITY = 1_000;
