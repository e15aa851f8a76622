/**
 * S3's REST-XML wire: picks the operation from method, bucket/key and subresource, runs it, and
 * writes S3's error document (no body for HEAD). Operations live in bucket- and object-operations.
 */
import { createHash } from "node:crypto";
import { AwsError } from "../core/aws-error.ts";
import type { RequestContext } from "../core/context.ts";
import type { HttpRequest, HttpResponse } from "../core/service.ts";
import { resolveTarget } from "./addressing.ts";
import {
  CreateBucket,
  DeleteBucket,
  DeleteObjects,
  GetBucketLocation,
  HeadBucket,
  ListBuckets,
  ListObjects,
  ListObjectsV2,
} from "./bucket-operations.ts";
import type { Call, Handler } from "./call.ts";
import { S3Error, s3Errors } from "./errors.ts";
import type { S3Model } from "./model.ts";
import { CopyObject, DeleteObject, GetObject, HeadObject, PutObject } from "./object-operations.ts";
import { errorXml, type Owner } from "./responses.ts";

/** Subresources of S3 operations this emulator does not implement: answered NotImplemented. */
const UNSUPPORTED_SUBRESOURCES = new Set([
  "accelerate",
  "acl",
  "analytics",
  "attributes",
  "cors",
  "encryption",
  "intelligent-tiering",
  "inventory",
  "legal-hold",
  "lifecycle",
  "logging",
  "metadataTable",
  "metrics",
  "notification",
  "object-lock",
  "ownershipControls",
  "partNumber",
  "policy",
  "policyStatus",
  "publicAccessBlock",
  "replication",
  "requestPayment",
  "restore",
  "retention",
  "select",
  "session",
  "tagging",
  "torrent",
  "uploadId",
  "uploads",
  "versioning",
  "versions",
  "website",
]);

/** Headers that ask for behaviour this emulator does not have. */
const UNSUPPORTED_HEADERS = ["x-amz-tagging", "x-amz-object-lock-mode", "x-amz-website-redirect-location"];

export function createRestHandler(model: S3Model, accountId: string) {
  const owner: Owner = { id: createHash("sha256").update(accountId).digest("hex"), displayName: "emulator" };

  return (req: HttpRequest, ctx: RequestContext): HttpResponse => {
    const common = {
      "x-amz-request-id": ctx.requestId,
      "x-amz-id-2": Buffer.from(ctx.requestId).toString("base64"),
    };
    let resource = req.path;
    try {
      const host = req.headers.host;
      const { bucket = "", key = "" } = resolveTarget(host, req.path);
      resource = key ? `/${bucket}/${key}` : `/${bucket}`;
      const call: Call = { req, ctx, model, owner, bucket, key };
      const answer = operation(call)(call);
      return { ...answer, headers: { ...common, ...answer.headers } };
    } catch (err) {
      const error = err instanceof AwsError ? err : s3Errors.internalError();
      const details = err instanceof S3Error ? err.details : {};
      const headers = { ...common, "content-type": "application/xml" };
      if (req.method === "HEAD") return { status: error.status, headers: common, body: "" };
      const body = errorXml({
        code: error.code,
        message: error.message,
        details,
        resource,
        requestId: ctx.requestId,
        hostId: common["x-amz-id-2"],
      });
      return { status: error.status, headers, body };
    }
  };
}

function operation(call: Call): Handler {
  const { method, query } = call.req;
  const subresource = [...query.keys()].find((k) => UNSUPPORTED_SUBRESOURCES.has(k));
  const unsupported = () => s3Errors.notImplemented({ Subresource: subresource ?? "" });

  if (!call.bucket) {
    if (method === "GET") return ListBuckets;
    throw s3Errors.methodNotAllowed(method, "SERVICE");
  }
  if (!call.key) {
    if (method === "HEAD") return HeadBucket;
    if (method === "GET" && query.has("location")) return GetBucketLocation;
    if (method === "POST" && query.has("delete")) return DeleteObjects;
    if (subresource) throw unsupported();
    if (method === "GET") return query.get("list-type") === "2" ? ListObjectsV2 : ListObjects;
    if (method === "PUT") return CreateBucket;
    if (method === "DELETE") return DeleteBucket;
    if (method === "POST") throw s3Errors.notImplemented({ Method: "POST" }); // browser-form uploads
    throw s3Errors.methodNotAllowed(method, "BUCKET");
  }
  if (method === "HEAD") return HeadObject;
  if (subresource) throw unsupported();
  const header = UNSUPPORTED_HEADERS.find((h) => call.req.headers[h] !== undefined);
  if (header && method === "PUT") throw s3Errors.notImplemented({ Header: header });
  if (method === "GET") return GetObject;
  if (method === "PUT") return call.req.headers["x-amz-copy-source"] ? CopyObject : PutObject;
  if (method === "DELETE") return DeleteObject;
  throw s3Errors.methodNotAllowed(method, "OBJECT");
}
