/**
 * The pure pieces of the login: PKCE S256 (RFC 7636's own example), state/nonce, the authorize
 * and logout URLs, and the settings (config defaults, env overrides, token path, callback ports).
 */
import { describe, expect, it } from "vitest";
import { CliError } from "../../services/cli/errors.ts";
import {
  authorizeUrl,
  challengeOf,
  createPkce,
  decodeClaims,
  logoutUrl,
  randomToken,
} from "../../services/cli/oauth.ts";
import { redirectUriFor, resolveSettings, tokenFilePath } from "../../services/cli/settings.ts";
import { anyPortConfig, config, publicClientId } from "./helpers.ts";

describe("PKCE, state and nonce", () => {
  it("derives the challenge as BASE64URL(SHA256(verifier)): RFC 7636 appendix B", () => {
    expect(challengeOf("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });

  it("makes a fresh 43-character verifier each time, with its S256 challenge", () => {
    const a = createPkce();
    const b = createPkce();
    expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.method).toBe("S256");
    expect(a.challenge).toBe(challengeOf(a.verifier));
    expect(a.verifier).not.toBe(b.verifier);
  });

  it("makes unguessable state values (192 random bits, base64url)", () => {
    const values = new Set(Array.from({ length: 100 }, randomToken));
    expect(values.size).toBe(100);
    for (const v of values) expect(v).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });
});

describe("hosted-UI URLs", () => {
  it("builds /oauth2/authorize with response_type=code, the client, redirect, scope, state, nonce and S256", () => {
    const url = new URL(
      authorizeUrl({
        authUrl: "http://127.0.0.1:9229",
        clientId: publicClientId,
        redirectUri: "http://127.0.0.1:8765/callback",
        scope: "openid email profile",
        state: "st&=1",
        nonce: "n1",
        codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      }),
    );
    expect(url.origin + url.pathname).toBe("http://127.0.0.1:9229/oauth2/authorize");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: "code",
      client_id: publicClientId,
      redirect_uri: "http://127.0.0.1:8765/callback",
      scope: "openid email profile",
      state: "st&=1",
      nonce: "n1",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
    });
  });

  it("keeps a path in the auth URL's domain (a custom domain behind a prefix)", () => {
    const url = authorizeUrl({
      authUrl: "https://auth.example.com",
      clientId: "c",
      redirectUri: "http://127.0.0.1:8765/callback",
      scope: "openid",
      state: "s",
      nonce: "n",
      codeChallenge: "x",
    });
    expect(url.startsWith("https://auth.example.com/oauth2/authorize?")).toBe(true);
  });

  it("signs out to the client's registered 127.0.0.1 logout URL, or back to the login page without one", () => {
    const withUri = new URL(
      logoutUrl({
        authUrl: "http://127.0.0.1:9229",
        clientId: "c1",
        logoutUrls: ["http://localhost:5173/", "http://127.0.0.1:8765/logged-out"],
        redirectUri: "http://127.0.0.1:8765/callback",
      }),
    );
    expect(withUri.pathname).toBe("/logout");
    expect(Object.fromEntries(withUri.searchParams)).toEqual({
      client_id: "c1",
      logout_uri: "http://127.0.0.1:8765/logged-out",
    });
    const without = new URL(
      logoutUrl({
        authUrl: "http://a",
        clientId: "c1",
        logoutUrls: [],
        redirectUri: "http://127.0.0.1:8765/callback",
      }),
    );
    expect(Object.fromEntries(without.searchParams)).toEqual({
      client_id: "c1",
      redirect_uri: "http://127.0.0.1:8765/callback",
      response_type: "code",
    });
  });

  it("reads a JWT's claims and says what to do when it is not one", () => {
    const body = Buffer.from(JSON.stringify({ sub: "s", exp: 1 })).toString("base64url");
    expect(decodeClaims(`h.${body}.sig`)).toEqual({ sub: "s", exp: 1 });
    expect(() => decodeClaims("nonsense")).toThrow(/not a JWT: run `tinyllama login` again/);
  });
});

describe("settings", () => {
  it("defaults to the embedded stack: gateway and mock Cognito ports, the public client, callback 8765, 30 s", () => {
    const s = resolveSettings({ HOME: "/home/u" }, config);
    expect(s).toMatchObject({
      apiUrl: `http://127.0.0.1:${config.ports.gateway}`,
      authUrl: `http://127.0.0.1:${config.ports.cognito}`,
      idpUrl: `http://127.0.0.1:${config.ports.cognito}`,
      clientId: publicClientId,
      scope: "openid email profile",
      defaultRedirectUri: "http://127.0.0.1:8765/callback",
      loginTimeoutMs: 30_000,
      loginPort: undefined,
    });
  });

  it("takes every endpoint from the environment when set", () => {
    const s = resolveSettings(
      {
        TINYLLAMA_API_URL: "https://api.example.com/",
        TINYLLAMA_AUTH_URL: "https://login.example.com",
        TINYLLAMA_IDP_URL: "https://cognito-idp.us-east-1.amazonaws.com",
        TINYLLAMA_CLIENT_ID: "abc",
        TINYLLAMA_LOGIN_TIMEOUT_MS: "500",
        TINYLLAMA_LOGIN_PORT: "8766",
      },
      config,
    );
    expect(s).toMatchObject({
      apiUrl: "https://api.example.com",
      authUrl: "https://login.example.com",
      idpUrl: "https://cognito-idp.us-east-1.amazonaws.com",
      clientId: "abc",
      loginTimeoutMs: 500,
      loginPort: 8766,
      callbackUrls: [],
    });
    expect(() => resolveSettings({ TINYLLAMA_LOGIN_TIMEOUT_MS: "soon" }, config)).toThrow(
      /TINYLLAMA_LOGIN_TIMEOUT_MS=soon is not a positive number/,
    );
  });

  it("keeps the token under $XDG_CONFIG_HOME/tinyllama, else ~/.config/tinyllama, unless TINYLLAMA_TOKEN_FILE says", () => {
    expect(tokenFilePath({ XDG_CONFIG_HOME: "/x/cfg" }, "/home/u")).toBe("/x/cfg/tinyllama/token.json");
    expect(tokenFilePath({}, "/home/u")).toBe("/home/u/.config/tinyllama/token.json");
    // The XDG spec says to ignore a relative XDG_CONFIG_HOME.
    expect(tokenFilePath({ XDG_CONFIG_HOME: "rel" }, "/home/u")).toBe("/home/u/.config/tinyllama/token.json");
    expect(tokenFilePath({ TINYLLAMA_TOKEN_FILE: "/t/tok.json", XDG_CONFIG_HOME: "/x" }, "/home/u")).toBe(
      "/t/tok.json",
    );
  });

  it("accepts --port only for a registered callback (Cognito matches exactly) and names the registered ones", () => {
    const s = resolveSettings({}, config);
    expect(redirectUriFor(s)).toBe("http://127.0.0.1:8765/callback");
    expect(redirectUriFor(s, 8765)).toBe("http://127.0.0.1:8765/callback");
    let error: unknown;
    try {
      redirectUriFor(s, 9999);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toMatch(
      /http:\/\/127\.0\.0\.1:9999\/callback is not a registered callback URL .* use --port with one of http:\/\/127\.0\.0\.1:8765\/callback, http:\/\/localhost:5173\/callback, or register it/,
    );
    expect(() => redirectUriFor(s, 0)).toThrow(/not a registered callback URL/);
  });

  it("accepts any port, 0 included, when the pool allows any loopback port", () => {
    const s = resolveSettings({}, anyPortConfig);
    expect(redirectUriFor(s, 9999)).toBe("http://127.0.0.1:9999/callback");
    expect(redirectUriFor(s, 0)).toBe("http://127.0.0.1:0/callback");
  });
});
