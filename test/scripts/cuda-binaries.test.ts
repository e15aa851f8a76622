/**
 * The fatbin reader on node-llama-cpp 3.21.1's installed CUDA binaries (npm installs them on
 * every linux-x64 machine; elsewhere those tests skip), the architecture rules, and the
 * `cuda-binaries.ts` command.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parseArch, summarize, verdictFor } from "../../scripts/lib/cuda-compat.ts";
import { findCudaLibraries, inspectLibrary } from "../../scripts/lib/cuda-library.ts";
import { lz4BlockDecompress } from "../../scripts/lib/fatbin.ts";
import { repoRoot } from "../../services/lib/config.ts";

const run = promisify(execFile);
const bins = path.join(repoRoot, "node_modules", "@node-llama-cpp");
const primary = path.join(bins, "linux-x64-cuda", "bins", "linux-x64-cuda", "libggml-cuda.so");
const fallback = path.join(
  bins,
  "linux-x64-cuda-ext",
  "bins",
  "linux-x64-cuda",
  "fallback",
  "libggml-cuda.so",
);
const installed = fs.existsSync(primary) && fs.existsSync(fallback);

describe.skipIf(!installed)("node-llama-cpp's CUDA binaries", () => {
  it("finds both, the primary first", () => {
    expect(findCudaLibraries(path.join(repoRoot, "node_modules"))).toEqual([primary, fallback]);
  });

  it("reads the CUDA 13.1 build: SASS sm_86/89/120/121, PTX ISA 9.1 for compute_75/80/90", () => {
    const started = performance.now();
    const lib = inspectLibrary(primary);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(lib).toMatchObject({
      fallback: false,
      buildCuda: "13.1",
      fatbins: 143,
      code: {
        sass: [86, 89, 120, 121],
        ptx: [
          { arch: 75, isa: ["9.1"] },
          { arch: 80, isa: ["9.1"] },
          { arch: 90, isa: ["9.1"] },
        ],
      },
      ptxText: [
        { arch: 75, isa: "9.1", target: "sm_75" },
        { arch: 80, isa: "9.1", target: "sm_80" },
        { arch: 90, isa: "9.1", target: "sm_90" },
      ],
    });
    expect(lib.toolkit).toMatch(/^13\.1\./);
    expect(lib.needed).toEqual(
      expect.arrayContaining(["libcudart.so.13", "libcublas.so.13", "libcuda.so.1"]),
    );
    expect(lib.metadata).toMatchObject({ buildOptions: { gpu: "cuda" } });
  });

  it("reads the CUDA 12.4 fallback: SASS sm_86, LZ4 PTX ISA 8.4 for compute_50/61/70/75/80", () => {
    const lib = inspectLibrary(fallback);
    expect(lib).toMatchObject({
      fallback: true,
      toolkit: undefined,
      buildCuda: "12.4",
      fatbins: 143,
      code: { sass: [86], ptx: [50, 61, 70, 75, 80].map((arch) => ({ arch, isa: ["8.4"] })) },
    });
    expect(lib.ptxText.map((t) => `${t.isa} ${t.target}`)).toEqual([
      "8.4 sm_50",
      "8.4 sm_61",
      "8.4 sm_70",
      "8.4 sm_75",
      "8.4 sm_80",
    ]);
    expect(lib.needed).toEqual(expect.arrayContaining(["libcudart.so.12", "libcublas.so.12"]));
  });

  it("says what a T4 needs from each, as a command", async () => {
    const { stdout } = await run(process.execPath, [
      path.join(repoRoot, "scripts", "cuda-binaries.ts"),
      "--arch",
      "sm_75",
    ]);
    const verdicts = stdout.split("\n").filter((l) => l.trimStart().startsWith("sm_75"));
    expect(verdicts).toHaveLength(2);
    expect(verdicts[0]).toMatch(/compute_75 PTX \(ISA 9\.1\).*CUDA 13\.1 \(driver R590\+\)/);
    expect(verdicts[1]).toMatch(/compute_75 PTX \(ISA 8\.4\).*CUDA 12\.4 \(driver R550\+\)/);
  });
});

describe("architecture rules", () => {
  const cuda13 = summarize([
    ...[86, 89, 120, 121].map((arch) => entry("sass", arch, "1.8")),
    ...[75, 80, 90].map((arch) => entry("ptx", arch, "9.1")),
  ]);

  it("uses SASS of the same major at or below the GPU, else the newest PTX at or below it", () => {
    expect(verdictFor(cuda13, 86, "13.1")).toEqual({ kind: "sass", arch: 86, minCuda: "13.0" });
    expect(verdictFor(cuda13, 87, "13.1")).toEqual({ kind: "sass", arch: 86, minCuda: "13.0" });
    expect(verdictFor(cuda13, 75, "13.1")).toEqual({ kind: "ptx", arch: 75, isa: "9.1", minCuda: "13.1" });
    expect(verdictFor(cuda13, 80, "13.1")).toMatchObject({ kind: "ptx", arch: 80 });
    expect(verdictFor(cuda13, 90, "13.1")).toMatchObject({ kind: "ptx", arch: 90, minCuda: "13.1" });
    expect(verdictFor(cuda13, 100, "13.1")).toMatchObject({ kind: "ptx", arch: 90 });
    expect(verdictFor(cuda13, 70, "13.1")).toEqual({ kind: "none" });
  });

  it("reads sm_75, 75 and 7.5 alike", () => {
    expect([parseArch("sm_75"), parseArch("75"), parseArch("7.5"), parseArch("sm_120")]).toEqual([
      75, 75, 75, 120,
    ]);
    expect(parseArch("turing")).toBeUndefined();
  });
});

describe("LZ4 block decompression", () => {
  // "abcabcabcabc!": 3 literals, a 9-byte match at distance 3 (overlapping), then 1 literal.
  const block = Buffer.from([0x35, 0x61, 0x62, 0x63, 0x03, 0x00, 0x10, 0x21]);

  it("copies literals and overlapping matches", () => {
    expect(lz4BlockDecompress(block, 13).toString()).toBe("abcabcabcabc!");
  });

  it("stops at the limit", () => {
    expect(lz4BlockDecompress(block, 13, 5).toString()).toBe("abcab");
  });
});

function entry(kind: "ptx" | "sass", arch: number, version: string) {
  return {
    fatbin: 0,
    kind,
    arch,
    version,
    compression: "none" as const,
    offset: 0,
    size: 0,
    decompressedSize: 0,
  };
}
