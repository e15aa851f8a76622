/**
 * Describes one installed CUDA build of llama.cpp (`libggml-cuda.so`): what it links against,
 * which CUDA compiled it, and its SASS and PTX architectures. Also finds node-llama-cpp's CUDA
 * binaries under node_modules.
 */
import fs from "node:fs";
import path from "node:path";
import { type CodeSummary, cudaForPtxIsa, summarize } from "./cuda-compat.ts";
import {
  cubinToolkit,
  elfSections,
  entryBytes,
  type FatbinEntry,
  fatbinEntries,
  neededLibraries,
  ptxHeader,
  type Reader,
} from "./fatbin.ts";

export interface CudaLibrary {
  file: string;
  /** Only loaded when the primary CUDA binary fails to load (node-llama-cpp's `fallback/` folder). */
  fallback: boolean;
  /** DT_NEEDED entries, e.g. libcudart.so.13. */
  needed: string[];
  /** nvcc's version from a cubin's `.note.nv.tkinfo` ("13.1.115"), when the cubins carry one. */
  toolkit: string | undefined;
  /** The CUDA release that built it: the toolkit's, else the first that reads its PTX ISA. */
  buildCuda: string | undefined;
  fatbins: number;
  code: CodeSummary;
  /** `.version` read from the PTX text of one entry per architecture (checks the entry headers). */
  ptxText: Array<{ arch: number; isa: string; target: string }>;
  /** `_nlcBuildMetadata.json` next to the file, when there is one. */
  metadata: Record<string, unknown> | undefined;
}

export function inspectLibrary(file: string): CudaLibrary {
  const fd = fs.openSync(file, "r");
  try {
    const read: Reader = (offset, length) => {
      const buf = Buffer.alloc(length);
      const n = fs.readSync(fd, buf, 0, length, offset);
      return buf.subarray(0, n);
    };
    const sections = elfSections(read);
    const entries = fatbinEntries(read, sections);
    const code = summarize(entries);
    const firstOf = (kind: FatbinEntry["kind"]) => {
      const seen = new Map<number, FatbinEntry>();
      for (const e of entries) if (e.kind === kind && !seen.has(e.arch)) seen.set(e.arch, e);
      return [...seen.values()];
    };
    const ptxText = firstOf("ptx").flatMap((e) => {
      const header = ptxHeader(entryBytes(read, e).toString("latin1"));
      return header ? [{ arch: e.arch, ...header }] : [];
    });
    const sass = firstOf("sass")[0];
    const toolkit = sass ? cubinToolkit(entryBytes(read, sass)) : undefined;
    const isa = code.ptx.at(-1)?.isa.at(-1);
    return {
      file,
      fallback: path.basename(path.dirname(file)) === "fallback",
      needed: neededLibraries(read, sections),
      toolkit,
      buildCuda: toolkit ? toolkit.split(".").slice(0, 2).join(".") : isa ? cudaForPtxIsa(isa) : undefined,
      fatbins: (entries.at(-1)?.fatbin ?? -1) + 1,
      code,
      ptxText,
      metadata: readMetadata(path.join(path.dirname(file), "_nlcBuildMetadata.json")),
    };
  } finally {
    fs.closeSync(fd);
  }
}

/** node-llama-cpp's `libggml-cuda.so` files under `node_modules/@node-llama-cpp`, primary first. */
export function findCudaLibraries(nodeModules: string): string[] {
  const root = path.join(nodeModules, "@node-llama-cpp");
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((f) => path.basename(f) === "libggml-cuda.so")
    .map((f) => path.join(root, f))
    .sort(
      (a, b) =>
        Number(a.includes(`${path.sep}fallback${path.sep}`)) -
          Number(b.includes(`${path.sep}fallback${path.sep}`)) || a.localeCompare(b),
    );
}

function readMetadata(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
