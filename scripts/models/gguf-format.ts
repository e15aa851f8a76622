/**
 * The GGUF v3 container as ggml's `docs/gguf.md` specifies it, and the ggml block layouts of
 * `ggml-common.h` that the generator writes. Written by hand because no npm package writes GGUF
 * (node-llama-cpp only reads it), and the generator must stay dependency-free so `node` runs it
 * on a bare checkout.
 */

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_VERSION = 3;
export const GGUF_ALIGNMENT = 32;

/** Metadata value types (gguf.md, `gguf_metadata_value_type`). */
export const ValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
export type ValueType = (typeof ValueType)[keyof typeof ValueType];

/** Tensor types used here, with their ggml ids, block sizes (elements) and block bytes. */
export const TensorType = {
  F32: { id: 0, name: "F32", blockElements: 1, blockBytes: 4 },
  F16: { id: 1, name: "F16", blockElements: 1, blockBytes: 2 },
  Q4_0: { id: 2, name: "Q4_0", blockElements: 32, blockBytes: 18 },
  Q8_0: { id: 8, name: "Q8_0", blockElements: 32, blockBytes: 34 },
  Q4_K: { id: 12, name: "Q4_K", blockElements: 256, blockBytes: 144 },
  Q6_K: { id: 14, name: "Q6_K", blockElements: 256, blockBytes: 210 },
} as const;
export type TensorType = (typeof TensorType)[keyof typeof TensorType];

export const tensorTypeById = new Map<number, TensorType>(Object.values(TensorType).map((t) => [t.id, t]));

/** `general.file_type` values (llama.h `llama_ftype`). */
export const FileType = { f32: 0, f16: 1, q4_0: 2, q8_0: 7, q4_k_m: 15 } as const;
export type FileTypeName = keyof typeof FileType;

/** A metadata value tagged with its GGUF type, so integers keep their declared width. */
export type MetaValue =
  | { type: "string"; value: string }
  | { type: "u32"; value: number }
  | { type: "i32"; value: number }
  | { type: "f32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string[]"; value: readonly string[] }
  | { type: "f32[]"; value: Float32Array }
  | { type: "i32[]"; value: Int32Array };

export interface TensorInfo {
  name: string;
  /** ggml order: `dims[0]` is the row length (the input dimension of a weight). */
  dims: number[];
  type: TensorType;
}

export function tensorBytes(info: TensorInfo): number {
  const elements = info.dims.reduce((a, b) => a * b, 1);
  return (elements / info.type.blockElements) * info.type.blockBytes;
}

export const alignUp = (n: number, to = GGUF_ALIGNMENT) => Math.ceil(n / to) * to;

/** Serialises the header, metadata and tensor infos, padded so tensor data starts aligned. */
export function encodeHeader(
  meta: ReadonlyArray<[string, MetaValue]>,
  tensors: readonly TensorInfo[],
): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    parts.push(b);
  };
  const u64 = (n: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    parts.push(b);
  };
  const str = (s: string) => {
    const bytes = Buffer.from(s, "utf8");
    u64(bytes.length);
    parts.push(bytes);
  };
  const typed = (array: Float32Array | Int32Array) =>
    parts.push(Buffer.from(array.buffer, array.byteOffset, array.byteLength));

  u32(GGUF_MAGIC);
  u32(GGUF_VERSION);
  u64(tensors.length);
  u64(meta.length);
  for (const [key, v] of meta) {
    str(key);
    switch (v.type) {
      case "string":
        u32(ValueType.STRING);
        str(v.value);
        break;
      case "u32":
        u32(ValueType.UINT32);
        u32(v.value);
        break;
      case "i32": {
        u32(ValueType.INT32);
        const b = Buffer.alloc(4);
        b.writeInt32LE(v.value);
        parts.push(b);
        break;
      }
      case "f32": {
        u32(ValueType.FLOAT32);
        const b = Buffer.alloc(4);
        b.writeFloatLE(v.value);
        parts.push(b);
        break;
      }
      case "bool":
        u32(ValueType.BOOL);
        parts.push(Buffer.from([v.value ? 1 : 0]));
        break;
      case "string[]":
        u32(ValueType.ARRAY);
        u32(ValueType.STRING);
        u64(v.value.length);
        for (const s of v.value) str(s);
        break;
      case "f32[]":
        u32(ValueType.ARRAY);
        u32(ValueType.FLOAT32);
        u64(v.value.length);
        typed(v.value);
        break;
      case "i32[]":
        u32(ValueType.ARRAY);
        u32(ValueType.INT32);
        u64(v.value.length);
        typed(v.value);
        break;
    }
  }
  let offset = 0;
  for (const t of tensors) {
    str(t.name);
    u32(t.dims.length);
    for (const d of t.dims) u64(d);
    u32(t.type.id);
    u64(offset);
    offset = alignUp(offset + tensorBytes(t));
  }
  const header = Buffer.concat(parts);
  return Buffer.concat([header, Buffer.alloc(alignUp(header.length) - header.length)]);
}

/** IEEE 754 binary16 from a number, round-to-nearest-even (what numpy and ggml do). */
export function toHalf(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0] ?? 0;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  if ((half & 0x7c00) === 0x7c00) e = 0x1f;
  return sign | half;
}

export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
