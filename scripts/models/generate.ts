/**
 * Deterministic random-weight llama-architecture GGUF models. The tensors are named and shaped
 * as llama.cpp's `LLM_ARCH_LLAMA` loader requires, so a generated file costs exactly what a real
 * model of the same shape and quantization costs to load and run; only the weights are noise.
 * The same preset, type and seed always give the same bytes.
 */
import fs from "node:fs";
import path from "node:path";
import {
  alignUp,
  encodeHeader,
  FileType,
  type FileTypeName,
  type MetaValue,
  type TensorInfo,
  TensorType,
  tensorBytes,
  toHalf,
} from "./gguf-format.ts";
import { buildVocab, TINYLLAMA_CHAT_TEMPLATE } from "./vocab.ts";

export interface ModelShape {
  name: string;
  nVocab: number;
  nCtx: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  nFf: number;
}

export const PRESETS = {
  /** For tests and the demo: about 0.6 MB as f32, loads in milliseconds. */
  tiny: { name: "tiny-random", nVocab: 512, nCtx: 256, nEmbd: 64, nLayer: 2, nHead: 4, nHeadKv: 2, nFf: 128 },
  /** TinyLlama-1.1B's exact shape (1,100,048,384 parameters). */
  tinyllama: {
    name: "tinyllama-1.1b-shape-random",
    nVocab: 32000,
    nCtx: 2048,
    nEmbd: 2048,
    nLayer: 22,
    nHead: 32,
    nHeadKv: 4,
    nFf: 5632,
  },
} as const satisfies Record<string, ModelShape>;
export type PresetName = keyof typeof PRESETS;

/** Default quantization per preset: what tests and `make dev` use. */
export const DEFAULT_TYPE: Record<PresetName, FileTypeName> = { tiny: "f32", tinyllama: "q4_k_m" };

export interface GenerateOptions {
  shape: ModelShape;
  type: FileTypeName;
  seed: number;
}

/** llama.cpp `use_more_bits`: the layers Q4_K_M keeps at Q6_K for attn_v and ffn_down. */
const useMoreBits = (layer: number, n: number) =>
  layer < Math.floor(n / 8) || layer >= Math.floor((7 * n) / 8) || (layer - Math.floor(n / 8)) % 3 === 2;

/** The tensor type llama.cpp's quantizer picks for this tensor (`llama_tensor_get_type`, llama-quant.cpp). */
function typeFor(
  name: string,
  dims: number[],
  fileType: FileTypeName,
  layer: number,
  nLayer: number,
): TensorType {
  if (dims.length === 1) return TensorType.F32;
  let t: TensorType;
  switch (fileType) {
    case "f32":
      return TensorType.F32;
    case "f16":
      return TensorType.F16;
    case "q8_0":
      t = TensorType.Q8_0;
      break;
    case "q4_0":
      t = name === "output.weight" ? TensorType.Q6_K : TensorType.Q4_0;
      break;
    case "q4_k_m":
      if (name === "output.weight") t = TensorType.Q6_K;
      else if (
        (name.endsWith("attn_v.weight") || name.endsWith("ffn_down.weight")) &&
        useMoreBits(layer, nLayer)
      )
        t = TensorType.Q6_K;
      else t = TensorType.Q4_K;
      break;
  }
  // Rows that don't fill whole blocks fall back, as llama.cpp's quantizer does (to Q8_0, else F16).
  const row = dims[0] ?? 0;
  if (row % t.blockElements === 0) return t;
  return row % TensorType.Q8_0.blockElements === 0 ? TensorType.Q8_0 : TensorType.F16;
}

export function tensorLayout(shape: ModelShape, fileType: FileTypeName): TensorInfo[] {
  const { nEmbd, nVocab, nFf, nLayer } = shape;
  const nEmbdKv = (nEmbd / shape.nHead) * shape.nHeadKv;
  const list: Array<[string, number[], number]> = [
    ["token_embd.weight", [nEmbd, nVocab], -1],
    ["output_norm.weight", [nEmbd], -1],
    ["output.weight", [nEmbd, nVocab], -1],
  ];
  for (let i = 0; i < nLayer; i++) {
    const b = `blk.${i}.`;
    list.push(
      [`${b}attn_norm.weight`, [nEmbd], i],
      [`${b}attn_q.weight`, [nEmbd, nEmbd], i],
      [`${b}attn_k.weight`, [nEmbd, nEmbdKv], i],
      [`${b}attn_v.weight`, [nEmbd, nEmbdKv], i],
      [`${b}attn_output.weight`, [nEmbd, nEmbd], i],
      [`${b}ffn_norm.weight`, [nEmbd], i],
      [`${b}ffn_gate.weight`, [nEmbd, nFf], i],
      [`${b}ffn_up.weight`, [nEmbd, nFf], i],
      [`${b}ffn_down.weight`, [nFf, nEmbd], i],
    );
  }
  return list.map(([name, dims, layer]) => ({
    name,
    dims,
    type: typeFor(name, dims, fileType, layer, nLayer),
  }));
}

export function metadata(shape: ModelShape, fileType: FileTypeName): Array<[string, MetaValue]> {
  const vocab = buildVocab(shape.nVocab);
  const u32 = (value: number): MetaValue => ({ type: "u32", value });
  const meta: Array<[string, MetaValue]> = [
    ["general.architecture", { type: "string", value: "llama" }],
    ["general.name", { type: "string", value: shape.name }],
    ["general.file_type", u32(FileType[fileType])],
    ["general.alignment", u32(32)],
    ["llama.vocab_size", u32(shape.nVocab)],
    ["llama.context_length", u32(shape.nCtx)],
    ["llama.embedding_length", u32(shape.nEmbd)],
    ["llama.block_count", u32(shape.nLayer)],
    ["llama.feed_forward_length", u32(shape.nFf)],
    ["llama.rope.dimension_count", u32(shape.nEmbd / shape.nHead)],
    ["llama.attention.head_count", u32(shape.nHead)],
    ["llama.attention.head_count_kv", u32(shape.nHeadKv)],
    ["llama.attention.layer_norm_rms_epsilon", { type: "f32", value: 1e-5 }],
    ["llama.rope.freq_base", { type: "f32", value: 10000 }],
    ["tokenizer.ggml.model", { type: "string", value: "llama" }],
    ["tokenizer.ggml.tokens", { type: "string[]", value: vocab.tokens }],
    ["tokenizer.ggml.scores", { type: "f32[]", value: vocab.scores }],
    ["tokenizer.ggml.token_type", { type: "i32[]", value: vocab.types }],
    ["tokenizer.ggml.bos_token_id", u32(1)],
    ["tokenizer.ggml.eos_token_id", u32(2)],
    ["tokenizer.ggml.unknown_token_id", u32(0)],
    ["tokenizer.ggml.padding_token_id", u32(2)],
    ["tokenizer.ggml.add_bos_token", { type: "bool", value: true }],
    ["tokenizer.ggml.add_eos_token", { type: "bool", value: false }],
    ["tokenizer.chat_template", { type: "string", value: TINYLLAMA_CHAT_TEMPLATE }],
  ];
  if (fileType !== "f32" && fileType !== "f16") meta.splice(4, 0, ["general.quantization_version", u32(2)]);
  return meta;
}

/** xorshift32: tiny, fast, and the same on every platform. */
class Random {
  state: number;
  constructor(seed: number) {
    this.state = (seed ^ 0x9e3779b9) >>> 0 || 1;
  }
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }
  /** Fills `out` with random words; bytes are then uniform. */
  fill(out: Uint32Array): void {
    let x = this.state;
    for (let i = 0; i < out.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x;
    }
    this.state = x >>> 0;
  }
  /** Uniform in [-1, 1). */
  signed(): number {
    return this.next() / 2 ** 31 - 1;
  }
}

/** Target standard deviation of every weight matrix (dequantized), as in common inits. */
const STD = 0.02;
/** Uniform [-a, a] has std a/sqrt(3). */
const UNIFORM_HALF_WIDTH = STD * Math.sqrt(3);

// Q4_K sub-block scales fixed at 8 and mins at 60: q in 0..15 gives d*(8q - 60), zero-mean
// (8*7.5 = 60) with std d*8*4.61. Packed as ggml's get_scale_min_k4 reads them.
const Q4K_SCALES = [8, 8, 8, 8, 0xfc, 0xfc, 0xfc, 0xfc, 0xc8, 0xc8, 0xc8, 0xc8];
const Q4K_D = STD / (8 * 4.61);
const Q6K_SCALE = 8; // int8 scales; q - 32 has std 18.47
const Q6K_D = STD / (Q6K_SCALE * 18.47);
const Q8_D = STD / 73.9; // int8 uniform std
const Q4_0_D = STD / 4.61; // q - 8 for q in 0..15

/** Writes one tensor's data: norm weights 1.0, everything else noise of std ~0.02. */
function tensorData(info: TensorInfo, rng: Random): Buffer {
  const bytes = tensorBytes(info);
  const buf = Buffer.alloc(alignUp(bytes, 4));
  const t = info.type;
  if (info.dims.length === 1) {
    new Float32Array(buf.buffer, buf.byteOffset, bytes / 4).fill(1);
    return buf.subarray(0, bytes);
  }
  if (t === TensorType.F32) {
    const f = new Float32Array(buf.buffer, buf.byteOffset, bytes / 4);
    for (let i = 0; i < f.length; i++) f[i] = rng.signed() * UNIFORM_HALF_WIDTH;
    return buf.subarray(0, bytes);
  }
  if (t === TensorType.F16) {
    for (let i = 0; i < bytes; i += 2) buf.writeUInt16LE(toHalf(rng.signed() * UNIFORM_HALF_WIDTH), i);
    return buf.subarray(0, bytes);
  }
  // Quantized: random quant bytes, then each block's scales. The per-block d varies by +-25%
  // so blocks differ, as real ones do.
  rng.fill(new Uint32Array(buf.buffer, buf.byteOffset, buf.length / 4));
  const blocks = bytes / t.blockBytes;
  const jitter = (d: number, raw: number) => toHalf(d * (0.75 + (raw & 0xff) / 512));
  for (let b = 0; b < blocks; b++) {
    const o = b * t.blockBytes;
    if (t === TensorType.Q8_0) buf.writeUInt16LE(jitter(Q8_D, buf[o] ?? 0), o);
    else if (t === TensorType.Q4_0) buf.writeUInt16LE(jitter(Q4_0_D, buf[o] ?? 0), o);
    else if (t === TensorType.Q4_K) {
      buf.writeUInt16LE(jitter(Q4K_D, buf[o] ?? 0), o); // d
      buf.writeUInt16LE(buf.readUInt16LE(o), o + 2); // dmin = d keeps each sub-block zero-mean
      for (let i = 0; i < 12; i++) buf[o + 4 + i] = Q4K_SCALES[i] ?? 0;
    } else if (t === TensorType.Q6_K) {
      // ql[128], qh[64], scales[16] (int8), d (f16)
      buf.fill(Q6K_SCALE, o + 192, o + 208);
      buf.writeUInt16LE(jitter(Q6K_D, buf[o] ?? 0), o + 208);
    }
  }
  return buf.subarray(0, bytes);
}

export interface GeneratedModel {
  file: string;
  bytes: number;
  parameters: number;
  tensors: number;
}

/** Writes the model to `file` (through a temporary file, so a crash never leaves half a model). */
export function generateModel(file: string, options: GenerateOptions): GeneratedModel {
  const { shape, type, seed } = options;
  const tensors = tensorLayout(shape, type);
  const header = encodeHeader(metadata(shape, type), tensors);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, "w");
  let written = 0;
  let parameters = 0;
  try {
    written += fs.writeSync(fd, header);
    const rng = new Random(seed);
    for (const info of tensors) {
      parameters += info.dims.reduce((a, b) => a * b, 1);
      const data = tensorData(info, rng);
      written += fs.writeSync(fd, data);
      const pad = alignUp(data.length) - data.length;
      if (pad) written += fs.writeSync(fd, Buffer.alloc(pad));
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  return { file, bytes: written, parameters, tensors: tensors.length };
}
