/**
 * S3's errors, with the codes, messages and statuses AWS answers. S3 errors carry extra elements
 * (`<BucketName>`, `<Key>`, `<Condition>`...) beside Code and Message; they travel in `details`
 * and the REST codec writes them into the `<Error>` document.
 */
import { AwsError } from "../core/aws-error.ts";

export class S3Error extends AwsError {
  readonly details: Record<string, string>;

  constructor(code: string, message: string, status: number, details: Record<string, string> = {}) {
    super(code, message, { status });
    this.details = details;
  }
}

export const s3Errors = {
  noSuchBucket: (bucket: string) =>
    new S3Error("NoSuchBucket", "The specified bucket does not exist", 404, { BucketName: bucket }),
  noSuchKey: (key: string) =>
    new S3Error("NoSuchKey", "The specified key does not exist.", 404, { Key: key }),
  invalidBucketName: (bucket: string) =>
    new S3Error("InvalidBucketName", "The specified bucket is not valid.", 400, { BucketName: bucket }),
  bucketAlreadyOwnedByYou: (bucket: string) =>
    new S3Error(
      "BucketAlreadyOwnedByYou",
      "Your previous request to create the named bucket succeeded and you already own it.",
      409,
      { BucketName: bucket },
    ),
  bucketNotEmpty: (bucket: string) =>
    new S3Error("BucketNotEmpty", "The bucket you tried to delete is not empty", 409, { BucketName: bucket }),
  illegalLocationConstraint: (constraint: string | undefined) =>
    new S3Error(
      "IllegalLocationConstraintException",
      `The ${constraint ?? "unspecified"} location constraint is incompatible for the region specific endpoint this request was sent to.`,
      400,
    ),
  invalidLocationConstraint: (constraint: string) =>
    new S3Error("InvalidLocationConstraint", "The specified location-constraint is not valid", 400, {
      LocationConstraint: constraint,
    }),
  keyTooLong: (size: number, max: number) =>
    new S3Error("KeyTooLongError", "Your key is too long", 400, {
      Size: String(size),
      MaxSizeAllowed: String(max),
    }),
  badDigest: (expected: string, calculated: string) =>
    new S3Error("BadDigest", "The Content-MD5 you specified did not match what we received.", 400, {
      ExpectedDigest: expected,
      CalculatedDigest: calculated,
    }),
  invalidDigest: (digest: string) =>
    new S3Error("InvalidDigest", "The Content-MD5 you specified is not valid.", 400, {
      "Content-MD5": digest,
    }),
  badChecksum: (algorithm: string) =>
    new S3Error("BadDigest", `The ${algorithm} you specified did not match the calculated checksum.`, 400),
  invalidChecksumHeader: (header: string) =>
    new S3Error("InvalidRequest", `Value for ${header} header is invalid.`, 400),
  incompleteBody: () =>
    new S3Error(
      "IncompleteBody",
      "You did not provide the number of bytes specified by the Content-Length HTTP header",
      400,
    ),
  invalidChunkedBody: () =>
    new S3Error("InvalidRequest", "The aws-chunked request body could not be decoded.", 400),
  invalidRange: (range: string, size: number) =>
    new S3Error("InvalidRange", "The requested range is not satisfiable", 416, {
      RangeRequested: range,
      ActualObjectSize: String(size),
    }),
  preconditionFailed: (condition: string) =>
    new S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412, {
      Condition: condition,
    }),
  invalidArgument: (message: string, name: string, value: string) =>
    new S3Error("InvalidArgument", message, 400, { ArgumentName: name, ArgumentValue: value }),
  invalidUri: (uri: string) =>
    new S3Error("InvalidURI", "Couldn't parse the specified URI.", 400, { URI: uri }),
  malformedXml: () =>
    new S3Error(
      "MalformedXML",
      "The XML you provided was not well-formed or did not validate against our published schema",
      400,
    ),
  methodNotAllowed: (method: string, resourceType: "SERVICE" | "BUCKET" | "OBJECT") =>
    new S3Error("MethodNotAllowed", "The specified method is not allowed against this resource.", 405, {
      Method: method,
      ResourceType: resourceType,
    }),
  /** `what` names the header or subresource, e.g. `{ Header: "x-amz-tagging" }`. */
  notImplemented: (what: Record<string, string>) =>
    new S3Error(
      "NotImplemented",
      "A header you provided implies functionality that is not implemented",
      501,
      what,
    ),
  copyToItself: () =>
    new S3Error(
      "InvalidRequest",
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      400,
    ),
  internalError: () =>
    new S3Error("InternalError", "We encountered an internal error. Please try again.", 500),
} as const;
