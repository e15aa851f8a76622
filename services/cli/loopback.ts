/**
 * The loopback receiver of the desktop login (RFC 8252 §7.3): a node:http server on 127.0.0.1
 * (never `localhost`, which may resolve to ::1) that waits for exactly one good callback at the
 * redirect URI's path, answers the browser with a small page, and closes. It refuses a callback
 * whose `state` is not this login's (and keeps waiting: a stale tab or a forged link must not
 * end the login), and gives up after `timeoutMs` (30 s by default, API-005).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { CliError } from "./errors.ts";

export interface LoopbackOptions {
  /** The redirect URI; its host must be 127.0.0.1 and port 0 picks a free one. */
  redirectUri: string;
  state: string;
  /** @defaultValue 30000 */
  timeoutMs?: number;
}

export interface Loopback {
  /** The redirect URI with the real port. */
  redirectUri: string;
  port: number;
  /** Resolves with the code of the one accepted callback; rejects on timeout, an error callback or close(). */
  code: Promise<string>;
  close(): Promise<void>;
}

const PAGE_STYLE =
  "body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}";

function page(title: string, text: string): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${PAGE_STYLE}</style></head><body><h1>${esc(title)}</h1><p>${esc(text)}</p></body></html>`;
}

/** "30 s", or "300 ms" for the short limits of tests. */
export const seconds = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

export async function startLoopback(options: LoopbackOptions): Promise<Loopback> {
  const target = new URL(options.redirectUri);
  if (target.protocol !== "http:" || target.hostname !== "127.0.0.1")
    throw new CliError(`the redirect URI ${options.redirectUri} must be http://127.0.0.1:<port>/<path>`);
  const timeoutMs = options.timeoutMs ?? 30_000;
  let settle: { resolve(code: string): void; reject(err: Error): void } | undefined;
  const code = new Promise<string>((resolve, reject) => {
    settle = { resolve, reject };
  });
  code.catch(() => {}); // the caller awaits it; never an unhandled rejection in between
  let done = false;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const reply = (status: number, title: string, text: string) => {
      res.writeHead(status, {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        "referrer-policy": "no-referrer",
        connection: "close",
      });
      res.end(page(title, text));
    };
    if (req.method !== "GET" || url.pathname !== target.pathname) {
      reply(404, "Not found", "This is the TinyLlama login callback; nothing else is served here.");
      return;
    }
    if (done) {
      reply(
        409,
        "Login already finished",
        "This login already received its callback. You can close this tab.",
      );
      return;
    }
    const params = url.searchParams;
    if (params.get("state") !== options.state) {
      reply(
        400,
        "Login refused",
        "This callback does not belong to the login that is waiting (state mismatch). Start a new login with `tinyllama login`.",
      );
      return;
    }
    const error = params.get("error");
    if (error) {
      const description = params.get("error_description");
      reply(
        400,
        "Login failed",
        `Cognito answered ${error}${description ? `: ${description}` : ""}. You can close this tab.`,
      );
      finish(() =>
        settle?.reject(
          new CliError(
            `Cognito refused the login: ${error}${description ? ` (${description})` : ""}: run \`tinyllama login\` again`,
            { auth: true },
          ),
        ),
      );
      return;
    }
    const got = params.get("code");
    if (!got) {
      reply(400, "Login refused", "The callback carries no code.");
      return;
    }
    reply(
      200,
      "You are logged in",
      "TinyLlama received your login. You can close this tab and return to the terminal.",
    );
    finish(() => settle?.resolve(got));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      reject(
        err.code === "EADDRINUSE"
          ? new CliError(
              `port ${target.port} on 127.0.0.1 is in use (another \`tinyllama login\` waiting?): finish or stop it, or use --port with another registered callback port`,
              { cause: err },
            )
          : new CliError(`cannot listen on ${target.host} for the login callback: ${err.message}`, {
              cause: err,
            }),
      );
    });
    server.listen(Number(target.port || 80), "127.0.0.1", resolve);
  });
  const port = (server.address() as AddressInfo).port;
  target.port = String(port);

  const timer = setTimeout(() => {
    const limit = seconds(timeoutMs);
    finish(() =>
      settle?.reject(
        new CliError(
          `no login callback within ${limit}: run \`tinyllama login\` again and sign in within ${limit} ` +
            "(no browser opened? use `tinyllama login --no-browser` and open the URL yourself)",
          { auth: true, code: "timeout" },
        ),
      ),
    );
  }, timeoutMs);

  let closed: Promise<void> | undefined;
  function close(): Promise<void> {
    closed ??= new Promise<void>((resolve) => {
      clearTimeout(timer);
      server.close(() => resolve());
      // The answer to the browser is sent with `Connection: close`; idle keep-alive sockets (a
      // browser's preconnects) go now, anything still busy a moment later.
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 1000).unref();
    });
    return closed;
  }
  function finish(then: () => void) {
    if (done) return;
    done = true;
    then();
    void close();
  }

  return {
    redirectUri: target.href,
    port,
    code,
    close: async () => {
      finish(() =>
        settle?.reject(new CliError("the login was cancelled", { auth: true, code: "cancelled" })),
      );
      await close();
    },
  };
}
