/**
 * `Content-Encoding: aws-chunked` bodies, which SDK v3 sends for streamed uploads: chunks of
 * `<hex size>[;chunk-signature=...]\r\n<data>\r\n`, a zero-size chunk, then trailing headers
 * (the checksum) and a blank line. Signatures are not checked: the emulator checks none.
 */
import { s3Errors } from "./errors.ts";

export interface DecodedBody {
  body: Buffer;
  trailers: Record<string, string>;
}

const CRLF = Buffer.from("\r\n");

export function isAwsChunked(headers: { contentEncoding?: string; contentSha256?: string }): boolean {
  return (
    (headers.contentEncoding ?? "").split(",").some((e) => e.trim() === "aws-chunked") ||
    (headers.contentSha256 ?? "").startsWith("STREAMING-")
  );
}

export function decodeAwsChunked(raw: Buffer): DecodedBody {
  const chunks: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = raw.indexOf(CRLF, pos);
    if (eol < 0) throw s3Errors.invalidChunkedBody();
    const size = Number.parseInt(raw.subarray(pos, eol).toString("latin1").split(";")[0] ?? "", 16);
    if (!Number.isFinite(size) || size < 0) throw s3Errors.invalidChunkedBody();
    pos = eol + 2;
    if (size === 0) break;
    if (pos + size > raw.length) throw s3Errors.invalidChunkedBody();
    chunks.push(raw.subarray(pos, pos + size));
    pos += size;
    if (raw.indexOf(CRLF, pos) === pos) pos += 2;
  }
  const trailers: Record<string, string> = {};
  for (const line of raw.subarray(pos).toString("latin1").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { body: Buffer.concat(chunks), trailers };
}
