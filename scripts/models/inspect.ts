/**
 * Reads a GGUF file's header, metadata and tensor table (not the tensor data), for `--inspect`
 * and for tests. Works on any GGUF v2/v3 file, generated or real; long arrays are summarised.
 */
import fs from "node:fs";
import { GGUF_MAGIC, tensorTypeById, ValueType } from "./gguf-format.ts";

export interface GgufSummary {
  version: number;
  bytes: number;
  metadata: Record<string, unknown>;
  tensors: Array<{ name: string; dims: number[]; type: string; offset: number }>;
}

/** Reads at most the first `limit` bytes; the header of a 1B model is well under 2 MB. */
export function readGguf(file: string, limit = 64 * 1024 * 1024): GgufSummary {
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, "r");
  const buf = Buffer.alloc(Math.min(size, limit));
  try {
    fs.readSync(fd, buf, 0, buf.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  let at = 0;
  /** Advances past `n` bytes and returns where they start. */
  const take = (n: number) => {
    if (at + n > buf.length) throw new Error(`${file}: truncated GGUF header at byte ${at}`);
    const start = at;
    at += n;
    return start;
  };
  const u32 = () => buf.readUInt32LE(take(4));
  const u64 = () => Number(buf.readBigUInt64LE(take(8)));
  const str = () => {
    const n = u64();
    const start = take(n);
    return buf.toString("utf8", start, start + n);
  };
  const value = (type: number): unknown => {
    switch (type) {
      case ValueType.UINT8:
        return buf.readUInt8(take(1));
      case ValueType.INT8:
        return buf.readInt8(take(1));
      case ValueType.UINT16:
        return buf.readUInt16LE(take(2));
      case ValueType.INT16:
        return buf.readInt16LE(take(2));
      case ValueType.UINT32:
        return u32();
      case ValueType.INT32:
        return buf.readInt32LE(take(4));
      case ValueType.FLOAT32:
        return buf.readFloatLE(take(4));
      case ValueType.BOOL:
        return buf.readUInt8(take(1)) !== 0;
      case ValueType.STRING:
        return str();
      case ValueType.UINT64:
        return u64();
      case ValueType.INT64:
        return Number(buf.readBigInt64LE(take(8)));
      case ValueType.FLOAT64:
        return buf.readDoubleLE(take(8));
      case ValueType.ARRAY: {
        const elementType = u32();
        const n = u64();
        const items: unknown[] = [];
        for (let i = 0; i < n; i++) items.push(value(elementType));
        return items;
      }
      default:
        throw new Error(`${file}: unknown metadata value type ${type} at byte ${at}`);
    }
  };

  if (u32() !== GGUF_MAGIC) throw new Error(`${file}: not a GGUF file (bad magic)`);
  const version = u32();
  if (version < 2 || version > 3) throw new Error(`${file}: GGUF version ${version} is not supported`);
  const nTensors = u64();
  const nMeta = u64();
  const metadata: Record<string, unknown> = {};
  for (let i = 0; i < nMeta; i++) {
    const key = str();
    metadata[key] = value(u32());
  }
  const tensors: GgufSummary["tensors"] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = str();
    const nDims = u32();
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(u64());
    const typeId = u32();
    tensors.push({ name, dims, type: tensorTypeById.get(typeId)?.name ?? `type${typeId}`, offset: u64() });
  }
  return { version, bytes: size, metadata, tensors };
}

/** The `--inspect` text: header, metadata (arrays summarised), a type census and the tensor table. */
export function formatSummary(file: string, s: GgufSummary): string {
  const lines = [`file: ${file}`, `gguf version: ${s.version}`, `size: ${s.bytes} bytes`, "metadata:"];
  for (const [key, v] of Object.entries(s.metadata)) {
    let shown: string;
    if (Array.isArray(v)) {
      const head = v.slice(0, 5).map((x) => JSON.stringify(x));
      shown = `[${v.length} items] ${head.join(", ")}${v.length > 5 ? ", ..." : ""}`;
    } else if (typeof v === "string" && v.length > 80) {
      shown = `${JSON.stringify(v.slice(0, 77))}... (${v.length} chars)`;
    } else shown = JSON.stringify(v);
    lines.push(`  ${key} = ${shown}`);
  }
  const census = new Map<string, number>();
  let parameters = 0;
  for (const t of s.tensors) {
    census.set(t.type, (census.get(t.type) ?? 0) + 1);
    parameters += t.dims.reduce((a, b) => a * b, 1);
  }
  lines.push(`tensors: ${s.tensors.length} (${[...census].map(([t, n]) => `${n} ${t}`).join(", ")})`);
  lines.push(`parameters: ${parameters}`);
  for (const t of s.tensors) lines.push(`  ${t.name.padEnd(28)} ${t.type.padEnd(5)} [${t.dims.join(", ")}]`);
  return `${lines.join("\n")}\n`;
}
