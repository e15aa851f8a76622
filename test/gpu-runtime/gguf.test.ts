import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { getLlama, readGgufFileInfo } from "node-llama-cpp";
import { afterAll, describe, expect, it } from "vitest";
import { generateModel, PRESETS, tensorLayout } from "../../scripts/models/generate.ts";
import { alignUp, fromHalf, tensorBytes, toHalf } from "../../scripts/models/gguf-format.ts";
import { readGguf } from "../../scripts/models/inspect.ts";
import { ensureModel, expectedSize, repoRoot } from "../../scripts/models/models.ts";

const run = promisify(execFile);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gguf-test-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");
const cli = path.join(repoRoot, "scripts", "models", "gen-gguf.ts");

describe("the GGUF generator", () => {
  it("writes byte-identical files for the same seed and different ones for another seed", () => {
    const a = path.join(tmp, "a.gguf");
    const b = path.join(tmp, "b.gguf");
    const c = path.join(tmp, "c.gguf");
    for (const type of ["f32", "f16", "q8_0", "q4_0", "q4_k_m"] as const) {
      generateModel(a, { shape: PRESETS.tiny, type, seed: 42 });
      generateModel(b, { shape: PRESETS.tiny, type, seed: 42 });
      generateModel(c, { shape: PRESETS.tiny, type, seed: 43 });
      expect(sha256(a), type).toBe(sha256(b));
      expect(sha256(a), type).not.toBe(sha256(c));
      expect(fs.statSync(a).size, type).toBe(expectedSize("tiny", type));
    }
  });

  it("keeps the tiny preset well under 1 MB", () => {
    const file = ensureModel("tiny", { dir: tmp });
    expect(fs.statSync(file).size).toBeLessThan(1024 * 1024);
    expect(path.basename(file)).toBe("tiny-f32-s42.gguf");
  });

  it("lays out the tinyllama preset as llama.cpp's Q4_K_M quantizer does for TinyLlama-1.1B", () => {
    const tensors = tensorLayout(PRESETS.tinyllama, "q4_k_m");
    const census: Record<string, number> = {};
    for (const t of tensors) census[t.type.name] = (census[t.type.name] ?? 0) + 1;
    expect(tensors).toHaveLength(201);
    expect(census).toEqual({ Q4_K: 135, Q6_K: 21, F32: 45 });
    const params = tensors.reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0);
    expect(params).toBe(1_100_048_384);
    // llama.cpp reports "quant size = 636.18 MiB" for TinyLlama Q4_K_M.
    const dataBytes = tensors.reduce((n, t) => n + alignUp(tensorBytes(t)), 0);
    expect((dataBytes / 2 ** 20).toFixed(2)).toBe("636.18");
    const types = Object.fromEntries(tensors.map((t) => [t.name, t.type.name]));
    expect(types["output.weight"]).toBe("Q6_K");
    expect(types["token_embd.weight"]).toBe("Q4_K");
    expect(types["blk.0.attn_v.weight"]).toBe("Q6_K");
    expect(types["blk.2.attn_v.weight"]).toBe("Q4_K");
    expect(types["blk.4.ffn_down.weight"]).toBe("Q6_K");
    expect(types["blk.21.ffn_down.weight"]).toBe("Q6_K");
  });

  it("converts to and from f16 exactly where binary16 can", () => {
    for (const v of [0, 1, -2, 0.5, 65504, 2 ** -24, 6.103515625e-5]) expect(fromHalf(toHalf(v))).toBe(v);
    expect(toHalf(1e6)).toBe(0x7c00);
    expect(fromHalf(toHalf(0.1))).toBeCloseTo(0.1, 4);
  });
});

describe("gen-gguf.ts", () => {
  it("writes a model and describes it with --inspect", async () => {
    const file = path.join(tmp, "cli.gguf");
    const { stdout } = await run(process.execPath, [
      cli,
      "--preset",
      "tiny",
      "--type",
      "q8_0",
      "--seed",
      "7",
      "-o",
      file,
    ]);
    expect(stdout).toMatch(/^wrote .*cli\.gguf: \d+ bytes, 139584 parameters, 21 tensors, q8_0, seed 7/);
    const inspected = (await run(process.execPath, [cli, "--inspect", file])).stdout;
    expect(inspected).toContain("gguf version: 3");
    expect(inspected).toContain('general.architecture = "llama"');
    expect(inspected).toContain("general.file_type = 7");
    expect(inspected).toContain('tokenizer.ggml.model = "llama"');
    expect(inspected).toContain('tokenizer.ggml.tokens = [512 items] "<unk>", "<s>", "</s>", "<0x00>"');
    expect(inspected).toContain("tensors: 21 (16 Q8_0, 5 F32)");
    expect(inspected).toMatch(/token_embd\.weight\s+Q8_0\s+\[64, 512\]/);
    expect(inspected).toContain("parameters: 139584");
  });

  it("rejects unknown presets and types with the usage", async () => {
    await expect(run(process.execPath, [cli, "--preset", "huge"])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--preset huge is not known: use tiny or tinyllama"),
    });
    await expect(run(process.execPath, [cli, "--preset", "tiny", "--type", "q2_k"])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--type q2_k is not known"),
    });
  });
});

describe("the tiny model in llama.cpp", () => {
  it("is read by node-llama-cpp's GGUF reader as our reader reads it", async () => {
    const file = ensureModel("tiny", { dir: tmp });
    const theirs = await readGgufFileInfo(file);
    const ours = readGguf(file);
    expect(theirs.metadata.general.architecture).toBe("llama");
    expect(theirs.tensorInfo?.map((t) => t.name)).toEqual(ours.tensors.map((t) => t.name));
    expect(ours.metadata["llama.block_count"]).toBe(2);
  });

  it("loads in milliseconds, and its tokenizer round-trips any text", async () => {
    const llama = await getLlama({ gpu: false, build: "never" });
    const started = performance.now();
    const model = await llama.loadModel({ modelPath: ensureModel("tiny", { dir: tmp }) });
    expect(performance.now() - started).toBeLessThan(2000);
    for (const text of ["Hello world, the job queue!", "ünïcödé ✓ 漢字\nnew line\ttab", "<|user|>\nhi"]) {
      const tokens = model.tokenize(text);
      expect(model.detokenize(tokens)).toBe(text);
    }
    // Common words are single pieces, as with a trained vocabulary.
    expect(model.tokenize("the")).toHaveLength(1);
    await model.dispose();
    await llama.dispose();
  });
});
