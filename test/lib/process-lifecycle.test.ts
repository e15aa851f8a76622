/** stopWithLauncher: a part under make dev's launcher stops when the launcher goes away. */
import { fork } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";

const FIXTURE = new URL("./fixtures/late-launcher-watch.ts", import.meta.url);

describe("stopWithLauncher", () => {
  it("stops at once when the launcher went away before it was called", async () => {
    const child = fork(FIXTURE, [], { stdio: ["ignore", "pipe", "inherit", "ipc"] });
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.disconnect();
    const [code] = await once(child, "exit");
    expect(out).toBe("stop: launcher disconnected\n");
    expect(code).toBe(0);
  });
});
