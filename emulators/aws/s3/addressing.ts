/**
 * Where an S3 request points: bucket and key from the Host (virtual-hosted style,
 * `bucket.s3.localhost:4566`, `bucket.s3.us-east-1.localhost`, `bucket.localhost`) or from the
 * path (`/bucket/key`). Keys arrive percent-encoded and may hold slashes, spaces and unicode.
 */
import { s3Errors } from "./errors.ts";

export interface Target {
  bucket?: string;
  key?: string;
}

/** `my.bucket.s3.localhost:4566` -> `my.bucket`; undefined for a host with no bucket in front. */
export function bucketFromHost(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const name = host.replace(/:\d+$/, "").toLowerCase();
  if (/^[\d.]+$/.test(name) || name.startsWith("[")) return undefined; // an IP address
  const labels = name.split(".");
  // The endpoint part starts at the first label that is `s3`, `s3-*` or `localhost`.
  const isEndpoint = (l: string) => l === "s3" || l.startsWith("s3-") || l === "localhost";
  if (isEndpoint(labels[0] ?? "")) return undefined; // `s3.localhost` itself is path-style
  const at = labels.findIndex((l, i) => i > 0 && isEndpoint(l));
  return at > 0 ? labels.slice(0, at).join(".") : undefined;
}

export function resolveTarget(host: string | undefined, rawPath: string): Target {
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw s3Errors.invalidUri(rawPath);
    }
  };
  const path = rawPath.startsWith("/") ? rawPath.slice(1) : rawPath;
  const hostBucket = bucketFromHost(host);
  if (hostBucket) return { bucket: hostBucket, ...(path && { key: decode(path) }) };

  const slash = path.indexOf("/");
  const bucket = decode(slash < 0 ? path : path.slice(0, slash));
  const key = slash < 0 ? "" : decode(path.slice(slash + 1));
  return { ...(bucket && { bucket }), ...(key && { key }) };
}
