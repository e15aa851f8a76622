// The S3 emulator's pure pieces, without HTTP: listing, addressing, ranges, conditions, framing, names.
import { describe, expect, it } from "vitest";
import { bucketFromHost, resolveTarget } from "../../emulators/aws/s3/addressing.ts";
import { decodeAwsChunked } from "../../emulators/aws/s3/aws-chunked.ts";
import { isValidBucketName } from "../../emulators/aws/s3/bucket-name.ts";
import { computeChecksum } from "../../emulators/aws/s3/checksums.ts";
import { evaluateConditions, parseRange } from "../../emulators/aws/s3/conditions.ts";
import { decodeToken, encodeToken, listPage, sortByUtf8 } from "../../emulators/aws/s3/listing.ts";
import { createS3Model, type S3Change } from "../../emulators/aws/s3/model.ts";

describe("listPage", () => {
  const keys = sortByUtf8(["a", "b/1", "b/2", "c", "d/x/1", "d/y"]);
  const names = (q: Parameters<typeof listPage>[1]) =>
    listPage(keys, q).entries.map((e) => (e.kind === "key" ? e.key : `${e.prefix}*`));

  it("rolls up by delimiter and counts a common prefix once against maxKeys", () => {
    expect(names({ prefix: "", delimiter: "/", maxKeys: 10 })).toEqual(["a", "b/*", "c", "d/*"]);
    expect(listPage(keys, { prefix: "", delimiter: "/", maxKeys: 2 }).isTruncated).toBe(true);
    expect(listPage(keys, { prefix: "", delimiter: "/", maxKeys: 4 }).isTruncated).toBe(false);
  });

  it("resumes after a rolled-up prefix without repeating it", () => {
    const token = encodeToken({ kind: "prefix", prefix: "b/" });
    const resume = decodeToken(token);
    expect(names({ prefix: "", delimiter: "/", maxKeys: 10, ...resume })).toEqual(["c", "d/*"]);
  });

  it("applies the delimiter after the prefix", () => {
    expect(names({ prefix: "d/", delimiter: "/", maxKeys: 10 })).toEqual(["d/x/*", "d/y"]);
  });

  it("treats maxKeys 0 as an empty, untruncated page", () => {
    expect(listPage(keys, { prefix: "", maxKeys: 0 })).toEqual({ entries: [], isTruncated: false });
  });

  it("rejects tokens it did not make", () => {
    expect(decodeToken("!!")).toBeUndefined();
    expect(decodeToken(Buffer.from("xyz").toString("base64url"))).toBeUndefined();
  });
});

describe("addressing", () => {
  it.each([
    ["b.s3.localhost:4566", "b"],
    ["my.dotted.bucket.s3.us-west-2.localhost", "my.dotted.bucket"],
    ["b.localhost:4566", "b"],
    ["b.s3.amazonaws.com", "b"],
    ["b.s3-eu-west-1.amazonaws.com", "b"],
    ["localhost:4566", undefined],
    ["s3.localhost:4566", undefined],
    ["127.0.0.1:4566", undefined],
    [undefined, undefined],
  ])("host %s -> bucket %s", (host, bucket) => {
    expect(bucketFromHost(host)).toBe(bucket);
  });

  it("decodes path-style keys with slashes, spaces and unicode", () => {
    expect(resolveTarget("127.0.0.1:4566", "/b/a%20b/%C3%BC%2Bx.txt")).toEqual({
      bucket: "b",
      key: "a b/ü+x.txt",
    });
    expect(resolveTarget("127.0.0.1:4566", "/b/")).toEqual({ bucket: "b" });
    expect(resolveTarget("127.0.0.1:4566", "/")).toEqual({});
    expect(resolveTarget("b.s3.localhost", "/k%2Fx")).toEqual({ bucket: "b", key: "k/x" });
  });

  it("answers InvalidURI for a malformed escape", () => {
    expect(() => resolveTarget("localhost", "/b/%E0%A4%A")).toThrow(
      expect.objectContaining({ code: "InvalidURI" }),
    );
  });
});

describe("ranges and conditions", () => {
  it.each([
    ["bytes=0-0", { start: 0, end: 0 }],
    ["bytes=5-100", { start: 5, end: 9 }],
    ["bytes=-4", { start: 6, end: 9 }],
    ["bytes=-40", { start: 0, end: 9 }],
    ["bytes=3-1", undefined],
    ["bytes=1-2,4-5", undefined],
    ["items=1-2", undefined],
  ])("%s of 10 bytes", (header, range) => {
    expect(parseRange(header, 10)).toEqual(range);
  });

  it("answers InvalidRange past the end", () => {
    expect(() => parseRange("bytes=10-", 10)).toThrow(
      expect.objectContaining({ code: "InvalidRange", status: 416 }),
    );
  });

  const lastModified = Date.parse("2025-01-01T00:00:00Z");
  it("evaluates If-Match before If-None-Match, and the date checks only without the ETag ones", () => {
    expect(evaluateConditions({ ifNoneMatch: '"e"' }, "e", lastModified)).toBe("not-modified");
    expect(evaluateConditions({ ifNoneMatch: "*" }, "e", lastModified)).toBe("not-modified");
    expect(
      evaluateConditions(
        { ifMatch: '"e"', ifUnmodifiedSince: "Mon, 01 Jan 2024 00:00:00 GMT" },
        "e",
        lastModified,
      ),
    ).toBe("ok");
    expect(() => evaluateConditions({ ifMatch: '"x"' }, "e", lastModified)).toThrow(
      expect.objectContaining({ code: "PreconditionFailed", status: 412 }),
    );
    expect(evaluateConditions({ ifModifiedSince: "Wed, 01 Jan 2025 00:00:00 GMT" }, "e", lastModified)).toBe(
      "not-modified",
    );
    expect(evaluateConditions({ ifModifiedSince: "Tue, 31 Dec 2024 00:00:00 GMT" }, "e", lastModified)).toBe(
      "ok",
    );
  });
});

describe("aws-chunked bodies and checksums", () => {
  it("joins chunks and reads the trailer", () => {
    const raw = Buffer.from(
      "5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n",
    );
    const { body, trailers } = decodeAwsChunked(raw);
    expect(body.toString()).toBe("hello world");
    expect(trailers).toEqual({ "x-amz-checksum-crc32": "DUoRhQ==" });
    expect(computeChecksum("CRC32", body)).toBe("DUoRhQ==");
  });

  it("computes CRC32C (RFC 3720 test vector: 32 zero bytes)", () => {
    expect(Buffer.from(computeChecksum("CRC32C", Buffer.alloc(32)) ?? "", "base64").toString("hex")).toBe(
      "8a9136aa",
    );
  });

  it("rejects a truncated body", () => {
    expect(() => decodeAwsChunked(Buffer.from("a\r\nshort"))).toThrow(
      expect.objectContaining({ code: "InvalidRequest" }),
    );
  });
});

describe("bucket names", () => {
  it.each(["abc", "my.bucket-1", "a".repeat(63), "1bucket"])("accepts %s", (name) => {
    expect(isValidBucketName(name)).toBe(true);
  });
  it.each(["bucket.mrap", "bucket--x-s3", "amzn-s3-demo-x", "Bucket"])("rejects %s", (name) => {
    expect(isValidBucketName(name)).toBe(false);
  });
});

describe("model changes", () => {
  it("replays recorded changes into an equal state, with the clock's time", () => {
    const changes: S3Change[] = [];
    const model = createS3Model({ now: () => 1_700_000_000_123, record: (c) => changes.push(c) });
    model.createBucket("jobs", "us-east-1");
    model.putObject({ bucket: "jobs", key: "a", body: Buffer.from("x"), metadata: {}, properties: {} });
    model.putObject({ bucket: "jobs", key: "b", body: Buffer.from("y"), metadata: {}, properties: {} });
    model.deleteObject("jobs", "a");
    model.deleteObject("jobs", "a"); // idempotent: records nothing
    expect(changes.map((c) => c.op)).toEqual(["createBucket", "putObject", "putObject", "deleteObject"]);

    const replica = createS3Model({ now: () => 0, record: () => {} });
    for (const c of changes) replica.persistence.apply(c);
    expect(replica.persistence.snapshot()).toEqual(model.persistence.snapshot());
    expect(replica.getObject("jobs", "b").lastModified).toBe(1_700_000_000_000);
  });
});
