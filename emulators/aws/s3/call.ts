/** What an S3 operation handler gets: the request, where it points, the model; plus header helpers. */
import type { RequestContext } from "../core/context.ts";
import type { HttpRequest, HttpResponse } from "../core/service.ts";
import type { S3Model } from "./model.ts";
import type { Owner } from "./responses.ts";

export interface Call {
  req: HttpRequest;
  ctx: RequestContext;
  model: S3Model;
  owner: Owner;
  /** Empty at the service level (ListBuckets). */
  bucket: string;
  /** Empty at the bucket level. */
  key: string;
}

export type Handler = (call: Call) => HttpResponse;

export function header(call: Call, name: string): string | undefined {
  const value = call.req.headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

export function param(call: Call, name: string): string | undefined {
  return call.req.query.get(name) ?? undefined;
}

export function xmlResponse(body: string, status = 200): HttpResponse {
  return { status, headers: { "content-type": "application/xml" }, body };
}

export function emptyResponse(status: number, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers, body: "" };
}
