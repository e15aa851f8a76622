/**
 * CloudWatch errors with AWS's codes. `code` is the error shape the JSON protocol names in
 * `__type`; `queryCode` is its awsQueryError trait (what query clients and the
 * `x-amzn-query-error` header carry); statuses are the model's (@aws-sdk/client-cloudwatch
 * dist-es/schemas/schemas_0.js).
 */
import { AwsError } from "../core/aws-error.ts";

export const cwErrors = {
  invalidParameterValue: (message: string) =>
    new AwsError("InvalidParameterValueException", message, { queryCode: "InvalidParameterValue" }),
  invalidValue: (name: string, value: unknown) =>
    new AwsError(
      "InvalidParameterValueException",
      `The value ${String(value)} for parameter ${name} is invalid.`,
      {
        queryCode: "InvalidParameterValue",
      },
    ),
  invalidParameterCombination: (message: string) =>
    new AwsError("InvalidParameterCombinationException", message, {
      queryCode: "InvalidParameterCombination",
    }),
  missingParameter: (name: string) =>
    new AwsError("MissingRequiredParameterException", `The parameter ${name} is required.`, {
      queryCode: "MissingParameter",
    }),
  invalidNextToken: () =>
    new AwsError("InvalidNextToken", "The service returned an error: invalid NextToken."),
  invalidFormat: (message: string) =>
    new AwsError("InvalidFormatFault", message, { queryCode: "InvalidFormat" }),
  alarmNotFound: (name: string) =>
    new AwsError("ResourceNotFound", `Alarm ${name} not found`, {
      status: 404,
      queryCode: "ResourceNotFound",
    }),
  resourceNotFound: (arn: string) =>
    new AwsError("ResourceNotFoundException", `The resource ${arn} does not exist.`, {
      status: 404,
      queryCode: "ResourceNotFoundException",
    }),
  dashboardNotFound: (name: string) =>
    new AwsError("DashboardNotFoundError", `Dashboard ${name} does not exist`, {
      status: 404,
      queryCode: "ResourceNotFound",
    }),
  /** AWS repeats the validation messages in the message text and in dashboardValidationMessages. */
  dashboardInvalid: (messages: Array<{ DataPath: string; Message: string }>) =>
    new AwsError(
      "DashboardInvalidInputError",
      `The dashboard body is invalid, there are ${messages.length} validation errors: ${JSON.stringify(
        messages.map((m) => ({ dataPath: m.DataPath, message: m.Message })),
      )}`,
      { queryCode: "InvalidParameterInput", fields: { dashboardValidationMessages: messages } },
    ),
  limitExceeded: (message: string) =>
    new AwsError("LimitExceededFault", message, { queryCode: "LimitExceeded" }),
};
