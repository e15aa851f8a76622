/**
 * Writes a deterministic random-weight llama GGUF, or describes one.
 *
 *   node scripts/models/gen-gguf.ts --preset tiny                        # .data/models/tiny-f32-s42.gguf
 *   node scripts/models/gen-gguf.ts --preset tinyllama --type q4_k_m     # TinyLlama-1.1B shape, 668 MB
 *   node scripts/models/gen-gguf.ts --preset tiny --seed 7 -o /tmp/x.gguf
 *   node scripts/models/gen-gguf.ts --inspect .data/models/tiny-f32-s42.gguf
 *
 * --type f32|f16|q8_0|q4_0|q4_k_m (default: f32 for tiny, q4_k_m for tinyllama); --seed N (42).
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_TYPE, generateModel, PRESETS } from "./generate.ts";
import { FileType, type FileTypeName } from "./gguf-format.ts";
import { formatSummary, readGguf } from "./inspect.ts";
import { DEFAULT_SEED, isPreset, modelFileName, modelsDir } from "./models.ts";

const USAGE =
  "usage: gen-gguf.ts --preset tiny|tinyllama [--type f32|f16|q8_0|q4_0|q4_k_m] [--seed N] [-o FILE]\n" +
  "       gen-gguf.ts --inspect FILE";

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function main(argv: string[]): void {
  let args: ReturnType<typeof parse>;
  const parse = (a: string[]) =>
    parseArgs({
      args: a,
      options: {
        preset: { type: "string" },
        type: { type: "string" },
        seed: { type: "string" },
        output: { type: "string", short: "o" },
        inspect: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
  try {
    args = parse(argv);
  } catch (err) {
    fail((err as Error).message);
  }
  const v = args.values;
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (v.inspect) {
    process.stdout.write(formatSummary(v.inspect, readGguf(v.inspect)));
    return;
  }
  const preset = v.preset ?? fail("--preset or --inspect is required");
  if (!isPreset(preset)) fail(`--preset ${preset} is not known: use ${Object.keys(PRESETS).join(" or ")}`);
  const type = (v.type ?? DEFAULT_TYPE[preset]) as FileTypeName;
  if (!Object.hasOwn(FileType, type))
    fail(`--type ${type} is not known: use ${Object.keys(FileType).join(", ")}`);
  const seed = v.seed === undefined ? DEFAULT_SEED : Number(v.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    fail(`--seed ${v.seed} must be an integer 0..4294967295`);
  const file = v.output ?? path.join(modelsDir, modelFileName(preset, type, seed));
  const started = performance.now();
  const result = generateModel(file, { shape: PRESETS[preset], type, seed });
  const ms = Math.round(performance.now() - started);
  process.stdout.write(
    `wrote ${path.relative(process.cwd(), result.file) || result.file}: ${result.bytes} bytes, ` +
      `${result.parameters} parameters, ${result.tensors} tensors, ${type}, seed ${seed}, ${ms} ms\n`,
  );
}

main(process.argv.slice(2));
