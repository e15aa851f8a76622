/**
 * SNS errors with AWS's codes and statuses, from the SDK's model (@aws-sdk/client-sns
 * dist-es/schemas: the awsQueryError code and httpError of each exception). SNS speaks only the
 * query protocol, so `queryCode` is what goes on the wire; `code` is the shape's name without
 * `Exception` (the SDK maps the wire code back to `<code>Exception`).
 */
import { AwsError } from "../core/aws-error.ts";

const invalid = (message: string) => new AwsError("InvalidParameter", `Invalid parameter: ${message}`);

export const snsErrors = {
  invalidParameter: invalid,
  invalidParameterValue: (message: string) =>
    new AwsError("InvalidParameterValue", message, { queryCode: "ParameterValueInvalid" }),
  topicNotFound: () => new AwsError("NotFound", "Topic does not exist", { status: 404 }),
  subscriptionNotFound: () => new AwsError("NotFound", "Subscription does not exist", { status: 404 }),
  resourceNotFound: () => new AwsError("ResourceNotFound", "Resource does not exist", { status: 404 }),
  authorization: (action: string, resource: string) =>
    new AwsError(
      "AuthorizationError",
      `User is not authorized to perform: SNS:${action} on resource: ${resource}`,
      { status: 403 },
    ),
  tagLimitExceeded: () =>
    new AwsError("TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded"),
  filterPolicyLimitExceeded: () =>
    new AwsError("FilterPolicyLimitExceeded", "Filter policy scope MessageAttributes limit exceeded", {
      status: 403,
    }),
  emptyBatchRequest: () =>
    new AwsError("EmptyBatchRequest", "The batch request doesn't contain any entries."),
  tooManyEntriesInBatchRequest: (count: number) =>
    new AwsError(
      "TooManyEntriesInBatchRequest",
      `The batch request contains more entries than permissible (${count} > 10).`,
    ),
  batchEntryIdsNotDistinct: (id: string) =>
    new AwsError(
      "BatchEntryIdsNotDistinct",
      `Two or more batch entries in the request have the same Id: ${id}`,
    ),
  invalidBatchEntryId: () =>
    new AwsError(
      "InvalidBatchEntryId",
      "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
    ),
  batchRequestTooLong: (bytes: number, max: number) =>
    new AwsError(
      "BatchRequestTooLong",
      `The length of all the messages put together is more than the limit (${bytes} > ${max} bytes).`,
    ),
};
