/** S3 limits, as named data with their source. */

/** https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html */
export const MAX_KEY_BYTES = 1024;

/** ListObjectsV2 MaxKeys: "returns up to 1,000 key names" (the default and the cap). */
export const MAX_LIST_KEYS = 1000;

/** ListBuckets MaxBuckets: 1 to 10,000. */
export const MAX_LIST_BUCKETS = 10_000;

/** https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html */
export const BUCKET_NAME_LENGTH = { min: 3, max: 63 } as const;

/** us-east-1 is the legacy global region: no LocationConstraint, and re-creating answers 200. */
export const LEGACY_REGION = "us-east-1";
