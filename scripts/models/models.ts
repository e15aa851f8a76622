/**
 * Where generated models live and how callers get one: `ensureModel("tiny")` returns the path of
 * `.data/models/tiny-f32-s42.gguf`, writing it first when it is missing or has the wrong size.
 * Tests, `make dev` and the GPU runtime all go through here; nothing binary is committed.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_TYPE, generateModel, metadata, PRESETS, type PresetName, tensorLayout } from "./generate.ts";
import { alignUp, encodeHeader, type FileTypeName, tensorBytes } from "./gguf-format.ts";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Git-ignored (`.data/`). */
export const modelsDir = path.join(repoRoot, ".data", "models");
export const DEFAULT_SEED = 42;

export const isPreset = (name: string): name is PresetName => Object.hasOwn(PRESETS, name);

export interface ModelRequest {
  type?: FileTypeName;
  seed?: number;
  dir?: string;
}

export function modelFileName(preset: PresetName, type: FileTypeName, seed: number): string {
  return `${preset}-${type}-s${seed}.gguf`;
}

/** The exact size the generator writes for this preset and type. */
export function expectedSize(preset: PresetName, type: FileTypeName): number {
  const shape = PRESETS[preset];
  const tensors = tensorLayout(shape, type);
  const header = encodeHeader(metadata(shape, type), tensors);
  return tensors.reduce((sum, t) => sum + alignUp(tensorBytes(t)), header.length);
}

export function ensureModel(preset: PresetName, request: ModelRequest = {}): string {
  const type = request.type ?? DEFAULT_TYPE[preset];
  const seed = request.seed ?? DEFAULT_SEED;
  const file = path.join(request.dir ?? modelsDir, modelFileName(preset, type, seed));
  const size = fs.statSync(file, { throwIfNoEntry: false })?.size;
  if (size !== expectedSize(preset, type)) generateModel(file, { shape: PRESETS[preset], type, seed });
  return file;
}
