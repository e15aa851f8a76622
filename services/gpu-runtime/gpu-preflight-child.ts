/**
 * The preflight's child process (gpu-preflight.ts): loads the model on one node-llama-cpp GPU
 * type with every layer offloaded and generates two tokens, so a GPU kernel really runs.
 * Exit 0: this binary runs on this GPU. Anything else (ggml aborts the process on a CUDA error)
 * means it does not; the parent reads why from the output.
 *
 *   node gpu-preflight-child.ts <model.gguf> <cuda|vulkan|metal|cpu>
 *
 * `debug: true` makes llama.cpp write its logs straight to stdout/stderr instead of queueing them
 * for JavaScript, so the CUDA error line is out before ggml aborts.
 * GPU_RUNTIME_FAULTS `{"preflightAbort": true}` makes it die the way ggml does (tests, drills).
 */
import { getLlama, type LlamaGpuType } from "node-llama-cpp";
import { parseFaults } from "./fault-injection.ts";

const [modelPath = "", type = ""] = process.argv.slice(2);
const gpu: LlamaGpuType = type === "cpu" ? false : (type as LlamaGpuType);

try {
  const llama = await getLlama({ gpu, build: "never", debug: true, progressLogs: false });
  const model = await llama.loadModel({ modelPath, gpuLayers: gpu === false ? 0 : "max" });
  const context = await model.createContext({
    contextSize: Math.min(64, model.trainContextSize),
    threads: 1,
  });
  if (parseFaults(process.env.GPU_RUNTIME_FAULTS)?.preflightAbort) {
    process.stderr.write(
      "ggml_cuda_compute_forward: MUL_MAT failed\n" +
        "CUDA error: the provided PTX was compiled with an unsupported toolchain.\n" +
        "  current device: 0, in function ggml_cuda_compute_forward at ggml-cuda.cu:2549\n" +
        "ggml-cuda.cu:88: CUDA error (injected by GPU_RUNTIME_FAULTS preflightAbort)\n",
    );
    process.abort();
  }
  let tokens = 0;
  for await (const _ of context.getSequence().evaluate(model.tokenize("Hello"), { temperature: 0 }))
    if (++tokens >= 2) break;
  // Exit without disposing: freeing GPU memory is the OS's job here and takes no time.
  process.exit(0);
} catch (err) {
  process.stderr.write(`preflight: ${(err as Error).message}\n`);
  process.exit(1);
}
