import { createHash } from "node:crypto";
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cognito } from "../../emulators/cognito/server.ts";
import {
  authorizeUrl,
  basic,
  CALLBACK,
  codeFor,
  confidentialClient,
  confidentialSecret,
  get,
  hostedLogin,
  location,
  ManualClock,
  passwordLogin,
  pkce,
  poolId,
  publicClient,
  startMock,
  token,
} from "./helpers.ts";

const clock = new ManualClock();
let mock: Cognito;
beforeAll(async () => {
  mock = await startMock({ clock });
});
afterAll(() => mock.close());

const authorize = (params: Record<string, string | undefined>) =>
  get(
    authorizeUrl(mock.url, {
      response_type: "code",
      client_id: publicClient.clientId,
      redirect_uri: CALLBACK,
      state: "s1",
      ...params,
    }),
  );

const exchange = (code: string, extra: Record<string, string> = {}) =>
  token(mock.url, {
    grant_type: "authorization_code",
    client_id: publicClient.clientId,
    code,
    redirect_uri: CALLBACK,
    ...extra,
  });

describe("authorization code + PKCE, driven over plain HTTP", () => {
  it("authorize -> login form -> POST -> code -> tokens that jose verifies, with nonce and at_hash", async () => {
    const { verifier, challenge } = pkce();
    const first = await authorize({
      scope: "openid email profile",
      nonce: "n-42",
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    expect(first.status).toBe(302);
    const login = location(first, mock.url);
    expect(login.pathname).toBe("/login");
    expect(login.searchParams.get("code_challenge")).toBe(challenge);

    const form = await get(login.href);
    expect(form.status).toBe(200);
    expect(form.headers.get("content-type")).toMatch(/^text\/html/);
    const page = await form.text();
    expect(page).toContain('<input id="username" name="username"');
    expect(page).toContain('<input id="password" name="password" type="password"');
    expect(page).toContain('id="signInSubmitButton"');
    expect(page).toContain('<label for="username">');
    expect(page).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/);

    const submit = await hostedLogin(mock.url, { nonce: "n-42", challenge, state: "xyz" });
    expect(submit.status).toBe(302);
    const callback = location(submit, mock.url);
    expect(`${callback.origin}${callback.pathname}`).toBe(CALLBACK);
    expect(callback.searchParams.get("state")).toBe("xyz");
    const code = callback.searchParams.get("code") ?? "";
    expect(code).toMatch(/^[0-9a-f-]{36}$/);

    const { res, json } = await exchange(code, { code_verifier: verifier });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(Object.keys(json).sort()).toEqual([
      "access_token",
      "expires_in",
      "id_token",
      "refresh_token",
      "token_type",
    ]);
    expect(json.token_type).toBe("Bearer");
    expect(json.expires_in).toBe(3600);

    const jwks = createRemoteJWKSet(new URL(`${mock.issuer}/.well-known/jwks.json`));
    const id = await jwtVerify(String(json.id_token), jwks, {
      issuer: mock.issuer,
      audience: publicClient.clientId,
    });
    expect(id.payload).toMatchObject({
      token_use: "id",
      nonce: "n-42",
      "cognito:username": "alice",
      email: "alice@example.com",
      email_verified: true,
    });
    expect(Object.keys(id.payload).sort()).toEqual([
      "at_hash",
      "aud",
      "auth_time",
      "cognito:username",
      "email",
      "email_verified",
      "event_id",
      "exp",
      "iat",
      "iss",
      "jti",
      "nonce",
      "origin_jti",
      "sub",
      "token_use",
    ]);
    const atHash = createHash("sha256")
      .update(String(json.access_token))
      .digest()
      .subarray(0, 16)
      .toString("base64url");
    expect(id.payload.at_hash).toBe(atHash);
    const access = await jwtVerify(String(json.access_token), jwks, { issuer: mock.issuer });
    expect(access.payload).toMatchObject({
      token_use: "access",
      client_id: publicClient.clientId,
      scope: "openid email profile",
      username: "alice",
      version: 2,
    });
    expect(Object.keys(access.payload).sort()).toEqual([
      "auth_time",
      "client_id",
      "event_id",
      "exp",
      "iat",
      "iss",
      "jti",
      "origin_jti",
      "scope",
      "sub",
      "token_use",
      "username",
      "version",
    ]);
    expect(access.payload.origin_jti).toBe(id.payload.origin_jti);
    expect(access.payload.event_id).toBe(id.payload.event_id);
  });

  it("works without PKCE (optional in Cognito) and without nonce", async () => {
    const { res, json } = await exchange(await codeFor(mock.url));
    expect(res.status).toBe(200);
    expect(decodeJwt(String(json.id_token))).not.toHaveProperty("nonce");
  });

  it("grants the allowed scopes asked for (all when none), and email/profile only with openid", async () => {
    const bad = await authorize({ scope: "email" });
    expect(location(bad, mock.url).searchParams.get("error")).toBe("invalid_scope");
    const unknownOnly = await authorize({ scope: "phone" });
    expect(location(unknownOnly, mock.url).searchParams.get("error")).toBe("invalid_scope");
    // Scopes the client is not allowed are dropped; no scope means all of the client's.
    const code = await codeFor(mock.url, { scope: "openid phone" });
    const { json } = await exchange(code);
    expect(decodeJwt(String(json.access_token)).scope).toBe("openid");
    const all = await exchange(await codeFor(mock.url, { scope: "" }));
    expect(decodeJwt(String(all.json.access_token)).scope).toBe("openid email profile");
  });

  it("rejects a reused code with invalid_grant", async () => {
    const code = await codeFor(mock.url);
    expect((await exchange(code)).res.status).toBe(200);
    const again = await exchange(code);
    expect(again.res.status).toBe(400);
    expect(again.json.error).toBe("invalid_grant");
  });

  it("rejects a code after 5 minutes (injected clock)", async () => {
    const code = await codeFor(mock.url);
    clock.advance(5 * 60 * 1000 + 1);
    const { res, json } = await exchange(code);
    expect(res.status).toBe(400);
    expect(json.error).toBe("invalid_grant");
    const fresh = await codeFor(mock.url);
    clock.advance(4 * 60 * 1000);
    expect((await exchange(fresh)).res.status).toBe(200);
  });

  it("rejects a wrong or missing code_verifier, and burns the code", async () => {
    const { verifier, challenge } = pkce();
    const code = await codeFor(mock.url, { challenge });
    const wrong = await exchange(code, { code_verifier: pkce().verifier });
    expect(wrong.json).toMatchObject({
      error: "invalid_grant",
      error_description: expect.stringMatching(/code_verifier/),
    });
    expect((await exchange(code, { code_verifier: verifier })).json.error).toBe("invalid_grant");
    const missing = await exchange(await codeFor(mock.url, { challenge }));
    expect(missing.json.error).toBe("invalid_grant");
  });

  it("binds the code to its client and redirect_uri", async () => {
    const code = await codeFor(mock.url);
    const other = await token(
      mock.url,
      { grant_type: "authorization_code", code, redirect_uri: CALLBACK },
      { authorization: basic(confidentialClient.clientId, confidentialSecret) },
    );
    expect(other.json.error).toBe("invalid_grant");
    const elsewhere = await exchange(await codeFor(mock.url), {
      redirect_uri: "http://localhost:5173/callback",
    });
    expect(elsewhere.json.error).toBe("invalid_grant");
    // A redirect_uri that is not registered at all is unauthorized_client, as Cognito answers.
    const unregistered = await exchange(await codeFor(mock.url), { redirect_uri: `${CALLBACK}/` });
    expect(unregistered.json.error).toBe("unauthorized_client");
  });

  it("rejects code_challenge_method=plain, and a challenge without a method, back at the client", async () => {
    for (const params of [
      { code_challenge: "a".repeat(43), code_challenge_method: "plain" },
      { code_challenge: "a".repeat(43) },
      { code_challenge_method: "S256" },
      { code_challenge: "short", code_challenge_method: "S256" },
    ]) {
      const res = await authorize(params);
      expect(res.status).toBe(302);
      const to = location(res, mock.url);
      expect(`${to.origin}${to.pathname}`).toBe(CALLBACK);
      expect(to.searchParams.get("error")).toBe("invalid_request");
      expect(to.searchParams.get("state")).toBe("s1");
      expect(to.searchParams.get("error_description")).toBeTruthy();
    }
    const plain = await authorize({ code_challenge: "a".repeat(43), code_challenge_method: "plain" });
    expect(location(plain, mock.url).searchParams.get("error_description")).toMatch(/only S256/);
  });

  it("answers unsupported_response_type for the implicit flow", async () => {
    const to = location(await authorize({ response_type: "token" }), mock.url);
    expect(to.searchParams.get("error")).toBe("unsupported_response_type");
  });
});

describe("redirect_uri checks", () => {
  it("never redirects to an unregistered URL: the browser lands on /error", async () => {
    for (const redirect_uri of [
      "http://127.0.0.1:8766/callback",
      "http://127.0.0.1:8765/callback/",
      "http://evil.example/callback",
      undefined,
    ]) {
      const res = await authorize({ redirect_uri });
      expect(res.status).toBe(302);
      const to = location(res, mock.url);
      expect(to.origin).toBe(mock.url);
      expect(to.pathname).toBe("/error");
      expect(to.searchParams.get("error")).toBe("redirect_mismatch");
      expect(to.searchParams.get("client_id")).toBe(publicClient.clientId);
      const page = await get(to.href);
      expect(page.status).toBe(400);
      expect(await page.text()).toContain("An error was encountered with the requested page.");
    }
  });

  it("sends an unknown client to /error too", async () => {
    const to = location(await authorize({ client_id: "nope" }), mock.url);
    expect(to.pathname).toBe("/error");
    expect(to.searchParams.get("error_description")).toMatch(/not an app client/);
  });

  it("the POST /login re-checks the parameters", async () => {
    const res = await get(
      `${mock.url}/login?client_id=${publicClient.clientId}&redirect_uri=http://evil.example/`,
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "username=alice&password=Alice-pass-1",
      },
    );
    expect(location(res, mock.url).pathname).toBe("/error");
  });

  it("accepts any loopback port when allowAnyLoopbackPort is on, and nothing else", async () => {
    const loose = await startMock({
      configure: (c) => {
        c.cognito.allowAnyLoopbackPort = true;
      },
    });
    try {
      const go = (redirect_uri: string) =>
        get(
          authorizeUrl(loose.url, { response_type: "code", client_id: publicClient.clientId, redirect_uri }),
        );
      for (const ok of ["http://127.0.0.1:53682/callback", "http://localhost:4000/callback"]) {
        expect(location(await go(ok), loose.url).pathname).toBe("/login");
      }
      for (const bad of [
        "http://127.0.0.1:53682/other",
        "http://127.0.0.1:5555@evil.example/callback",
        "http://127.0.0.2:53682/callback",
        "https://127.0.0.1:53682/callback",
        "http://127.0.0.1:53682/x/../callback",
      ]) {
        expect(location(await go(bad), loose.url).pathname).toBe("/error");
      }
      const redirectUri = "http://127.0.0.1:40123/callback";
      const code = await codeFor(loose.url, { redirectUri });
      const { res } = await token(loose.url, {
        grant_type: "authorization_code",
        client_id: publicClient.clientId,
        code,
        redirect_uri: redirectUri,
      });
      expect(res.status).toBe(200);
    } finally {
      await loose.close();
    }
  });
});

describe("the login form", () => {
  it("shows a visible error on bad credentials and keeps the username", async () => {
    const res = await hostedLogin(mock.url, { username: "alice", password: "wrong-pass-1" });
    expect(res.status).toBe(401);
    const page = await res.text();
    expect(page).toContain(
      '<p id="loginErrorMessage" class="error" role="alert">Incorrect username or password.</p>',
    );
    expect(page).toContain('value="alice"');
    const unknown = await hostedLogin(mock.url, { username: "bob", password: "x" }).then((r) => r.text());
    expect(unknown).toContain("Incorrect username or password.");
  });

  it("escapes what it reflects", async () => {
    const res = await get(
      `${mock.url}/login?response_type=code&client_id=${publicClient.clientId}&redirect_uri=${encodeURIComponent(CALLBACK)}&state=%22%3E%3Cscript%3Ex%3C/script%3E`,
    );
    const page = await res.text();
    expect(page).not.toContain("<script>");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
  });
});

describe("confidential client", () => {
  it("authenticates with HTTP Basic or client_secret in the form", async () => {
    const login = { clientId: confidentialClient.clientId };
    const viaBasic = await token(
      mock.url,
      { grant_type: "authorization_code", code: await codeFor(mock.url, login), redirect_uri: CALLBACK },
      { authorization: basic(confidentialClient.clientId, confidentialSecret) },
    );
    expect(viaBasic.res.status).toBe(200);
    expect(decodeJwt(String(viaBasic.json.id_token)).aud).toBe(confidentialClient.clientId);
    const viaPost = await token(mock.url, {
      grant_type: "authorization_code",
      client_id: confidentialClient.clientId,
      client_secret: confidentialSecret,
      code: await codeFor(mock.url, login),
      redirect_uri: CALLBACK,
    });
    expect(viaPost.res.status).toBe(200);
  });

  it("answers invalid_client without the secret or with a wrong one", async () => {
    const login = { clientId: confidentialClient.clientId };
    const none = await token(mock.url, {
      grant_type: "authorization_code",
      client_id: confidentialClient.clientId,
      code: await codeFor(mock.url, login),
      redirect_uri: CALLBACK,
    });
    expect(none.res.status).toBe(401);
    expect(none.json.error).toBe("invalid_client");
    const wrong = await token(
      mock.url,
      { grant_type: "authorization_code", code: await codeFor(mock.url, login), redirect_uri: CALLBACK },
      { authorization: basic(confidentialClient.clientId, "x".repeat(52)) },
    );
    expect(wrong.json.error).toBe("invalid_client");
    const unknown = await token(mock.url, {
      grant_type: "authorization_code",
      client_id: "nope",
      code: "x",
      redirect_uri: CALLBACK,
    });
    expect(unknown.json.error).toBe("invalid_client");
  });
});

describe("token endpoint requests", () => {
  it("answers invalid_request, unsupported_grant_type and unauthorized_client", async () => {
    const base = { client_id: publicClient.clientId };
    expect((await token(mock.url, base)).json.error).toBe("invalid_request");
    expect((await token(mock.url, { ...base, grant_type: "password" })).json.error).toBe(
      "unsupported_grant_type",
    );
    expect((await token(mock.url, { ...base, grant_type: "client_credentials" })).json.error).toBe(
      "unauthorized_client",
    );
    expect((await token(mock.url, { ...base, grant_type: "authorization_code" })).json.error).toBe(
      "invalid_request",
    );
    const json = await fetch(`${mock.url}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...base, grant_type: "authorization_code" }),
    });
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ error: "invalid_request" });
  });

  it("refreshes: new ID and access tokens of the same sign-in, no new refresh token", async () => {
    const first = await exchange(await codeFor(mock.url));
    clock.advance(60_000);
    const { res, json } = await token(mock.url, {
      grant_type: "refresh_token",
      client_id: publicClient.clientId,
      refresh_token: String(first.json.refresh_token),
    });
    expect(res.status).toBe(200);
    expect(Object.keys(json).sort()).toEqual(["access_token", "expires_in", "id_token", "token_type"]);
    expect(decodeJwt(String(json.id_token)).origin_jti).toBe(
      decodeJwt(String(first.json.id_token)).origin_jti,
    );
    const bad = await token(mock.url, {
      grant_type: "refresh_token",
      client_id: publicClient.clientId,
      refresh_token: "junk",
    });
    expect(bad.json.error).toBe("invalid_grant");
  });
});

describe("userInfo", () => {
  it("answers sub, string email_verified, email and username for a hosted-UI access token (GET and POST)", async () => {
    const { json } = await exchange(await codeFor(mock.url, { username: "admin" }));
    for (const method of ["GET", "POST"]) {
      const res = await fetch(`${mock.url}/oauth2/userInfo`, {
        method,
        headers: { authorization: `Bearer ${json.access_token}` },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        sub: decodeJwt(String(json.id_token)).sub,
        email_verified: "true",
        email: "admin@example.com",
        username: "admin",
      });
    }
  });

  it("refuses no token, an ID token, and an InitiateAuth token (no openid scope)", async () => {
    expect((await fetch(`${mock.url}/oauth2/userInfo`)).status).toBe(401);
    const { json } = await exchange(await codeFor(mock.url));
    const withId = await fetch(`${mock.url}/oauth2/userInfo`, {
      headers: { authorization: `Bearer ${json.id_token}` },
    });
    expect(withId.status).toBe(401);
    expect(withId.headers.get("www-authenticate")).toContain('error="invalid_token"');
    const api = await passwordLogin(mock.url, "alice");
    const noOpenid = await fetch(`${mock.url}/oauth2/userInfo`, {
      headers: { authorization: `Bearer ${api.AccessToken}` },
    });
    expect(noOpenid.status).toBe(403);
    expect(await noOpenid.json()).toMatchObject({ error: "insufficient_scope" });
  });
});

describe("logout", () => {
  it("redirects to a registered logout_uri", async () => {
    const res = await get(
      `${mock.url}/logout?client_id=${publicClient.clientId}&logout_uri=${encodeURIComponent("http://localhost:5173/")}`,
    );
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("http://localhost:5173/");
  });

  it("sends an unregistered logout_uri or unknown client to /error", async () => {
    const bad = await get(
      `${mock.url}/logout?client_id=${publicClient.clientId}&logout_uri=${encodeURIComponent("http://evil.example/")}`,
    );
    expect(location(bad, mock.url).pathname).toBe("/error");
    const noClient = await get(
      `${mock.url}/logout?logout_uri=${encodeURIComponent("http://localhost:5173/")}`,
    );
    expect(location(noClient, mock.url).pathname).toBe("/error");
  });

  it("with redirect_uri and response_type, goes back to the sign-in page", async () => {
    const res = await get(
      `${mock.url}/logout?client_id=${publicClient.clientId}&response_type=code&redirect_uri=${encodeURIComponent(CALLBACK)}`,
    );
    expect(location(res, mock.url).pathname).toBe("/login");
  });
});

it("unknown paths answer 404 naming the docs", async () => {
  const res = await fetch(`${mock.url}/oauth2/revoke`, { method: "POST" });
  expect(res.status).toBe(404);
  expect(poolId).toMatch(/^us-east-1_[A-Za-z0-9]{9}$/);
});
