/**
 * Reads what GPU code a CUDA shared library carries: the `.nv_fatbin` ELF section's fatbins,
 * each a list of SASS (ELF cubins, one per `sm_XY`) and PTX (one per `compute_XY`) entries. Only
 * headers and one small entry per architecture are read, through section headers, so a 350 MB
 * `.so` takes milliseconds. Layout (little-endian), as NVIDIA's tools write it:
 *
 *   fatbin: u32 magic 0xBA55ED50, u16 version, u16 header size, u64 payload size, entries...
 *   entry:  u16 kind (1 PTX, 2 ELF) @0, u32 header size @4, u64 payload size @8,
 *           u32 compressed size @16, u16 minor @24, u16 major @26, u32 arch @28,
 *           u64 flags @40 (0x2000 LZ4 block, 0x8000 zstd), u64 decompressed size @56
 *
 * For PTX, major.minor is the PTX ISA version (`.version` in the text; checked against it).
 */
import zlib from "node:zlib";

/** Reads `length` bytes at `offset` (a file, or a buffer in tests). */
export type Reader = (offset: number, length: number) => Buffer;

export interface Section {
  name: string;
  type: number;
  offset: number;
  size: number;
  link: number;
}

export type Compression = "none" | "lz4" | "zstd";

export interface FatbinEntry {
  /** Which fatbin of the section (0-based): one per compiled source file. */
  fatbin: number;
  kind: "ptx" | "sass";
  /** 75 for sm_75 / compute_75. */
  arch: number;
  /** PTX: the PTX ISA version ("9.1"); SASS: the cubin's ELF ABI version. */
  version: string;
  compression: Compression;
  /** Where the (possibly compressed) payload starts in the file. */
  offset: number;
  /** Bytes to read there. */
  size: number;
  decompressedSize: number;
}

const FATBIN_MAGIC = 0xba55ed50;
const SHT_DYNAMIC = 6;
const DT_NEEDED = 1n;

export class NotCudaLibraryError extends Error {
  override readonly name = "NotCudaLibraryError";
}

export function bufferReader(buf: Buffer): Reader {
  return (offset, length) => buf.subarray(offset, offset + length);
}

/** The section table of a 64-bit little-endian ELF file. */
export function elfSections(read: Reader): Section[] {
  const header = read(0, 64);
  if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1)
    throw new NotCudaLibraryError("not a 64-bit little-endian ELF file");
  const shoff = Number(header.readBigUInt64LE(0x28));
  const entSize = header.readUInt16LE(0x3a);
  const count = header.readUInt16LE(0x3c);
  const namesIndex = header.readUInt16LE(0x3e);
  const table = read(shoff, entSize * count);
  const raw = Array.from({ length: count }, (_, i) => {
    const at = i * entSize;
    return {
      nameOffset: table.readUInt32LE(at),
      type: table.readUInt32LE(at + 4),
      offset: Number(table.readBigUInt64LE(at + 24)),
      size: Number(table.readBigUInt64LE(at + 32)),
      link: table.readUInt32LE(at + 40),
    };
  });
  const namesSection = raw[namesIndex];
  if (!namesSection) throw new NotCudaLibraryError("the ELF file has no section name table");
  const names = read(namesSection.offset, namesSection.size);
  return raw.map(({ nameOffset, ...s }) => ({ name: cString(names, nameOffset), ...s }));
}

/** The shared libraries the file links against (DT_NEEDED), e.g. `libcudart.so.13`. */
export function neededLibraries(read: Reader, sections: Section[]): string[] {
  const dynamic = sections.find((s) => s.type === SHT_DYNAMIC);
  const strings = dynamic && sections[dynamic.link];
  if (!dynamic || !strings) return [];
  const table = read(dynamic.offset, dynamic.size);
  const names = read(strings.offset, strings.size);
  const out: string[] = [];
  for (let at = 0; at + 16 <= table.length; at += 16) {
    const tag = table.readBigInt64LE(at);
    if (tag === 0n) break;
    if (tag === DT_NEEDED) out.push(cString(names, Number(table.readBigUInt64LE(at + 8))));
  }
  return out;
}

/** Every entry of every fatbin in the `.nv_fatbin` section. */
export function fatbinEntries(read: Reader, sections: Section[]): FatbinEntry[] {
  const section = sections.find((s) => s.name === ".nv_fatbin");
  if (!section) throw new NotCudaLibraryError("no .nv_fatbin section: this library carries no CUDA code");
  const entries: FatbinEntry[] = [];
  const end = section.offset + section.size;
  let at = section.offset;
  let fatbin = 0;
  while (at + 16 <= end) {
    const header = read(at, 16);
    const magic = header.readUInt32LE(0);
    // Fatbins are 8-byte aligned; the linker may pad between them with zeros.
    if (magic === 0) {
      at += 8;
      continue;
    }
    if (magic !== FATBIN_MAGIC)
      throw new NotCudaLibraryError(`bad fatbin magic 0x${magic.toString(16)} at offset ${at}`);
    const headerSize = header.readUInt16LE(6);
    const payloadEnd = at + headerSize + Number(header.readBigUInt64LE(8));
    for (let e = at + headerSize; e + 64 <= payloadEnd; ) {
      const entry = read(e, 64);
      const entryHeaderSize = entry.readUInt32LE(4);
      const payloadSize = Number(entry.readBigUInt64LE(8));
      const compressedSize = entry.readUInt32LE(16);
      const flags = entry.readBigUInt64LE(40);
      const compression: Compression = flags & 0x8000n ? "zstd" : flags & 0x2000n ? "lz4" : "none";
      entries.push({
        fatbin,
        kind: entry.readUInt16LE(0) === 1 ? "ptx" : "sass",
        arch: entry.readUInt32LE(28),
        version: `${entry.readUInt16LE(26)}.${entry.readUInt16LE(24)}`,
        compression,
        offset: e + entryHeaderSize,
        // The payload is padded; the compressed size is the real one.
        size: compression === "none" || compressedSize === 0 ? payloadSize : compressedSize,
        decompressedSize: Number(entry.readBigUInt64LE(56)),
      });
      e += entryHeaderSize + payloadSize;
    }
    at = payloadEnd;
    fatbin++;
  }
  return entries;
}

/** An entry's bytes, decompressed (PTX text or an ELF cubin). */
export function entryBytes(read: Reader, entry: FatbinEntry): Buffer {
  const data = read(entry.offset, entry.size);
  if (entry.compression === "zstd") return zlib.zstdDecompressSync(data);
  if (entry.compression === "lz4") return lz4BlockDecompress(data, entry.decompressedSize);
  return data;
}

/** `.version` and `.target` from PTX text. */
export function ptxHeader(text: string): { isa: string; target: string } | undefined {
  const isa = /^\s*\.version\s+(\d+\.\d+)/m.exec(text)?.[1];
  const target = /^\s*\.target\s+(\w+)/m.exec(text)?.[1];
  return isa && target ? { isa, target } : undefined;
}

/** The toolkit that compiled a cubin, from its `.note.nv.tkinfo` ("release 13.1, V13.1.115"). */
export function cubinToolkit(cubin: Buffer): string | undefined {
  const m = /Cuda compilation tools, release (\d+\.\d+), V([\d.]+)/.exec(cubin.toString("latin1"));
  return m?.[2];
}

/**
 * LZ4 block format (no frame): sequences of literals then a back-reference. Stops once `limit`
 * bytes are out, so a caller that wants only a header pays for the header.
 */
export function lz4BlockDecompress(src: Buffer, size: number, limit = size): Buffer {
  const out = Buffer.alloc(Math.min(size, limit));
  let i = 0;
  let o = 0;
  while (i < src.length && o < out.length) {
    const token = src[i++] ?? 0;
    let literals = token >> 4;
    if (literals === 15) {
      let b: number;
      do {
        b = src[i++] ?? 0;
        literals += b;
      } while (b === 255);
    }
    const n = Math.min(literals, out.length - o);
    src.copy(out, o, i, i + n);
    o += n;
    i += literals;
    if (i >= src.length || o >= out.length) break;
    const distance = (src[i] ?? 0) | ((src[i + 1] ?? 0) << 8);
    i += 2;
    if (distance === 0 || distance > o)
      throw new Error(`corrupt LZ4 block: match distance ${distance} at ${o}`);
    let length = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        b = src[i++] ?? 0;
        length += b;
      } while (b === 255);
    }
    // Byte by byte: a match may overlap the bytes it copies (run-length style).
    for (const stop = Math.min(o + length, out.length); o < stop; o++) out[o] = out[o - distance] ?? 0;
  }
  return out.subarray(0, o);
}

function cString(buf: Buffer, at: number): string {
  const end = buf.indexOf(0, at);
  return buf.toString("latin1", at, end < 0 ? buf.length : end);
}
