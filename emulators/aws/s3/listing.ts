/**
 * One page of a bucket listing: prefix, delimiter roll-up into common prefixes, a resume point,
 * and a page size that counts keys and common prefixes alike. Pure: it walks a sorted key list.
 * S3 orders keys by their UTF-8 bytes, which differs from JS string order for characters above
 * U+FFFF, so the order here is byte order.
 */

export interface ListQuery {
  prefix: string;
  delimiter?: string;
  /** Return only keys after this one (StartAfter, Marker, or a continuation token's key). */
  after?: string;
  /** Also skip every key under this common prefix (resuming after a rolled-up prefix). */
  skipPrefix?: string;
  maxKeys: number;
}

export type ListEntry = { kind: "key"; key: string } | { kind: "prefix"; prefix: string };

export interface ListPage {
  entries: ListEntry[];
  isTruncated: boolean;
}

export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** Sorts in UTF-8 byte order, encoding each key once rather than once per comparison. */
export function sortByUtf8(keys: string[]): string[] {
  return keys
    .map((key) => ({ key, bytes: Buffer.from(key, "utf8") }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
    .map((e) => e.key);
}

/** Index of the first key for which `before(key)` is false; keys are sorted. */
function lowerBound(keys: readonly string[], before: (key: string) => boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(keys[mid] as string)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function listPage(sortedKeys: readonly string[], query: ListQuery): ListPage {
  const { prefix, delimiter, after, skipPrefix, maxKeys } = query;
  const entries: ListEntry[] = [];
  if (maxKeys <= 0) return { entries, isTruncated: false };

  let i = lowerBound(sortedKeys, (k) => compareKeys(k, prefix) < 0);
  if (after !== undefined)
    i = Math.max(
      i,
      lowerBound(sortedKeys, (k) => compareKeys(k, after) <= 0),
    );

  let lastPrefix: string | undefined;
  for (; i < sortedKeys.length; i++) {
    const key = sortedKeys[i] as string;
    if (!key.startsWith(prefix)) break; // keys under a prefix are contiguous in sorted order
    if (skipPrefix && key.startsWith(skipPrefix)) continue;
    const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    if (delimiter && at >= 0) {
      const common = key.slice(0, at + delimiter.length);
      if (common === lastPrefix) continue;
      if (entries.length === maxKeys) return { entries, isTruncated: true };
      entries.push({ kind: "prefix", prefix: common });
      lastPrefix = common;
      continue;
    }
    if (entries.length === maxKeys) return { entries, isTruncated: true };
    entries.push({ kind: "key", key });
  }
  return { entries, isTruncated: false };
}

/** ListObjectsV2 continuation tokens: opaque to clients, they name where the last page ended. */
export function encodeToken(last: ListEntry): string {
  const text = last.kind === "key" ? `k${last.key}` : `p${last.prefix}`;
  return Buffer.from(text, "utf8").toString("base64url");
}

export function decodeToken(token: string): { after: string; skipPrefix?: string } | undefined {
  const text = Buffer.from(token, "base64url").toString("utf8");
  if (Buffer.from(text, "utf8").toString("base64url") !== token) return undefined;
  const marker = text.slice(1);
  if (text.startsWith("k")) return { after: marker };
  if (text.startsWith("p")) return { after: marker, skipPrefix: marker };
  return undefined;
}
