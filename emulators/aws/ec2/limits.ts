/**
 * EC2 limits, from the AWS SDK's model documentation (@aws-sdk/client-ec2 models_*.d.ts) and the
 * EC2 user guide where the SDK is silent.
 */

/** DescribeInstances / DescribeInstanceStatus / DescribeTags `MaxResults`: "5 and 1000". */
export const MAX_RESULTS = { min: 5, max: 1000, default: 1000 };
/** DescribeTags `MaxResults`: "minimum 5 ... maximum 1000". */
export const TAGS_MAX_RESULTS = { min: 5, max: 1000, default: 1000 };
/** Tag rules (user guide, "Tag restrictions"): 50 per resource, key 1..128, value 0..256. */
export const MAX_TAGS_PER_RESOURCE = 50;
export const MAX_TAG_KEY_LENGTH = 128;
export const MAX_TAG_VALUE_LENGTH = 256;
/** RunInstances `UserData`: "User data is limited to 16 KB" (raw, before base64). */
export const MAX_USER_DATA_BYTES = 16 * 1024;
/** "Terminated instances remain visible ... for approximately one hour." */
export const TERMINATED_VISIBLE_MS = 60 * 60 * 1000;
/** An account's default instance quota makes larger launches fail; one call may ask this many. */
export const MAX_INSTANCES_PER_LAUNCH = 20;
/** RunInstances without InstanceType: EC2's documented default. */
export const DEFAULT_INSTANCE_TYPE = "m1.small";
