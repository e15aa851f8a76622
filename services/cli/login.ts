/**
 * The two ways to log in, both ending in a saved ID token (token-store.ts):
 *
 * - browser (API-005's desktop flow): loopback listener first, then the hosted-UI URL with
 *   PKCE S256, `state` and `nonce` is opened (or printed with --no-browser); the one callback's
 *   code is exchanged at /oauth2/token with the verifier; only the ID token is kept.
 * - password (scripts): InitiateAuth USER_PASSWORD_AUTH; the password comes from --password,
 *   TINYLLAMA_PASSWORD or stdin (a terminal prompt without echo, or the first line of a pipe).
 */
import { CliError } from "./errors.ts";
import type { Io } from "./io.ts";
import { seconds as shown, startLoopback } from "./loopback.ts";
import { authorizeUrl, createPkce, decodeClaims, exchangeCode, randomToken } from "./oauth.ts";
import { initiateAuth } from "./password-login.ts";
import { redirectUriFor, type Settings } from "./settings.ts";
import { loginFromToken, type StoredLogin, saveLogin } from "./token-store.ts";

export interface BrowserLoginOptions {
  /** Print the URL instead of opening a browser. */
  noBrowser?: boolean;
  /** Callback port (must be registered); default TINYLLAMA_LOGIN_PORT, else the client's 127.0.0.1 callback. */
  port?: number;
  /** Also write a `{"status":"waiting","authorizeUrl":...}` line to stdout. */
  json?: boolean;
}

export async function browserLogin(
  settings: Settings,
  io: Io,
  options: BrowserLoginOptions = {},
): Promise<StoredLogin> {
  const pkce = createPkce();
  const state = randomToken();
  const nonce = randomToken();
  const loopback = await startLoopback({
    redirectUri: redirectUriFor(settings, options.port ?? settings.loginPort),
    state,
    timeoutMs: settings.loginTimeoutMs,
  });
  try {
    const url = authorizeUrl({
      authUrl: settings.authUrl,
      clientId: settings.clientId,
      redirectUri: loopback.redirectUri,
      scope: settings.scope,
      state,
      nonce,
      codeChallenge: pkce.challenge,
    });
    const limit = shown(settings.loginTimeoutMs);
    if (options.json)
      io.stdout.write(
        `${JSON.stringify({ status: "waiting", authorizeUrl: url, redirectUri: loopback.redirectUri, timeoutMs: settings.loginTimeoutMs })}\n`,
      );
    if (options.noBrowser) {
      io.stderr.write(
        `Open this URL in a browser and sign in (waiting ${limit} for the callback):\n\n  ${url}\n\n`,
      );
    } else {
      try {
        await io.openBrowser(url);
        io.stderr.write(
          `Opened your browser to sign in; waiting ${limit} for the callback on ${loopback.redirectUri}.\n` +
            `If no browser window appeared, open:\n\n  ${url}\n\n`,
        );
      } catch (err) {
        io.stderr.write(
          `Could not open a browser (${(err as Error).message}). Open this URL yourself and sign in within ${limit}:\n\n  ${url}\n\n`,
        );
      }
    }
    const code = await loopback.code;
    const idToken = await exchangeCode({
      authUrl: settings.authUrl,
      clientId: settings.clientId,
      code,
      redirectUri: loopback.redirectUri,
      codeVerifier: pkce.verifier,
    });
    checkIdToken(idToken, settings.clientId, nonce);
    const login = loginFromToken(idToken, {
      authUrl: settings.authUrl,
      clientId: settings.clientId,
      method: "browser",
      now: io.now(),
    });
    await saveLogin(settings.tokenFile, login);
    return login;
  } finally {
    await loopback.close();
  }
}

/**
 * What the CLI can check itself on a token it just received from the token endpoint (OIDC Core
 * 3.1.3.7 lets a client skip the signature check for that case): it is an ID token, for this
 * client, from this login (nonce). The gateway verifies the signature on every request.
 */
function checkIdToken(idToken: string, clientId: string, nonce: string): void {
  const claims = decodeClaims(idToken);
  const problem =
    claims.token_use !== "id"
      ? `token_use is ${String(claims.token_use)}, not id`
      : claims.aud !== clientId
        ? `it is for client ${String(claims.aud)}, not ${clientId}`
        : claims.nonce !== undefined && claims.nonce !== nonce
          ? "its nonce is not this login's"
          : undefined;
  if (problem)
    throw new CliError(
      `Cognito returned an ID token the CLI cannot use (${problem}): run \`tinyllama login\` again`,
      {
        auth: true,
      },
    );
}

export interface PasswordLoginOptions {
  username: string;
  /** Given on the command line; else TINYLLAMA_PASSWORD, else stdin. */
  password?: string | undefined;
  /** Read the password from stdin even when TINYLLAMA_PASSWORD is set. */
  passwordStdin?: boolean;
}

export async function passwordLogin(
  settings: Settings,
  io: Io,
  options: PasswordLoginOptions,
): Promise<StoredLogin> {
  const password =
    options.password ??
    (options.passwordStdin ? undefined : io.env.TINYLLAMA_PASSWORD) ??
    (await io.readSecret(`Password for ${options.username}: `));
  if (!password)
    throw new CliError(
      "no password: pass --password, set TINYLLAMA_PASSWORD, or pipe it on stdin (`--password-stdin`)",
      { usage: true },
    );
  const idToken = await initiateAuth({
    idpUrl: settings.idpUrl,
    clientId: settings.clientId,
    username: options.username,
    password,
  });
  const login = loginFromToken(idToken, {
    authUrl: settings.authUrl,
    clientId: settings.clientId,
    method: "password",
    now: io.now(),
  });
  await saveLogin(settings.tokenFile, login);
  return login;
}
