/**
 * CloudWatch Logs errors with AWS's codes (the exception shapes in
 * @aws-sdk/client-cloudwatch-logs dist-es/schemas): all are client faults with HTTP 400, except
 * ServiceUnavailableException (500), which the emulator never raises.
 */
import { AwsError } from "../core/aws-error.ts";

export const logsErrors = {
  invalidParameter: (message: string) => new AwsError("InvalidParameterException", message),
  groupNotFound: () => new AwsError("ResourceNotFoundException", "The specified log group does not exist."),
  streamNotFound: () => new AwsError("ResourceNotFoundException", "The specified log stream does not exist."),
  filterNotFound: () =>
    new AwsError("ResourceNotFoundException", "The specified metric filter does not exist."),
  resourceNotFound: (message: string) => new AwsError("ResourceNotFoundException", message),
  groupExists: () => new AwsError("ResourceAlreadyExistsException", "The specified log group already exists"),
  streamExists: () =>
    new AwsError("ResourceAlreadyExistsException", "The specified log stream already exists"),
  limitExceeded: (message: string) => new AwsError("LimitExceededException", message),
  tooManyTags: (arn: string) =>
    new AwsError("TooManyTagsException", `A resource can have no more than 50 tags: ${arn}`),
  invalidOperation: (message: string) => new AwsError("InvalidOperationException", message),
  validation: (message: string) => new AwsError("ValidationException", message),
};
