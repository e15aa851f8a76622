/**
 * Everything the CLI touches outside itself, in one object: environment, output streams, the
 * terminal, the browser opener and time. main.ts passes the real process; tests pass their own to
 * capture output, play the person at the terminal, or drive the browser.
 */
import { openBrowser } from "./browser.ts";

export interface Output {
  write(text: string): unknown;
  /** A terminal: progress lines are redrawn in place. */
  isTTY?: boolean;
}

export interface Io {
  env: NodeJS.ProcessEnv;
  /** Results: human text, or one JSON document with --json. */
  stdout: Output;
  /** Progress, prompts, the login URL and errors. */
  stderr: Output;
  /** A person is at the terminal: an expired login may be renewed in the browser. */
  interactive: boolean;
  openBrowser(url: string): Promise<void>;
  /** A password: prompted without echo on a terminal, else the first line of stdin. */
  readSecret(prompt: string): Promise<string>;
  now(): number;
  sleep(ms: number): Promise<void>;
}

export function processIo(): Io {
  return {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    openBrowser,
    readSecret: (prompt) => (process.stdin.isTTY ? promptHidden(prompt) : readFirstLine(process.stdin)),
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

/** Reads a line from the terminal in raw mode, echoing nothing. Ctrl-C and Ctrl-D cancel. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = "";
    const done = (err?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003" || ch === "\u0004") return done(new Error("cancelled"));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", onData);
  });
}

/** The first line of a piped stdin (`printf %s "$PW" | tinyllama login --username alice`). */
export async function readFirstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  for await (const chunk of stream) {
    text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    const newline = text.indexOf("\n");
    if (newline >= 0) return text.slice(0, newline).replace(/\r$/, "");
  }
  return text.replace(/\r$/, "");
}
