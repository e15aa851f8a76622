/**
 * SQS errors with AWS's codes. `queryCode` is the awsQueryError trait of the SDK's model
 * (@aws-sdk/client-sqs schemas): the code older query clients see and the JSON protocol carries in
 * `x-amzn-query-error`; the status is the model's too.
 */
import { AwsError } from "../core/aws-error.ts";

const prefixed = (code: string) => `AWS.SimpleQueueService.${code}`;

export const sqsErrors = {
  queueDoesNotExist: () =>
    new AwsError("QueueDoesNotExist", "The specified queue does not exist.", {
      queryCode: prefixed("NonExistentQueue"),
    }),
  queueNameExists: (name: string, attribute: string) =>
    new AwsError(
      "QueueNameExists",
      `A queue already exists with the same name and a different value for attribute ${attribute} (queue ${name}).`,
      { queryCode: "QueueAlreadyExists" },
    ),
  invalidAttributeName: (name: string) => new AwsError("InvalidAttributeName", `Unknown Attribute ${name}.`),
  invalidAttributeValue: (name: string, reason: string) =>
    new AwsError("InvalidAttributeValue", `Invalid value for the parameter ${name}. Reason: ${reason}`),
  invalidParameterValue: (message: string) => new AwsError("InvalidParameterValue", message),
  parameterOutOfRange: (name: string, value: unknown, reason: string) =>
    new AwsError(
      "InvalidParameterValue",
      `Value ${String(value)} for parameter ${name} is invalid. Reason: ${reason}`,
    ),
  missingParameter: (name: string) =>
    new AwsError("MissingParameter", `The request must contain the parameter ${name}.`),
  invalidMessageContents: () =>
    new AwsError(
      "InvalidMessageContents",
      "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
    ),
  receiptHandleIsInvalid: (handle: string) =>
    new AwsError(
      "ReceiptHandleIsInvalid",
      `The input receipt handle "${handle}" is not a valid receipt handle.`,
      {
        status: 404,
      },
    ),
  receiptHandleExpired: (handle: string) =>
    new AwsError(
      "InvalidParameterValue",
      `Value ${handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`,
    ),
  messageNotInflight: () =>
    new AwsError("MessageNotInflight", "The message referred to isn't in flight.", {
      queryCode: prefixed("MessageNotInflight"),
    }),
  purgeQueueInProgress: (name: string) =>
    new AwsError(
      "PurgeQueueInProgress",
      `Only one PurgeQueue operation on ${name} is allowed every 60 seconds.`,
      { status: 403, queryCode: prefixed("PurgeQueueInProgress") },
    ),
  emptyBatchRequest: () =>
    new AwsError(
      "EmptyBatchRequest",
      "There should be at least one SendMessageBatchRequestEntry in the request.",
      {
        queryCode: prefixed("EmptyBatchRequest"),
      },
    ),
  tooManyEntriesInBatchRequest: (count: number) =>
    new AwsError(
      "TooManyEntriesInBatchRequest",
      `Maximum number of entries per request are 10. You have sent ${count}.`,
      { queryCode: prefixed("TooManyEntriesInBatchRequest") },
    ),
  batchEntryIdsNotDistinct: (id: string) =>
    new AwsError("BatchEntryIdsNotDistinct", `Id ${id} repeated.`, {
      queryCode: prefixed("BatchEntryIdsNotDistinct"),
    }),
  invalidBatchEntryId: () =>
    new AwsError(
      "InvalidBatchEntryId",
      "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
      { queryCode: prefixed("InvalidBatchEntryId") },
    ),
  batchRequestTooLong: (bytes: number, max: number) =>
    new AwsError(
      "BatchRequestTooLong",
      `Batch requests cannot be longer than ${max} bytes. You have sent ${bytes} bytes.`,
      { queryCode: prefixed("BatchRequestTooLong") },
    ),
  overLimit: (message: string) => new AwsError("OverLimit", message, { status: 403, queryCode: "OverLimit" }),
  resourceNotFound: (message: string) =>
    new AwsError("ResourceNotFoundException", message, {
      status: 404,
      queryCode: "ResourceNotFoundException",
    }),
  unsupportedOperation: (message: string) =>
    new AwsError("UnsupportedOperation", message, { queryCode: prefixed("UnsupportedOperation") }),
};
