/**
 * Calls to the TinyLlama API with `Authorization: Bearer <ID token>`. When the API refuses the
 * token (401, or 403 `{"error":"invalid_token"}`: expired, or signed by keys the pool no longer
 * has) the CLI logs in again and retries the call once (API-005 "re-login when a 401 appears"):
 *
 * 1. TINYLLAMA_USERNAME (or the saved login's user) + TINYLLAMA_PASSWORD set: InitiateAuth;
 * 2. a person at the terminal: the browser login;
 * 3. otherwise it stops and says to run `tinyllama login`.
 *
 * The CLI does not check `exp` itself before sending: the API is the judge (a laptop's clock may
 * be off), and an expired token costs one refused request.
 */
import { CliError, unreachable } from "./errors.ts";
import type { Io } from "./io.ts";
import { browserLogin, passwordLogin } from "./login.ts";
import type { Settings } from "./settings.ts";
import { loadLogin, type StoredLogin } from "./token-store.ts";

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

export interface Api {
  request(method: "GET" | "POST", path: string, body?: unknown): Promise<ApiResponse>;
}

const LOGIN_HINT = "run `tinyllama login` (scripts: set TINYLLAMA_USERNAME and TINYLLAMA_PASSWORD)";

export function createApi(settings: Settings, io: Io): Api {
  let login: StoredLogin | undefined;

  async function send(method: string, path: string, token: string, body: unknown): Promise<ApiResponse> {
    const url = `${settings.apiUrl}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw unreachable(
        "TinyLlama API",
        settings.apiUrl,
        err,
        "start the stack with `make dev`, or set TINYLLAMA_API_URL to the API",
      );
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text for the error message
    }
    return { status: res.status, headers: res.headers, body: parsed };
  }

  /** Logs in again without asking for anything on the command line; throws when it cannot. */
  async function renew(why: string): Promise<StoredLogin> {
    const username = io.env.TINYLLAMA_USERNAME || (login?.method === "password" ? login.username : undefined);
    if (username && io.env.TINYLLAMA_PASSWORD) {
      io.stderr.write(`${why}; logging in again as ${username} (TINYLLAMA_PASSWORD).\n`);
      return passwordLogin(settings, io, { username, password: io.env.TINYLLAMA_PASSWORD });
    }
    if (io.interactive) {
      io.stderr.write(`${why}; logging in again in your browser.\n`);
      return browserLogin(settings, io);
    }
    throw new CliError(`${why}: ${LOGIN_HINT}`, { auth: true, code: "login_expired" });
  }

  return {
    async request(method, path, body) {
      login ??= await loadLogin(settings.tokenFile);
      if (!login) {
        if (io.env.TINYLLAMA_USERNAME && io.env.TINYLLAMA_PASSWORD) login = await renew("not logged in");
        else throw new CliError(`not logged in: ${LOGIN_HINT}`, { auth: true, code: "not_logged_in" });
      }
      const first = await send(method, path, login.idToken, body);
      const refused = refusal(first);
      if (!refused) return first;
      const elsewhere =
        login.authUrl !== settings.authUrl
          ? ` (the saved login is from ${login.authUrl}, not ${settings.authUrl})`
          : "";
      login = await renew(`the API refused your login (${refused})${elsewhere}`);
      const second = await send(method, path, login.idToken, body);
      const again = refusal(second);
      if (again)
        throw new CliError(
          `the API refused a fresh login too (${again}): the API and the CLI use different Cognito pools or clients; ` +
            `check TINYLLAMA_AUTH_URL and TINYLLAMA_CLIENT_ID against the API's COGNITO_ISSUER (API ${settings.apiUrl}, Cognito ${settings.authUrl})`,
          { auth: true, code: "token_refused" },
        );
      return second;
    },
  };
}

/** "401 missing_token" / "403 invalid_token" when the API refused the token, else undefined. */
function refusal(res: ApiResponse): string | undefined {
  const error = (res.body as { error?: unknown } | undefined)?.error;
  if (res.status === 401) return `401 ${typeof error === "string" ? error : "unauthorized"}`;
  if (res.status === 403 && error === "invalid_token") return "403 invalid_token";
  return undefined;
}

/** A CliError for a response the command did not expect, naming the fix where there is one. */
export function apiError(res: ApiResponse, what: string): CliError {
  const body = res.body as { error?: unknown; message?: unknown } | string | undefined;
  const code = typeof body === "object" && typeof body?.error === "string" ? body.error : undefined;
  const message =
    typeof body === "object" && typeof body?.message === "string"
      ? body.message
      : typeof body === "string" && body
        ? body.slice(0, 200)
        : undefined;
  const detail = [code, message].filter(Boolean).join(": ");
  const requestId = res.headers.get("x-request-id");
  const said = `${what}: the API answered ${res.status}${detail ? ` ${detail}` : ""}`;
  if (res.status === 429) {
    const retry = res.headers.get("retry-after") ?? "60";
    return new CliError(`${said}: too many requests for your user; retry in ${retry} s`, {
      code: "rate_limited",
    });
  }
  if (res.status >= 500)
    return new CliError(
      `${said}: the service has a problem; retry, and if it persists check the stack's logs${requestId ? ` for request ${requestId}` : ""}`,
      { code: code ?? "server_error" },
    );
  return new CliError(said, { code: code ?? `http_${res.status}` });
}
