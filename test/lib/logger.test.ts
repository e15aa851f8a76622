import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../services/lib/logger.ts";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n")) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, destination };
}

describe("createLogger", () => {
  it("writes one JSON object per line with name, level label and ISO time", () => {
    const { lines, destination } = capture();
    createLogger("gateway", { env: {}, destination }).info({ jobId: "j1" }, "queued");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ name: "gateway", level: "info", jobId: "j1", msg: "queued" });
    expect(String(lines[0]?.time)).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("takes the level from LOG_LEVEL", () => {
    const { lines, destination } = capture();
    const log = createLogger("x", { env: { LOG_LEVEL: "warn" }, destination });
    log.info("hidden");
    log.warn("shown");
    expect(lines.map((l) => l.msg)).toEqual(["shown"]);
  });

  it("rejects an unknown LOG_LEVEL and lists the valid ones", () => {
    expect(() => createLogger("x", { env: { LOG_LEVEL: "loud" } })).toThrow(
      /LOG_LEVEL=loud is not a log level: use one of .*debug.*silent/,
    );
  });
});
