/**
 * S3 state and rules: buckets, objects, and the one reducer every mutation goes through.
 * Knows no HTTP: the REST codec turns requests into these calls and results into responses.
 * Each mutation is a JSON change (object bodies in base64) applied by `apply`, then recorded so
 * the journal can replay it; the change carries every value the clock or a hash produced.
 */
import { isValidBucketName } from "./bucket-name.ts";
import { type Checksum, computeChecksum, isWellFormed, md5Hex } from "./checksums.ts";
import { s3Errors } from "./errors.ts";
import { LEGACY_REGION, MAX_KEY_BYTES } from "./limits.ts";
import { type ListPage, type ListQuery, listPage, sortByUtf8 } from "./listing.ts";

/** Stored object properties besides type and metadata, by their SDK names. */
export const OBJECT_PROPERTIES = [
  "CacheControl",
  "ContentDisposition",
  "ContentEncoding",
  "ContentLanguage",
  "Expires",
] as const;
export type ObjectProperty = (typeof OBJECT_PROPERTIES)[number];

export interface S3Object {
  key: string;
  body: Buffer;
  /** Hex MD5 of the body, unquoted. */
  etag: string;
  /** Epoch ms, whole seconds (S3 dates are second-precise). */
  lastModified: number;
  contentType: string;
  metadata: Record<string, string>;
  properties: Partial<Record<ObjectProperty, string>>;
  checksum?: Checksum;
}

export interface Bucket {
  name: string;
  region: string;
  createdAt: number;
  objects: Map<string, S3Object>;
  /** Keys in UTF-8 byte order, rebuilt lazily after a key is added or removed. */
  sortedKeys?: string[];
}

export interface PutObjectInput {
  bucket: string;
  key: string;
  body: Buffer;
  contentType?: string;
  metadata: Record<string, string>;
  properties: Partial<Record<ObjectProperty, string>>;
  /** Content-MD5 as sent: base64 of the 16-byte digest. */
  contentMd5?: string;
  checksum?: Checksum;
}

type StoredObject = Omit<S3Object, "body"> & { body: string };
type StoredBucket = { name: string; region: string; createdAt: number; objects: StoredObject[] };

export type S3Change =
  | { op: "createBucket"; name: string; region: string; createdAt: number }
  | { op: "deleteBucket"; name: string }
  | { op: "putObject"; bucket: string; object: StoredObject }
  | { op: "deleteObject"; bucket: string; key: string };

export interface S3ModelDeps {
  now(): number;
  record(change: S3Change): void;
}

const DEFAULT_CONTENT_TYPE = "binary/octet-stream";

export function createS3Model(deps: S3ModelDeps) {
  const buckets = new Map<string, Bucket>();

  function apply(change: S3Change): void {
    switch (change.op) {
      case "createBucket":
        buckets.set(change.name, {
          name: change.name,
          region: change.region,
          createdAt: change.createdAt,
          objects: new Map(),
        });
        return;
      case "deleteBucket":
        buckets.delete(change.name);
        return;
      case "putObject": {
        const bucket = buckets.get(change.bucket);
        if (!bucket) return;
        const object = { ...change.object, body: Buffer.from(change.object.body, "base64") };
        if (!bucket.objects.has(object.key)) bucket.sortedKeys = undefined;
        bucket.objects.set(object.key, object);
        return;
      }
      case "deleteObject": {
        const bucket = buckets.get(change.bucket);
        if (bucket?.objects.delete(change.key)) bucket.sortedKeys = undefined;
        return;
      }
    }
  }

  function commit(change: S3Change): void {
    apply(change);
    deps.record(change);
  }

  function bucketOf(name: string): Bucket {
    const bucket = buckets.get(name);
    if (!bucket) throw s3Errors.noSuchBucket(name);
    return bucket;
  }

  function secondsNow(): number {
    return Math.floor(deps.now() / 1000) * 1000;
  }

  return {
    apply,

    /**
     * `requestRegion` is the region the request was signed for; `locationConstraint` the
     * CreateBucketConfiguration's. us-east-1 takes any other region's constraint (legacy global
     * endpoint); other regions only their own.
     */
    createBucket(name: string, requestRegion: string, locationConstraint?: string): Bucket {
      if (!isValidBucketName(name)) throw s3Errors.invalidBucketName(name);
      if (locationConstraint === LEGACY_REGION) throw s3Errors.invalidLocationConstraint(locationConstraint);
      if (requestRegion !== LEGACY_REGION && locationConstraint !== requestRegion)
        throw s3Errors.illegalLocationConstraint(locationConstraint);
      const region = locationConstraint ?? LEGACY_REGION;
      const existing = buckets.get(name);
      if (existing) {
        if (existing.region === LEGACY_REGION && region === LEGACY_REGION) return existing;
        throw s3Errors.bucketAlreadyOwnedByYou(name);
      }
      commit({ op: "createBucket", name, region, createdAt: secondsNow() });
      return bucketOf(name);
    },

    deleteBucket(name: string): void {
      if (bucketOf(name).objects.size > 0) throw s3Errors.bucketNotEmpty(name);
      commit({ op: "deleteBucket", name });
    },

    headBucket: bucketOf,

    /** Buckets by name, optionally filtered; `after` resumes a paginated listing. */
    listBuckets(filter: { prefix?: string; region?: string; after?: string }): Bucket[] {
      return [...buckets.values()]
        .filter((b) => !filter.prefix || b.name.startsWith(filter.prefix))
        .filter((b) => !filter.region || b.region === filter.region)
        .filter((b) => filter.after === undefined || b.name > filter.after)
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },

    putObject(input: PutObjectInput): S3Object {
      const bucket = bucketOf(input.bucket);
      checkKey(input.key);
      const etag = md5Hex(input.body);
      if (input.contentMd5 !== undefined) checkContentMd5(input.contentMd5, etag);
      if (input.checksum) checkChecksum(input.checksum, input.body);
      const object: StoredObject = {
        key: input.key,
        body: input.body.toString("base64"),
        etag,
        lastModified: secondsNow(),
        contentType: input.contentType || DEFAULT_CONTENT_TYPE,
        metadata: input.metadata,
        properties: input.properties,
        ...(input.checksum && { checksum: input.checksum }),
      };
      commit({ op: "putObject", bucket: bucket.name, object });
      return bucket.objects.get(input.key) as S3Object;
    },

    getObject(bucketName: string, key: string): S3Object {
      const object = bucketOf(bucketName).objects.get(key);
      if (!object) throw s3Errors.noSuchKey(key);
      return object;
    },

    /** Idempotent, as in S3: deleting a missing key succeeds. */
    deleteObject(bucketName: string, key: string): void {
      const bucket = bucketOf(bucketName);
      if (bucket.objects.has(key)) commit({ op: "deleteObject", bucket: bucket.name, key });
    },

    listObjects(bucketName: string, query: ListQuery): ListPage & { bucket: Bucket } {
      const bucket = bucketOf(bucketName);
      bucket.sortedKeys ??= sortByUtf8([...bucket.objects.keys()]);
      return { ...listPage(bucket.sortedKeys, query), bucket };
    },

    persistence: {
      snapshot(): { buckets: StoredBucket[] } {
        return {
          buckets: [...buckets.values()].map((b) => ({
            name: b.name,
            region: b.region,
            createdAt: b.createdAt,
            objects: [...b.objects.values()].map((o) => ({ ...o, body: o.body.toString("base64") })),
          })),
        };
      },
      restore(data: unknown): void {
        buckets.clear();
        for (const b of (data as { buckets?: StoredBucket[] }).buckets ?? []) {
          apply({ op: "createBucket", name: b.name, region: b.region, createdAt: b.createdAt });
          for (const object of b.objects) apply({ op: "putObject", bucket: b.name, object });
        }
      },
      apply: (change: unknown) => apply(change as S3Change),
    },

    stats() {
      let objects = 0;
      let bytes = 0;
      for (const b of buckets.values()) {
        objects += b.objects.size;
        for (const o of b.objects.values()) bytes += o.body.length;
      }
      return { buckets: buckets.size, objects, bytes };
    },
  };
}

export type S3Model = ReturnType<typeof createS3Model>;

function checkKey(key: string): void {
  const size = Buffer.byteLength(key, "utf8");
  if (size > MAX_KEY_BYTES) throw s3Errors.keyTooLong(size, MAX_KEY_BYTES);
}

function checkContentMd5(contentMd5: string, etag: string): void {
  const digest = Buffer.from(contentMd5, "base64");
  if (digest.length !== 16 || digest.toString("base64") !== contentMd5)
    throw s3Errors.invalidDigest(contentMd5);
  if (digest.toString("hex") !== etag)
    throw s3Errors.badDigest(contentMd5, Buffer.from(etag, "hex").toString("base64"));
}

function checkChecksum(checksum: Checksum, body: Buffer): void {
  if (!isWellFormed(checksum))
    throw s3Errors.invalidChecksumHeader(`x-amz-checksum-${checksum.algorithm.toLowerCase()}`);
  const computed = computeChecksum(checksum.algorithm, body);
  if (computed !== undefined && computed !== checksum.value) throw s3Errors.badChecksum(checksum.algorithm);
}
