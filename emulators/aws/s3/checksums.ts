/**
 * Object integrity: Content-MD5 and the flexible checksums (`x-amz-checksum-*`) that SDK v3 sends
 * by default (CRC32). CRC32 comes from zlib and SHA from node:crypto; CRC32C is a small table
 * here because Node has none. CRC64NVME is stored as given, unverified (BigInt would be too slow).
 */
import { createHash } from "node:crypto";
import zlib from "node:zlib";

export const CHECKSUM_ALGORITHMS = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export interface Checksum {
  algorithm: ChecksumAlgorithm;
  /** base64 of the big-endian digest, as on the wire. */
  value: string;
}

export function md5Hex(body: Buffer): string {
  return createHash("md5").update(body).digest("hex");
}

/** The digest's byte length, used to reject malformed header values. */
const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = {
  CRC32: 4,
  CRC32C: 4,
  CRC64NVME: 8,
  SHA1: 20,
  SHA256: 32,
};

export function isWellFormed(checksum: Checksum): boolean {
  const bytes = Buffer.from(checksum.value, "base64");
  return bytes.length === DIGEST_BYTES[checksum.algorithm] && bytes.toString("base64") === checksum.value;
}

/** base64 digest of `body`, or undefined when this emulator cannot compute that algorithm. */
export function computeChecksum(algorithm: ChecksumAlgorithm, body: Buffer): string | undefined {
  switch (algorithm) {
    case "CRC32":
      return uint32(zlib.crc32(body));
    case "CRC32C":
      return uint32(crc32c(body));
    case "SHA1":
      return createHash("sha1").update(body).digest("base64");
    case "SHA256":
      return createHash("sha256").update(body).digest("base64");
    case "CRC64NVME":
      return undefined;
  }
}

function uint32(n: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b.toString("base64");
}

let crc32cTable: Uint32Array | undefined;

function crc32c(body: Buffer): number {
  if (!crc32cTable) {
    crc32cTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      crc32cTable[n] = c >>> 0;
    }
  }
  const table = crc32cTable;
  let crc = 0xffffffff;
  for (let i = 0; i < body.length; i++)
    crc = (table[(crc ^ (body[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
