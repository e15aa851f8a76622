/** Bucket-level S3 operations: request fields in, model call, XML or headers out. */
import type { Handler } from "./call.ts";
import { emptyResponse, param, xmlResponse } from "./call.ts";
import { s3Errors } from "./errors.ts";
import { MAX_LIST_BUCKETS, MAX_LIST_KEYS } from "./limits.ts";
import { decodeToken, encodeToken, type ListEntry } from "./listing.ts";
import {
  deleteResultXml,
  listBucketsXml,
  listObjectsV1Xml,
  listObjectsV2Xml,
  locationXml,
} from "./responses.ts";
import { unescapeXml, xmlTexts } from "./xml-read.ts";

export const ListBuckets: Handler = (call) => {
  const prefix = param(call, "prefix");
  const token = param(call, "continuation-token");
  const max = parseCount(param(call, "max-buckets"), "max-buckets", MAX_LIST_BUCKETS);
  const all = call.model.listBuckets({
    ...(prefix && { prefix }),
    ...(param(call, "bucket-region") && { region: param(call, "bucket-region") }),
    ...(token && { after: Buffer.from(token, "base64url").toString("utf8") }),
  });
  const page = all.slice(0, max);
  const last = page.at(-1);
  const continuationToken =
    all.length > max && last ? Buffer.from(last.name, "utf8").toString("base64url") : undefined;
  return xmlResponse(
    listBucketsXml(call.owner, page, {
      ...(prefix && { prefix }),
      ...(continuationToken && { continuationToken }),
    }),
  );
};

export const CreateBucket: Handler = (call) => {
  const body = call.req.body.toString("utf8").trim();
  let constraint: string | undefined;
  if (body) {
    if (!body.includes("CreateBucketConfiguration")) throw s3Errors.malformedXml();
    const found = xmlTexts(body, "LocationConstraint")[0];
    if (found) constraint = unescapeXml(found);
  }
  call.model.createBucket(call.bucket, call.ctx.region, constraint);
  return emptyResponse(200, { location: `/${call.bucket}` });
};

export const HeadBucket: Handler = (call) => {
  const bucket = call.model.headBucket(call.bucket);
  return emptyResponse(200, { "x-amz-bucket-region": bucket.region, "x-amz-access-point-alias": "false" });
};

export const DeleteBucket: Handler = (call) => {
  call.model.deleteBucket(call.bucket);
  return emptyResponse(204);
};

export const GetBucketLocation: Handler = (call) =>
  xmlResponse(locationXml(call.model.headBucket(call.bucket).region));

export const ListObjectsV2: Handler = (call) => {
  const prefix = param(call, "prefix") ?? "";
  const delimiter = param(call, "delimiter") || undefined;
  const maxKeys = parseCount(param(call, "max-keys"), "max-keys", MAX_LIST_KEYS);
  const encodingType = parseEncodingType(param(call, "encoding-type"));
  const continuationToken = param(call, "continuation-token");
  const startAfter = param(call, "start-after");
  let resume: { after?: string; skipPrefix?: string } = startAfter ? { after: startAfter } : {};
  if (continuationToken !== undefined) {
    const decoded = decodeToken(continuationToken);
    if (!decoded)
      throw s3Errors.invalidArgument(
        "The continuation token provided is incorrect",
        "continuation-token",
        continuationToken,
      );
    resume = decoded;
  }
  const page = call.model.listObjects(call.bucket, { prefix, delimiter, maxKeys, ...resume });
  const last = page.entries.at(-1);
  return xmlResponse(
    listObjectsV2Xml({
      ...page,
      prefix,
      delimiter,
      maxKeys,
      encodingType,
      ...(param(call, "fetch-owner") === "true" && { owner: call.owner }),
      continuationToken,
      nextContinuationToken: page.isTruncated && last ? encodeToken(last) : undefined,
      startAfter,
    }),
  );
};

/** ListObjects (v1): a marker instead of a token; NextMarker only when a delimiter is given. */
export const ListObjects: Handler = (call) => {
  const prefix = param(call, "prefix") ?? "";
  const delimiter = param(call, "delimiter") || undefined;
  const maxKeys = parseCount(param(call, "max-keys"), "max-keys", MAX_LIST_KEYS);
  const encodingType = parseEncodingType(param(call, "encoding-type"));
  const marker = param(call, "marker") ?? "";
  const resumesAfterPrefix = delimiter !== undefined && marker.endsWith(delimiter);
  const page = call.model.listObjects(call.bucket, {
    prefix,
    delimiter,
    maxKeys,
    ...(marker && { after: marker }),
    ...(resumesAfterPrefix && { skipPrefix: marker }),
  });
  const last = page.entries.at(-1);
  return xmlResponse(
    listObjectsV1Xml({
      ...page,
      prefix,
      delimiter,
      maxKeys,
      encodingType,
      owner: call.owner,
      marker,
      nextMarker: page.isTruncated && delimiter && last ? entryName(last) : undefined,
    }),
  );
};

/** DeleteObjects: `<Delete><Quiet/><Object><Key/></Object>...</Delete>`; missing keys count as deleted. */
export const DeleteObjects: Handler = (call) => {
  const body = call.req.body.toString("utf8");
  if (!/<Delete[\s>]/.test(body)) throw s3Errors.malformedXml();
  const keys = xmlTexts(body, "Key").map(unescapeXml);
  if (keys.length === 0 || keys.length > 1000) throw s3Errors.malformedXml();
  call.model.headBucket(call.bucket);
  for (const key of keys) call.model.deleteObject(call.bucket, key);
  const quiet = xmlTexts(body, "Quiet")[0] === "true";
  return xmlResponse(deleteResultXml(keys, quiet));
};

function entryName(entry: ListEntry): string {
  return entry.kind === "key" ? entry.key : entry.prefix;
}

function parseCount(value: string | undefined, name: string, max: number): number {
  if (value === undefined) return max;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw s3Errors.invalidArgument(`Provided ${name} not an integer or within integer range`, name, value);
  return Math.min(Number(value), max);
}

function parseEncodingType(value: string | undefined): string | undefined {
  if (value === undefined || value === "") return undefined;
  if (value !== "url")
    throw s3Errors.invalidArgument("Invalid Encoding Method specified in Request", "encoding-type", value);
  return value;
}
