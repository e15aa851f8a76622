/**
 * Which code a GPU runs from a CUDA binary, and which driver that needs. NVIDIA's rules:
 *
 * - SASS for sm_XY runs on sm_XZ with Z >= Y (same major): no compilation, and any driver of the
 *   binary's CUDA major works (minor-version compatibility).
 * - Otherwise the driver compiles (JIT) the newest PTX for compute_XY <= the GPU's. The driver
 *   must know that PTX ISA version: minor-version compatibility does not cover PTX, so PTX ISA 9.1
 *   needs a CUDA 13.1 driver even though a CUDA 13.0 driver runs 13.1's SASS.
 */
import type { FatbinEntry } from "./fatbin.ts";

/** PTX ISA version -> first CUDA release that reads it (PTX ISA release notes, "Release History"). */
const PTX_ISA_CUDA: Record<string, string> = {
  "7.0": "11.0",
  "7.1": "11.1",
  "7.2": "11.2",
  "7.3": "11.3",
  "7.4": "11.4",
  "7.5": "11.5",
  "7.6": "11.6",
  "7.7": "11.7",
  "7.8": "11.8",
  "8.0": "12.0",
  "8.1": "12.1",
  "8.2": "12.2",
  "8.3": "12.3",
  "8.4": "12.4",
  "8.5": "12.5",
  "8.6": "12.7",
  "8.7": "12.8",
  "8.8": "12.9",
  "9.0": "13.0",
  "9.1": "13.1",
};

/** CUDA release -> Linux driver branch that ships it (what `nvidia-smi` calls "CUDA Version"). */
const DRIVER_BRANCH: Record<string, string> = {
  "11.0": "R450",
  "12.0": "R525",
  "12.1": "R530",
  "12.2": "R535",
  "12.3": "R545",
  "12.4": "R550",
  "12.5": "R555",
  "12.6": "R560",
  "12.8": "R570",
  "12.9": "R575",
  "13.0": "R580",
  "13.1": "R590",
};

/** "13.1" -> "CUDA 13.1 (driver R590+)"; the branch is left out where the table lacks it. */
export function describeCuda(version: string): string {
  const branch = DRIVER_BRANCH[version];
  return branch ? `CUDA ${version} (driver ${branch}+)` : `CUDA ${version}`;
}

export function cudaForPtxIsa(isa: string): string | undefined {
  return PTX_ISA_CUDA[isa];
}

export interface CodeSummary {
  /** SASS architectures, ascending (86 for sm_86). */
  sass: number[];
  /** PTX architectures, ascending, each with the PTX ISA versions seen (normally one). */
  ptx: Array<{ arch: number; isa: string[] }>;
}

export function summarize(entries: FatbinEntry[]): CodeSummary {
  const sass = new Set<number>();
  const ptx = new Map<number, Set<string>>();
  for (const e of entries) {
    if (e.kind === "sass") sass.add(e.arch);
    else {
      const versions = ptx.get(e.arch) ?? new Set<string>();
      versions.add(e.version);
      ptx.set(e.arch, versions);
    }
  }
  return {
    sass: [...sass].sort((a, b) => a - b),
    ptx: [...ptx.keys()]
      .sort((a, b) => a - b)
      .map((arch) => ({ arch, isa: [...(ptx.get(arch) ?? [])].sort() })),
  };
}

export type Verdict =
  | { kind: "sass"; arch: number; minCuda: string }
  | { kind: "ptx"; arch: number; isa: string; minCuda: string | undefined }
  | { kind: "none" };

/**
 * What a GPU of compute capability `gpu` (75 for sm_75) runs from this binary. `buildCuda` is the
 * binary's CUDA version ("13.1"), for the SASS case's driver floor (its major's first release).
 */
export function verdictFor(summary: CodeSummary, gpu: number, buildCuda: string | undefined): Verdict {
  const major = (arch: number) => Math.floor(arch / 10);
  const sass = summary.sass.filter((a) => major(a) === major(gpu) && a <= gpu).at(-1);
  if (sass !== undefined)
    return { kind: "sass", arch: sass, minCuda: buildCuda ? `${buildCuda.split(".")[0]}.0` : "?" };
  const ptx = summary.ptx.filter((p) => p.arch <= gpu).at(-1);
  if (!ptx) return { kind: "none" };
  // Several ISA versions would be odd; the newest one decides.
  const isa = ptx.isa.at(-1) ?? "?";
  return { kind: "ptx", arch: ptx.arch, isa, minCuda: cudaForPtxIsa(isa) };
}

/** "sm_75" / "75" / "7.5" -> 75. */
export function parseArch(text: string): number | undefined {
  const m = /^(?:sm_|compute_)?(\d+)(?:\.(\d))?$/.exec(text.trim().toLowerCase());
  if (!m) return undefined;
  return m[2] === undefined ? Number(m[1]) : Number(m[1]) * 10 + Number(m[2]);
}
