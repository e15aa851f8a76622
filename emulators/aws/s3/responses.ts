/** S3's XML documents: list results, small answers and the `<Error>` shape. Wire only. */
import { el, escapeXml, wrap, XML_DECL } from "../protocols/xml.ts";
import type { ListEntry } from "./listing.ts";
import type { Bucket, S3Object } from "./model.ts";

const XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";

export interface Owner {
  id: string;
  displayName: string;
}

function doc(root: string, inner: string): string {
  return `${XML_DECL}<${root} xmlns="${XMLNS}">${inner}</${root}>`;
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

export const quoteEtag = (etag: string) => `"${etag}"`;

const ownerXml = (owner: Owner) => wrap("Owner", el("ID", owner.id) + el("DisplayName", owner.displayName));

export function listBucketsXml(
  owner: Owner,
  buckets: Bucket[],
  page: { prefix?: string; continuationToken?: string },
): string {
  const items = buckets
    .map((b) =>
      wrap(
        "Bucket",
        el("Name", b.name) + el("CreationDate", isoDate(b.createdAt)) + el("BucketRegion", b.region),
      ),
    )
    .join("");
  return doc(
    "ListAllMyBucketsResult",
    ownerXml(owner) +
      wrap("Buckets", items) +
      el("Prefix", page.prefix) +
      el("ContinuationToken", page.continuationToken),
  );
}

function contentsXml(object: S3Object, owner: Owner | undefined, encode: (s: string) => string): string {
  return wrap(
    "Contents",
    el("Key", encode(object.key)) +
      el("LastModified", isoDate(object.lastModified)) +
      el("ETag", quoteEtag(object.etag)) +
      (object.checksum
        ? el("ChecksumAlgorithm", object.checksum.algorithm) + el("ChecksumType", "FULL_OBJECT")
        : "") +
      el("Size", object.body.length) +
      (owner ? ownerXml(owner) : "") +
      el("StorageClass", "STANDARD"),
  );
}

export interface ListXmlInput {
  bucket: Bucket;
  entries: ListEntry[];
  isTruncated: boolean;
  prefix: string;
  delimiter?: string;
  maxKeys: number;
  encodingType?: string;
  owner?: Owner;
}

function entriesXml(input: ListXmlInput, encode: (s: string) => string): string {
  return input.entries
    .map((e) =>
      e.kind === "key"
        ? contentsXml(input.bucket.objects.get(e.key) as S3Object, input.owner, encode)
        : wrap("CommonPrefixes", el("Prefix", encode(e.prefix))),
    )
    .join("");
}

/** `encoding-type=url`: keys and prefixes percent-encoded (slashes kept), for keys XML cannot hold. */
export function encoderFor(encodingType: string | undefined): (s: string) => string {
  return encodingType === "url" ? (s) => encodeURIComponent(s).replace(/%2F/g, "/") : (s) => s;
}

export function listObjectsV2Xml(
  input: ListXmlInput & { continuationToken?: string; nextContinuationToken?: string; startAfter?: string },
): string {
  const encode = encoderFor(input.encodingType);
  return doc(
    "ListBucketResult",
    el("Name", input.bucket.name) +
      el("Prefix", encode(input.prefix)) +
      el("Delimiter", input.delimiter === undefined ? undefined : encode(input.delimiter)) +
      el("MaxKeys", input.maxKeys) +
      el("EncodingType", input.encodingType) +
      el("KeyCount", input.entries.length) +
      el("IsTruncated", input.isTruncated) +
      el("ContinuationToken", input.continuationToken) +
      el("NextContinuationToken", input.nextContinuationToken) +
      el("StartAfter", input.startAfter === undefined ? undefined : encode(input.startAfter)) +
      entriesXml(input, encode),
  );
}

export function listObjectsV1Xml(input: ListXmlInput & { marker: string; nextMarker?: string }): string {
  const encode = encoderFor(input.encodingType);
  return doc(
    "ListBucketResult",
    el("Name", input.bucket.name) +
      el("Prefix", encode(input.prefix)) +
      el("Marker", encode(input.marker)) +
      el("NextMarker", input.nextMarker === undefined ? undefined : encode(input.nextMarker)) +
      el("MaxKeys", input.maxKeys) +
      el("Delimiter", input.delimiter === undefined ? undefined : encode(input.delimiter)) +
      el("EncodingType", input.encodingType) +
      el("IsTruncated", input.isTruncated) +
      entriesXml(input, encode),
  );
}

export function locationXml(region: string): string {
  // us-east-1 buckets answer an empty LocationConstraint, for legacy reasons.
  return doc("LocationConstraint", region === "us-east-1" ? "" : escapeXml(region));
}

export function copyObjectXml(object: S3Object): string {
  return doc(
    "CopyObjectResult",
    el("ETag", quoteEtag(object.etag)) + el("LastModified", isoDate(object.lastModified)),
  );
}

export function deleteResultXml(deleted: string[], quiet: boolean): string {
  return doc("DeleteResult", quiet ? "" : deleted.map((key) => wrap("Deleted", el("Key", key))).join(""));
}

export function errorXml(input: {
  code: string;
  message: string;
  details: Record<string, string>;
  resource: string;
  requestId: string;
  hostId: string;
}): string {
  const details = Object.entries(input.details)
    .map(([name, value]) => el(name, value))
    .join("");
  return `${XML_DECL}${wrap(
    "Error",
    el("Code", input.code) +
      el("Message", input.message) +
      details +
      el("Resource", input.resource) +
      el("RequestId", input.requestId) +
      el("HostId", input.hostId),
  )}`;
}
