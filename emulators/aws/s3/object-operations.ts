/** Object-level S3 operations: headers and body in, model call, headers and body out. */
import type { HttpResponse } from "../core/service.ts";
import { decodeAwsChunked, isAwsChunked } from "./aws-chunked.ts";
import type { Call, Handler } from "./call.ts";
import { emptyResponse, header, param, xmlResponse } from "./call.ts";
import { CHECKSUM_ALGORITHMS, type Checksum } from "./checksums.ts";
import { evaluateConditions, parseRange } from "./conditions.ts";
import { s3Errors } from "./errors.ts";
import { OBJECT_PROPERTIES, type ObjectProperty, type PutObjectInput, type S3Object } from "./model.ts";
import { copyObjectXml, quoteEtag } from "./responses.ts";

/** Stored object properties and the headers that carry them. */
const PROPERTY_HEADERS: Record<ObjectProperty, string> = {
  CacheControl: "cache-control",
  ContentDisposition: "content-disposition",
  ContentEncoding: "content-encoding",
  ContentLanguage: "content-language",
  Expires: "expires",
};

/** GetObject's `response-*` query overrides, used by presigned URLs. */
const RESPONSE_OVERRIDES: Record<string, string> = {
  "response-content-type": "content-type",
  "response-content-language": "content-language",
  "response-expires": "expires",
  "response-cache-control": "cache-control",
  "response-content-disposition": "content-disposition",
  "response-content-encoding": "content-encoding",
};

const METADATA_PREFIX = "x-amz-meta-";

export const PutObject: Handler = (call) => {
  const { body, trailers } = readBody(call);
  const object = call.model.putObject({
    bucket: call.bucket,
    key: call.key,
    body,
    ...objectFields(call),
    ...optional("contentMd5", header(call, "content-md5")),
    ...optional(
      "checksum",
      findChecksum((name) => header(call, name) ?? trailers[name]),
    ),
  });
  return emptyResponse(200, { etag: quoteEtag(object.etag), ...checksumHeaders(object), ...encryption });
};

/** CopyObject: `x-amz-copy-source: /bucket/key`; metadata copied unless the directive is REPLACE. */
export const CopyObject: Handler = (call) => {
  const source = (header(call, "x-amz-copy-source") ?? "").split("?")[0] ?? "";
  const invalid = () =>
    s3Errors.invalidArgument(
      "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
      "x-amz-copy-source",
      source,
    );
  let path: string;
  try {
    path = decodeURIComponent(source.replace(/^\//, ""));
  } catch {
    throw invalid();
  }
  const slash = path.indexOf("/");
  if (slash <= 0 || slash === path.length - 1) throw invalid();
  const [srcBucket, srcKey] = [path.slice(0, slash), path.slice(slash + 1)];
  const replace = header(call, "x-amz-metadata-directive") === "REPLACE";
  if (srcBucket === call.bucket && srcKey === call.key && !replace) throw s3Errors.copyToItself();
  const from = call.model.getObject(srcBucket, srcKey);
  const input: PutObjectInput = {
    bucket: call.bucket,
    key: call.key,
    body: from.body,
    ...(replace
      ? objectFields(call)
      : { contentType: from.contentType, metadata: from.metadata, properties: from.properties }),
    ...optional("checksum", from.checksum),
  };
  return xmlResponse(copyObjectXml(call.model.putObject(input)));
};

export const GetObject: Handler = (call) => read(call, true);

export const HeadObject: Handler = (call) => read(call, false);

export const DeleteObject: Handler = (call) => {
  call.model.deleteObject(call.bucket, call.key);
  return emptyResponse(204);
};

function read(call: Call, withBody: boolean): HttpResponse {
  const object = call.model.getObject(call.bucket, call.key);
  const size = object.body.length;
  const validators = { etag: quoteEtag(object.etag), "last-modified": httpDate(object.lastModified) };
  const outcome = evaluateConditions(
    {
      ...optional("ifMatch", header(call, "if-match")),
      ...optional("ifNoneMatch", header(call, "if-none-match")),
      ...optional("ifModifiedSince", header(call, "if-modified-since")),
      ...optional("ifUnmodifiedSince", header(call, "if-unmodified-since")),
    },
    object.etag,
    object.lastModified,
  );
  if (outcome === "not-modified") return emptyResponse(304, validators);

  const rangeHeader = header(call, "range");
  const range = parseRange(rangeHeader, size);
  const headers: Record<string, string> = {
    ...validators,
    "content-type": object.contentType,
    "accept-ranges": "bytes",
    ...encryption,
  };
  for (const name of OBJECT_PROPERTIES) {
    const value = object.properties[name];
    if (value !== undefined) headers[PROPERTY_HEADERS[name]] = value;
  }
  for (const [name, value] of Object.entries(object.metadata)) headers[METADATA_PREFIX + name] = value;
  for (const [query, name] of Object.entries(RESPONSE_OVERRIDES)) {
    const value = param(call, query);
    if (value !== undefined) headers[name] = value;
  }
  if (!range && header(call, "x-amz-checksum-mode")?.toUpperCase() === "ENABLED")
    Object.assign(headers, checksumHeaders(object));

  const body = range ? object.body.subarray(range.start, range.end + 1) : object.body;
  headers["content-length"] = String(body.length);
  if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${size}`;
  return { status: range ? 206 : 200, headers, body: withBody ? body : "" };
}

/** The request body, unwrapped from aws-chunked framing when the SDK streamed it. */
function readBody(call: Call): { body: Buffer; trailers: Record<string, string> } {
  const chunked = isAwsChunked({
    ...optional("contentEncoding", header(call, "content-encoding")),
    ...optional("contentSha256", header(call, "x-amz-content-sha256")),
  });
  if (!chunked) return { body: call.req.body, trailers: {} };
  const decoded = decodeAwsChunked(call.req.body);
  const declared = header(call, "x-amz-decoded-content-length");
  if (declared !== undefined && Number(declared) !== decoded.body.length) throw s3Errors.incompleteBody();
  return decoded;
}

/** Content type, user metadata and stored properties from PutObject / CopyObject(REPLACE) headers. */
function objectFields(call: Call): Pick<PutObjectInput, "contentType" | "metadata" | "properties"> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(call.req.headers)) {
    if (name.startsWith(METADATA_PREFIX) && value !== undefined)
      metadata[name.slice(METADATA_PREFIX.length)] = Array.isArray(value) ? value.join(",") : value;
  }
  const properties: Partial<Record<ObjectProperty, string>> = {};
  for (const name of OBJECT_PROPERTIES) {
    let value = header(call, PROPERTY_HEADERS[name]);
    // aws-chunked is transfer framing, not a property of the stored object.
    if (name === "ContentEncoding" && value !== undefined)
      value = value
        .split(",")
        .map((e) => e.trim())
        .filter((e) => e && e !== "aws-chunked")
        .join(",");
    if (value) properties[name] = value;
  }
  return { ...optional("contentType", header(call, "content-type")), metadata, properties };
}

function findChecksum(lookup: (header: string) => string | undefined): Checksum | undefined {
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = lookup(`x-amz-checksum-${algorithm.toLowerCase()}`);
    if (value !== undefined) return { algorithm, value };
  }
  return undefined;
}

function checksumHeaders(object: S3Object): Record<string, string> {
  if (!object.checksum) return {};
  return {
    [`x-amz-checksum-${object.checksum.algorithm.toLowerCase()}`]: object.checksum.value,
    "x-amz-checksum-type": "FULL_OBJECT",
  };
}

/** S3 encrypts every object at rest (SSE-S3) and says so. */
const encryption = { "x-amz-server-side-encryption": "AES256" };

function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** `{ [name]: value }` when the value is present, so optional fields stay absent, not undefined. */
function optional<K extends string, V>(name: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [name]: value }) as { [P in K]?: V };
}
