/**
 * EC2 errors with AWS's codes and messages (EC2 API reference, "Error codes"). EC2 answers every
 * client error with status 400, except DryRunOperation (412).
 */
import { AwsError } from "../core/aws-error.ts";

const list = (ids: string[]) => ids.join(", ");

export const ec2Errors = {
  instanceNotFound: (ids: string[]) =>
    new AwsError(
      "InvalidInstanceID.NotFound",
      ids.length === 1
        ? `The instance ID '${ids[0]}' does not exist`
        : `The instance IDs '${list(ids)}' do not exist`,
    ),
  instanceIdMalformed: (id: string) =>
    new AwsError("InvalidInstanceID.Malformed", `Invalid id: "${id}" (expecting "i-...")`),
  invalidId: (id: string) => new AwsError("InvalidID", `The ID '${id}' is not valid`),
  amiIdMalformed: (id: string) =>
    new AwsError("InvalidAMIID.Malformed", `Invalid id: "${id}" (expecting "ami-...")`),
  /** `verb`: started, stopped, rebooted. */
  notInStateFor: (id: string, verb: string) =>
    new AwsError(
      "IncorrectInstanceState",
      `The instance '${id}' is not in a state from which it can be ${verb}.`,
    ),
  neverRunning: (id: string) =>
    new AwsError(
      "IncorrectInstanceState",
      `Instance '${id}' cannot be stopped as it has never reached the 'running' state.`,
    ),
  notStopped: (id: string) =>
    new AwsError("IncorrectInstanceState", `The instance '${id}' is not in the 'stopped' state.`),
  operationNotPermitted: (id: string, what: "terminated" | "stopped", attribute: string) =>
    new AwsError(
      "OperationNotPermitted",
      `The instance '${id}' may not be ${what}. Modify its '${attribute}' instance attribute and try again.`,
    ),
  invalidInstanceType: (type: string) =>
    new AwsError("InvalidParameterValue", `Invalid value '${type}' for InstanceType.`),
  invalidParameterValue: (value: string, parameter: string, reason?: string) =>
    new AwsError(
      "InvalidParameterValue",
      `Value (${value}) for parameter ${parameter} is invalid.${reason ? ` ${reason}` : ""}`,
    ),
  invalidValue: (message: string) => new AwsError("InvalidParameterValue", message),
  invalidFilter: (name: string) => new AwsError("InvalidParameterValue", `The filter '${name}' is invalid`),
  invalidNextToken: (token: string) =>
    new AwsError("InvalidParameterValue", `Invalid value '${token}' for NextToken.`),
  missingParameter: (name: string) =>
    new AwsError("MissingParameter", `The request must contain the parameter ${name}`),
  combination: (message: string) => new AwsError("InvalidParameterCombination", message),
  unknownParameter: (name: string) =>
    new AwsError("UnknownParameter", `The parameter ${name} is not recognized`),
  unsupported: (message: string) => new AwsError("UnsupportedOperation", message),
  tagLimitExceeded: () =>
    new AwsError("TagLimitExceeded", "The maximum number of Tags for a resource has been reached."),
  dryRun: () =>
    new AwsError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", {
      status: 412,
    }),
} as const;
