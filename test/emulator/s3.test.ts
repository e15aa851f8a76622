import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ServiceException,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../emulators/aws/server.ts";

let emulator: Emulator;
let s3: S3Client;

function client(url: string, region = "us-east-1"): S3Client {
  return new S3Client({
    region,
    endpoint: url,
    forcePathStyle: true,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
}

/** The SDK error's name and status, for `expect(...).rejects` style assertions. */
async function failure(
  promise: Promise<unknown>,
): Promise<{ name: string; status?: number; fault?: string }> {
  try {
    await promise;
  } catch (err) {
    const e = err as S3ServiceException;
    return { name: e.name, status: e.$metadata?.httpStatusCode, fault: e.$fault };
  }
  throw new Error("expected the call to fail");
}

let bucketCount = 0;
async function newBucket(): Promise<string> {
  const name = `bucket-${++bucketCount}-${process.pid}`;
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

const md5 = (body: Buffer | string) => createHash("md5").update(body).digest();

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  s3 = client(emulator.url);
});

afterAll(async () => {
  s3?.destroy();
  await emulator?.close();
});

describe("CreateBucket / HeadBucket / ListBuckets / DeleteBucket", () => {
  it("creates, lists, heads and deletes a bucket", async () => {
    const created = await s3.send(new CreateBucketCommand({ Bucket: "life-cycle" }));
    expect(created.Location).toBe("/life-cycle");
    const head = await s3.send(new HeadBucketCommand({ Bucket: "life-cycle" }));
    expect(head.BucketRegion).toBe("us-east-1");
    const list = await s3.send(new ListBucketsCommand({}));
    const found = list.Buckets?.find((b) => b.Name === "life-cycle");
    expect(found?.CreationDate).toBeInstanceOf(Date);
    expect(list.Owner?.ID).toMatch(/^[0-9a-f]{64}$/);
    await s3.send(new DeleteBucketCommand({ Bucket: "life-cycle" }));
    expect(await failure(s3.send(new HeadBucketCommand({ Bucket: "life-cycle" })))).toMatchObject({
      name: "NotFound",
      status: 404,
    });
  });

  it("re-creating your own bucket answers 200 in us-east-1", async () => {
    const bucket = await newBucket();
    await expect(s3.send(new CreateBucketCommand({ Bucket: bucket }))).resolves.toBeDefined();
  });

  it("re-creating your own bucket elsewhere is BucketAlreadyOwnedByYou (409)", async () => {
    const eu = client(emulator.url, "eu-west-1");
    const config = { CreateBucketConfiguration: { LocationConstraint: "eu-west-1" as const } };
    await eu.send(new CreateBucketCommand({ Bucket: "in-ireland", ...config }));
    expect((await eu.send(new GetBucketLocationCommand({ Bucket: "in-ireland" }))).LocationConstraint).toBe(
      "eu-west-1",
    );
    expect(
      await failure(eu.send(new CreateBucketCommand({ Bucket: "in-ireland", ...config }))),
    ).toMatchObject({
      name: "BucketAlreadyOwnedByYou",
      status: 409,
      fault: "client",
    });
    // The SDK fills the constraint in from its region; a bare regional request is refused, as on AWS.
    const bare = await fetch(`${emulator.url}/no-constraint`, {
      method: "PUT",
      headers: { authorization: "AWS4-HMAC-SHA256 Credential=test/20250101/eu-west-1/s3/aws4_request" },
    });
    expect(bare.status).toBe(400);
    expect(await bare.text()).toContain("<Code>IllegalLocationConstraintException</Code>");
    eu.destroy();
  });

  it.each([
    "ab",
    "a".repeat(64),
    "UpperCase",
    "under_score",
    "-leading-hyphen",
    "trailing-hyphen-",
    "two..dots",
    "192.168.5.4",
    "xn--punycode",
    "sthree-bucket",
    "alias-s3alias",
  ])("rejects the bucket name %j with InvalidBucketName", async (name) => {
    expect(await failure(s3.send(new CreateBucketCommand({ Bucket: name })))).toMatchObject({
      name: "InvalidBucketName",
      status: 400,
    });
  });

  it("refuses to delete a bucket that holds objects (BucketNotEmpty 409)", async () => {
    const bucket = await newBucket();
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "x" }));
    expect(await failure(s3.send(new DeleteBucketCommand({ Bucket: bucket })))).toMatchObject({
      name: "BucketNotEmpty",
      status: 409,
    });
  });

  it("answers NoSuchBucket for a missing bucket", async () => {
    expect(await failure(s3.send(new DeleteBucketCommand({ Bucket: "never-made" })))).toMatchObject({
      name: "NoSuchBucket",
      status: 404,
    });
    expect(await failure(s3.send(new ListObjectsV2Command({ Bucket: "never-made" })))).toMatchObject({
      name: "NoSuchBucket",
      status: 404,
    });
    expect(
      await failure(s3.send(new PutObjectCommand({ Bucket: "never-made", Key: "k", Body: "x" }))),
    ).toMatchObject({ name: "NoSuchBucket", status: 404 });
  });
});

describe("PutObject / GetObject / HeadObject / DeleteObject", () => {
  let bucket: string;
  beforeAll(async () => {
    bucket = await newBucket();
  });

  it("round-trips body, content type, user metadata, ETag and Last-Modified", async () => {
    const key = "dir/with space/ünïcödé ✓ +plus.txt";
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: "hello world",
        ContentType: "text/plain; charset=utf-8",
        Metadata: { owner: "alice", "job-id": "42" },
        CacheControl: "no-cache",
      }),
    );
    const etag = `"${md5("hello world").toString("hex")}"`;
    expect(put.ETag).toBe(etag);

    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(await got.Body?.transformToString()).toBe("hello world");
    expect(got.ETag).toBe(etag);
    expect(got.ContentType).toBe("text/plain; charset=utf-8");
    expect(got.ContentLength).toBe(11);
    expect(got.Metadata).toEqual({ owner: "alice", "job-id": "42" });
    expect(got.CacheControl).toBe("no-cache");
    expect(got.LastModified).toBeInstanceOf(Date);
    expect(Math.abs((got.LastModified as Date).getTime() - Date.now())).toBeLessThan(5_000);
    expect(got.$metadata.requestId).toMatch(/[0-9a-f-]{36}/);

    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head).toMatchObject({ ETag: etag, ContentLength: 11, ContentType: "text/plain; charset=utf-8" });
    expect(head.Metadata).toEqual({ owner: "alice", "job-id": "42" });
  });

  it("defaults the content type to binary/octet-stream when none is sent", async () => {
    const req = http.request(`${emulator.url}/${bucket}/untyped`, { method: "PUT" });
    await new Promise<void>((resolve, reject) => {
      req.on("response", (res) => res.resume().on("end", resolve));
      req.on("error", reject);
      req.end("raw");
    });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "untyped" }));
    expect(head.ContentType).toBe("binary/octet-stream");
  });

  it("checks Content-MD5: BadDigest when it differs, InvalidDigest when malformed", async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "md5",
        Body: "abc",
        ContentMD5: md5("abc").toString("base64"),
      }),
    );
    expect(
      await failure(
        s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: "md5",
            Body: "abc",
            ContentMD5: md5("abd").toString("base64"),
          }),
        ),
      ),
    ).toMatchObject({ name: "BadDigest", status: 400 });
    expect(
      await failure(
        s3.send(new PutObjectCommand({ Bucket: bucket, Key: "md5", Body: "abc", ContentMD5: "nope" })),
      ),
    ).toMatchObject({ name: "InvalidDigest", status: 400 });
  });

  it("accepts a streamed (aws-chunked) upload and verifies its trailing checksum", async () => {
    const body = Buffer.alloc(200_000, "stream");
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "streamed",
        Body: Readable.from([body]),
        ContentLength: body.length,
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "streamed" }));
    expect(
      Buffer.from(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()),
    ).toEqual(body);
    expect(got.ChecksumCRC32).toBeDefined();
    expect(got.ContentEncoding).toBeUndefined();
  });

  it("round-trips a 5 MiB object byte for byte", async () => {
    const body = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31 + (i >> 8)) & 0xff;
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "big.bin", Body: body }));
    expect(put.ETag).toBe(`"${md5(body).toString("hex")}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "big.bin" }));
    const bytes = Buffer.from(
      await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    expect(bytes.length).toBe(body.length);
    expect(bytes.equals(body)).toBe(true);
  });

  it("serves byte ranges with 206 and Content-Range, and 416 past the end", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "digits", Body: "0123456789" }));
    const mid = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "digits", Range: "bytes=2-5" }));
    expect(mid.$metadata.httpStatusCode).toBe(206);
    expect(mid.ContentRange).toBe("bytes 2-5/10");
    expect(await mid.Body?.transformToString()).toBe("2345");
    const open = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "digits", Range: "bytes=7-" }));
    expect(await open.Body?.transformToString()).toBe("789");
    const suffix = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "digits", Range: "bytes=-3" }));
    expect(await suffix.Body?.transformToString()).toBe("789");
    expect(
      await failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "digits", Range: "bytes=10-12" }))),
    ).toMatchObject({ name: "InvalidRange", status: 416 });
  });

  it("honours If-None-Match (304) and If-Match (412)", async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "cond", Body: "v1" }));
    expect(
      await failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "cond", IfNoneMatch: put.ETag }))),
    ).toMatchObject({ status: 304 });
    const fresh = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: "cond", IfNoneMatch: '"other"' }),
    );
    expect(await fresh.Body?.transformToString()).toBe("v1");
    expect(
      await failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "cond", IfMatch: '"other"' }))),
    ).toMatchObject({ name: "PreconditionFailed", status: 412 });
  });

  it("answers NoSuchKey for GetObject and a bodiless 404 for HeadObject", async () => {
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "absent" })))).toMatchObject({
      name: "NoSuchKey",
      status: 404,
    });
    expect(await failure(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "absent" })))).toMatchObject({
      name: "NotFound",
      status: 404,
    });
  });

  it("deletes idempotently with 204", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "doomed", Body: "x" }));
    const first = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "doomed" }));
    expect(first.$metadata.httpStatusCode).toBe(204);
    const again = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "doomed" }));
    expect(again.$metadata.httpStatusCode).toBe(204);
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "doomed" })))).toMatchObject({
      name: "NoSuchKey",
    });
  });

  it("copies an object with its metadata, and deletes many at once", async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: "src", Body: "copy me", Metadata: { a: "1" } }),
    );
    const copy = await s3.send(
      new CopyObjectCommand({ Bucket: bucket, Key: "dst", CopySource: `${bucket}/src` }),
    );
    expect(copy.CopyObjectResult?.ETag).toBe(`"${md5("copy me").toString("hex")}"`);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "dst" }));
    expect(head.Metadata).toEqual({ a: "1" });
    const deleted = await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: "src" }, { Key: "dst" }] } }),
    );
    expect(deleted.Deleted?.map((d) => d.Key)).toEqual(["src", "dst"]);
  });

  it("answers NotImplemented for subresources it does not emulate", async () => {
    const res = await fetch(`${emulator.url}/${bucket}?versioning`);
    expect(res.status).toBe(501);
    const xml = await res.text();
    expect(xml).toContain("<Code>NotImplemented</Code>");
    expect(xml).toMatch(/<RequestId>[0-9a-f-]{36}<\/RequestId>/);
    expect(res.headers.get("x-amz-request-id")).toMatch(/[0-9a-f-]{36}/);
  });

  it("answers MethodNotAllowed for a method the resource does not take", async () => {
    const res = await fetch(`${emulator.url}/${bucket}/some-key`, { method: "PATCH" });
    expect(res.status).toBe(405);
    const xml = await res.text();
    expect(xml).toContain("<Code>MethodNotAllowed</Code>");
    expect(xml).toContain(`<Resource>/${bucket}/some-key</Resource>`);
  });
});

describe("ListObjectsV2", () => {
  let bucket: string;
  const keys = ["a.txt", "b/1.txt", "b/2.txt", "b/deep/3.txt", "c/1.txt", "d.txt", "e/1.txt", "f.txt"];
  beforeAll(async () => {
    bucket = await newBucket();
    for (const Key of [...keys].reverse())
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }));
  });

  it("lists every key in order with sizes, ETags and KeyCount", async () => {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(out.Contents?.map((c) => c.Key)).toEqual(keys);
    expect(out.KeyCount).toBe(keys.length);
    expect(out.IsTruncated).toBe(false);
    expect(out.Contents?.[0]).toMatchObject({ Size: 5, ETag: `"${md5("a.txt").toString("hex")}"` });
    expect(out.Contents?.[0]?.LastModified).toBeInstanceOf(Date);
  });

  it("filters by prefix", async () => {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "b/" }));
    expect(out.Contents?.map((c) => c.Key)).toEqual(["b/1.txt", "b/2.txt", "b/deep/3.txt"]);
    expect(out.Prefix).toBe("b/");
  });

  it("rolls keys up into CommonPrefixes with a delimiter", async () => {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: "/" }));
    expect(out.Contents?.map((c) => c.Key)).toEqual(["a.txt", "d.txt", "f.txt"]);
    expect(out.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["b/", "c/", "e/"]);
    expect(out.KeyCount).toBe(6);
    const nested = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "b/", Delimiter: "/" }));
    expect(nested.Contents?.map((c) => c.Key)).toEqual(["b/1.txt", "b/2.txt"]);
    expect(nested.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["b/deep/"]);
  });

  it("pages with max-keys and continuation tokens, counting prefixes once", async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Delimiter: "/", MaxKeys: 2, ContinuationToken: token }),
      );
      pages++;
      expect(out.KeyCount).toBeLessThanOrEqual(2);
      expect(out.MaxKeys).toBe(2);
      for (const c of out.Contents ?? []) seen.push(c.Key as string);
      for (const p of out.CommonPrefixes ?? []) seen.push(p.Prefix as string);
      expect(Boolean(out.NextContinuationToken)).toBe(Boolean(out.IsTruncated));
      if (token) expect(out.ContinuationToken).toBe(token);
      token = out.NextContinuationToken;
    } while (token);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(["a.txt", "b/", "c/", "d.txt", "e/", "f.txt"]);
  });

  it("starts after a given key", async () => {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, StartAfter: "c/1.txt" }));
    expect(out.Contents?.map((c) => c.Key)).toEqual(["d.txt", "e/1.txt", "f.txt"]);
    expect(out.StartAfter).toBe("c/1.txt");
  });

  it("orders keys by UTF-8 bytes, not UTF-16 code units", async () => {
    const b = await newBucket();
    // U+FF5E sorts before U+1F600 in UTF-8 (EF BD.. < F0 9F..) but after it in UTF-16 (FF5E > D83D).
    for (const Key of ["😀", "～", "z"]) await s3.send(new PutObjectCommand({ Bucket: b, Key, Body: "x" }));
    const out = await s3.send(new ListObjectsV2Command({ Bucket: b }));
    expect(out.Contents?.map((c) => c.Key)).toEqual(["z", "～", "😀"]);
  });

  it("rejects a forged continuation token", async () => {
    expect(
      await failure(
        s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: "!!not-a-token" })),
      ),
    ).toMatchObject({ name: "InvalidArgument", status: 400 });
  });

  it("also answers ListObjects (v1) with markers", async () => {
    const out = await s3.send(new ListObjectsCommand({ Bucket: bucket, Delimiter: "/", MaxKeys: 3 }));
    expect(out.Contents?.map((c) => c.Key)).toEqual(["a.txt"]);
    expect(out.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["b/", "c/"]);
    expect(out.IsTruncated).toBe(true);
    expect(out.NextMarker).toBe("c/");
    const next = await s3.send(new ListObjectsCommand({ Bucket: bucket, Delimiter: "/", Marker: "c/" }));
    expect(next.Contents?.map((c) => c.Key)).toEqual(["d.txt", "f.txt"]);
    expect(next.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["e/"]);
  });
});

describe("virtual-hosted-style addressing", () => {
  function raw(method: string, host: string, urlPath: string, body?: string) {
    return new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>(
      (resolve, reject) => {
        const req = http.request({
          host: "127.0.0.1",
          port: emulator.port,
          method,
          path: urlPath,
          headers: { host },
        });
        req.on("response", (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString(),
              headers: res.headers,
            }),
          );
        });
        req.on("error", reject);
        req.end(body);
      },
    );
  }

  it.each(["vhost-bucket.s3.localhost", "vhost-bucket.s3.us-east-1.localhost", "vhost-bucket.localhost"])(
    "reads and writes through Host %s",
    async (hostname) => {
      await s3.send(new CreateBucketCommand({ Bucket: "vhost-bucket" }));
      const host = `${hostname}:${emulator.port}`;
      const put = await raw("PUT", host, "/notes/hello%20world.txt", "via the host");
      expect(put.status).toBe(200);
      const got = await s3.send(
        new GetObjectCommand({ Bucket: "vhost-bucket", Key: "notes/hello world.txt" }),
      );
      expect(await got.Body?.transformToString()).toBe("via the host");
      const back = await raw("GET", host, "/notes/hello%20world.txt");
      expect(back.body).toBe("via the host");
      expect(back.headers.etag).toBe(put.headers.etag);
      const list = await raw("GET", host, "/?list-type=2&prefix=notes%2F");
      expect(list.body).toContain("<Key>notes/hello world.txt</Key>");
      expect(list.body).toContain("<Name>vhost-bucket</Name>");
    },
  );
});

describe("persistence", () => {
  it("keeps buckets and objects, with their ETags, across a restart on the same data dir", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "s3-persist-"));
    try {
      const first = await startEmulator({ port: 0, dataDir });
      const c1 = client(first.url);
      await c1.send(new CreateBucketCommand({ Bucket: "durable" }));
      const body = Buffer.alloc(300_000, 7);
      const etags: Record<string, string | undefined> = {};
      for (const [Key, Body] of [
        ["a/one.txt", "one"],
        ["b/two.bin", body],
        ["gone", "deleted before restart"],
      ] as const) {
        etags[Key] = (
          await c1.send(new PutObjectCommand({ Bucket: "durable", Key, Body, Metadata: { k: Key } }))
        ).ETag;
      }
      await c1.send(new DeleteObjectCommand({ Bucket: "durable", Key: "gone" }));
      c1.destroy();
      await first.close();

      const second = await startEmulator({ port: 0, dataDir });
      const c2 = client(second.url);
      const list = await c2.send(new ListObjectsV2Command({ Bucket: "durable" }));
      expect(list.Contents?.map((c) => [c.Key, c.ETag])).toEqual([
        ["a/one.txt", etags["a/one.txt"]],
        ["b/two.bin", etags["b/two.bin"]],
      ]);
      const got = await c2.send(new GetObjectCommand({ Bucket: "durable", Key: "b/two.bin" }));
      expect(got.Metadata).toEqual({ k: "b/two.bin" });
      const bytes = Buffer.from(
        await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
      expect(bytes.equals(body)).toBe(true);
      const health = (await (await fetch(`${second.url}/_emulator/health`)).json()) as {
        services: { s3: { buckets: number; objects: number } };
      };
      expect(health.services.s3).toMatchObject({ buckets: 1, objects: 2 });
      c2.destroy();
      await second.close();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
