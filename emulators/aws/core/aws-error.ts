/**
 * The one error type every emulated service throws. Codecs turn it into each protocol's wire
 * shape: JSON `__type` (+ `x-amzn-query-error` for query-compatible services) or an XML
 * `<Error>` with `<Code>`, `<Type>Sender|Receiver</Type>`.
 */
export interface AwsErrorOptions {
  /** HTTP status; AWS's model decides it. */
  status?: number;
  /** false for faults on AWS's side (InternalFailure, ServiceUnavailable). */
  senderFault?: boolean;
  /** The legacy query-protocol code where it differs from `code` (awsQueryError trait). */
  queryCode?: string;
  /** Members the error shape has besides the message (e.g. dashboardValidationMessages). */
  fields?: Record<string, unknown>;
}

export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly senderFault: boolean;
  readonly queryCode: string;
  readonly fields: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: AwsErrorOptions = {}) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = options.status ?? 400;
    this.senderFault = options.senderFault ?? this.status < 500;
    this.queryCode = options.queryCode ?? code;
    this.fields = options.fields;
  }
}

// Errors common to every AWS service (not modelled per service in the SDKs).
export const commonErrors = {
  missingParameter: (name: string) =>
    new AwsError("MissingParameter", `The request must contain the parameter ${name}.`),
  invalidParameterValue: (message: string) => new AwsError("InvalidParameterValue", message),
  invalidAction: (action: string, service: string) =>
    new AwsError("InvalidAction", `The action ${action} is not valid for this endpoint (${service}).`),
  serialization: (message: string) => new AwsError("SerializationException", message),
  unknownOperation: (target: string) =>
    new AwsError("UnknownOperationException", `Unknown operation ${target}.`),
  internalFailure: () =>
    new AwsError("InternalFailure", "The request processing has failed because of an unknown error.", {
      status: 500,
    }),
} as const;
