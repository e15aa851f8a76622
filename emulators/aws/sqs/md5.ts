/**
 * MD5 digests as SQS computes them; the SDK checks MD5OfBody and MD5OfMessageAttributes on every
 * receive. Attribute digest: attributes sorted by name, each encoded as length-prefixed name,
 * length-prefixed data type, a transport byte (1 string/number, 2 binary), length-prefixed value.
 */
import { createHash } from "node:crypto";

export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  /** base64, as both wire protocols carry it */
  BinaryValue?: string;
}

export function md5Hex(data: string | Buffer): string {
  return createHash("md5").update(data).digest("hex");
}

function lengthPrefixed(bytes: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

export function md5OfAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): string | undefined {
  if (!attributes) return undefined;
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  for (const name of names) {
    const value = attributes[name] as MessageAttributeValue;
    parts.push(lengthPrefixed(Buffer.from(name, "utf8")));
    parts.push(lengthPrefixed(Buffer.from(value.DataType, "utf8")));
    if (value.BinaryValue !== undefined && value.DataType.startsWith("Binary")) {
      parts.push(Buffer.from([2]));
      parts.push(lengthPrefixed(Buffer.from(value.BinaryValue, "base64")));
    } else {
      parts.push(Buffer.from([1]));
      parts.push(lengthPrefixed(Buffer.from(value.StringValue ?? "", "utf8")));
    }
  }
  return md5Hex(Buffer.concat(parts));
}
