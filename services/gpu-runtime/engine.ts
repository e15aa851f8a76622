/**
 * The inference engine process: node-llama-cpp (`LlamaBackend`) alone in a process, forked by
 * the runtime's `EngineBackend` (engine-backend.ts), messages in engine-protocol.ts.
 *
 * Why a process of its own: the token loop hands each token to JavaScript, so in the runtime's
 * process it waited on whatever else ran there (AWS SDK calls, the power gate's polling, their
 * garbage collections); here its heap holds only its own work. A native abort (a CUDA error, a
 * failed ggml assertion) ends this process, not the runtime, which fails the job and starts a
 * new engine. And unloading the model is ending the process, so its memory is all given back.
 */
import { createLogger } from "../lib/logger.ts";
import type { EngineReply, EngineRequest } from "./engine-protocol.ts";
import { toWire } from "./engine-protocol.ts";
import { promptText } from "./fault-injection.ts";
import { LlamaBackend } from "./llama-backend.ts";

if (!process.send) {
  console.error("engine.ts is started by the GPU runtime (engine-backend.ts), not by hand");
  process.exit(2);
}

const logger = createLogger("gpu-runtime").child({ part: "engine" });
const send = (reply: EngineReply) => process.send?.(reply);
let backend: LlamaBackend | undefined;
let crash: RegExp | undefined;
const running = new Map<number, AbortController>();

// The runtime went away (even by kill -9): the channel closes, and the engine must not outlive it.
process.on("disconnect", () => process.exit(0));
// The runtime stops the engine with an `exit` message; a terminal's Ctrl-C is for the runtime.
process.on("SIGINT", () => {});

process.on("message", (msg: EngineRequest) => {
  switch (msg.type) {
    case "load": {
      const { crashPrompt, ...options } = msg.options;
      crash = crashPrompt === undefined ? undefined : new RegExp(crashPrompt);
      backend = new LlamaBackend({ ...options, logger });
      backend.load().then(
        (info) => send({ type: "loaded", info }),
        (err: unknown) => send({ type: "load-failed", error: toWire(err) }),
      );
      return;
    }
    case "generate": {
      if (crash?.test(promptText(msg.request))) {
        logger.error({ id: msg.id }, `the prompt matches the crashPrompt fault /${crash.source}/: aborting`);
        process.abort();
      }
      const loaded = backend;
      if (!loaded) {
        send({ type: "failed", id: msg.id, error: toWire(new Error("the model is not loaded")) });
        return;
      }
      const abort = new AbortController();
      running.set(msg.id, abort);
      const onText = msg.stream ? (chunk: string) => send({ type: "text", id: msg.id, chunk }) : undefined;
      loaded
        .generate({ ...msg.request, signal: abort.signal }, onText)
        .then(
          (generation) => send({ type: "done", id: msg.id, generation }),
          (err: unknown) => send({ type: "failed", id: msg.id, error: toWire(err) }),
        )
        .finally(() => running.delete(msg.id));
      return;
    }
    case "abort":
      running.get(msg.id)?.abort(new Error("aborted by the runtime"));
      return;
    case "exit":
      for (const abort of running.values()) abort.abort(new Error("the engine is stopping"));
      void (backend?.unload() ?? Promise.resolve()).finally(() => process.exit(0));
      return;
  }
});
