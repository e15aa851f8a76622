/**
 * What GPU code node-llama-cpp's prebuilt CUDA binaries carry, and what a given GPU needs to run
 * them: a deployer's check before choosing a driver or an AMI.
 *
 *   npm run cuda:binaries                      # every installed libggml-cuda.so
 *   npm run cuda:binaries -- --arch sm_75      # + what a T4 (g4dn) runs from each, and the driver it needs
 *   node scripts/cuda-binaries.ts --arch 8.0 path/to/libggml-cuda.so
 *
 * A GPU without SASS in a binary JIT-compiles its PTX, and the driver must know that PTX ISA
 * version: an older driver loads the binary fine and fails at the first kernel (docs/gpu-runtime.md,
 * "CUDA on a real GPU").
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { repoRoot } from "../services/lib/config.ts";
import { cudaForPtxIsa, describeCuda, parseArch, verdictFor } from "./lib/cuda-compat.ts";
import { type CudaLibrary, findCudaLibraries, inspectLibrary } from "./lib/cuda-library.ts";

const USAGE = "usage: cuda-binaries.ts [--arch sm_XY] [libggml-cuda.so ...]";

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function main(argv: string[]): void {
  let args: { values: { arch?: string | undefined; help?: boolean | undefined }; positionals: string[] };
  try {
    args = parseArgs({
      args: argv,
      options: { arch: { type: "string" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    fail((err as Error).message);
  }
  if (args.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const arch = args.values.arch === undefined ? undefined : parseArch(args.values.arch);
  if (args.values.arch !== undefined && arch === undefined)
    fail(`--arch ${args.values.arch} is not an architecture: use e.g. sm_75, 75 or 7.5`);
  const files = args.positionals.length
    ? args.positionals
    : findCudaLibraries(path.join(repoRoot, "node_modules"));
  if (files.length === 0)
    fail("no libggml-cuda.so under node_modules/@node-llama-cpp: run npm ci on linux-x64, or name files");
  for (const file of files) process.stdout.write(`${report(inspectLibrary(file), arch)}\n`);
}

function report(lib: CudaLibrary, arch: number | undefined): string {
  const rows: Array<[string, string]> = [
    [
      "role",
      lib.fallback
        ? "fallback: node-llama-cpp loads it only when the primary CUDA binary fails to load"
        : "primary: node-llama-cpp loads it whenever its libraries load",
    ],
    [
      "CUDA build",
      lib.toolkit
        ? `${lib.toolkit} (nvcc, from the cubins)`
        : lib.buildCuda
          ? `${lib.buildCuda} (from its PTX ISA; the cubins name no toolkit)`
          : "unknown",
    ],
    ["links", lib.needed.filter((n) => /^lib(cuda|cudart|cublas)/.test(n)).join(", ")],
    ["fatbins", String(lib.fatbins)],
    ["SASS", lib.code.sass.map((a) => `sm_${a}`).join(" ") || "none"],
    [
      "PTX",
      lib.code.ptx
        .map((p) => `compute_${p.arch} (ISA ${p.isa.join("/")} -> ${p.isa.map(ptxCuda).join("/")})`)
        .join(", ") || "none",
    ],
  ];
  const metadata = lib.metadata?.buildOptions as
    | { gpu?: string; llamaCpp?: { release?: string }; platformInfo?: { name?: string; version?: string } }
    | undefined;
  if (metadata)
    rows.push([
      "metadata",
      `gpu ${metadata.gpu}, llama.cpp ${metadata.llamaCpp?.release}, built on ${metadata.platformInfo?.name} ${metadata.platformInfo?.version}`,
    ]);
  const mismatch = lib.ptxText.filter(
    (t) => !lib.code.ptx.find((p) => p.arch === t.arch)?.isa.includes(t.isa),
  );
  if (mismatch.length)
    rows.push(["warning", `PTX text says .version ${mismatch.map((m) => m.isa).join(", ")}`]);
  if (arch !== undefined) rows.push([`sm_${arch}`, verdictText(lib, arch)]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return [path.relative(process.cwd(), lib.file), ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join(
    "\n",
  );
}

function ptxCuda(isa: string): string {
  const cuda = cudaForPtxIsa(isa);
  return cuda ? `CUDA ${cuda}` : "an unknown CUDA";
}

function verdictText(lib: CudaLibrary, arch: number): string {
  const v = verdictFor(lib.code, arch, lib.buildCuda);
  if (v.kind === "sass")
    return `SASS sm_${v.arch}, no JIT; any driver of ${describeCuda(v.minCuda)} or newer (minor-version compatibility)`;
  if (v.kind === "ptx")
    return (
      `no SASS: the driver JIT-compiles compute_${v.arch} PTX (ISA ${v.isa}) at first use; ` +
      (v.minCuda
        ? `needs a driver with ${describeCuda(v.minCuda)} or newer, else the first kernel fails with "unsupported toolchain"`
        : "needs a driver that knows this PTX ISA (not in this tool's table)")
    );
  return "no code for this GPU: neither SASS for its major nor PTX at or below it; this binary cannot run on it";
}

main(process.argv.slice(2));
