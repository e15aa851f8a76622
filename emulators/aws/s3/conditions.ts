/**
 * HTTP semantics of reads: conditional requests (If-Match, If-None-Match, If-Modified-Since,
 * If-Unmodified-Since, evaluated in RFC 9110 order as S3 does) and single byte ranges. Pure.
 */
import { s3Errors } from "./errors.ts";

export interface Conditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

/** "ok", "not-modified" (304), or throws PreconditionFailed (412). */
export function evaluateConditions(c: Conditions, etag: string, lastModified: number): "ok" | "not-modified" {
  if (c.ifMatch !== undefined) {
    if (!etagMatches(c.ifMatch, etag)) throw s3Errors.preconditionFailed("If-Match");
  } else if (c.ifUnmodifiedSince !== undefined) {
    const since = Date.parse(c.ifUnmodifiedSince);
    if (!Number.isNaN(since) && lastModified > since)
      throw s3Errors.preconditionFailed("If-Unmodified-Since");
  }
  if (c.ifNoneMatch !== undefined) {
    if (etagMatches(c.ifNoneMatch, etag)) return "not-modified";
  } else if (c.ifModifiedSince !== undefined) {
    const since = Date.parse(c.ifModifiedSince);
    if (!Number.isNaN(since) && lastModified <= since) return "not-modified";
  }
  return "ok";
}

function etagMatches(header: string, etag: string): boolean {
  return header
    .split(",")
    .map((t) =>
      t
        .trim()
        .replace(/^W\//, "")
        .replace(/^"(.*)"$/, "$1"),
    )
    .some((t) => t === "*" || t === etag);
}

/** Inclusive byte range; undefined means the whole object (no header, or one S3 ignores). */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined; // malformed or multi-range: whole object
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) throw s3Errors.invalidRange(header, size);
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== "" && Number(m[2]) < start) return undefined; // invalid range: ignored
  if (start >= size) throw s3Errors.invalidRange(header, size);
  return { start, end };
}
