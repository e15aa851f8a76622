import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cognito } from "../../emulators/cognito/server.ts";
import { passwordLogin, poolId, publicClient, startMock } from "./helpers.ts";

let mock: Cognito;
beforeAll(async () => {
  mock = await startMock();
});
afterAll(() => mock.close());

describe("discovery", () => {
  it("has Cognito's keys, the configured issuer and the mock's own endpoints", async () => {
    const res = await fetch(`${mock.url}/${poolId}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, unknown>;
    expect(mock.issuer).toBe(`${mock.url}/${poolId}`);
    expect(doc).toEqual({
      authorization_endpoint: `${mock.url}/oauth2/authorize`,
      end_session_endpoint: `${mock.url}/logout`,
      id_token_signing_alg_values_supported: ["RS256"],
      issuer: mock.issuer,
      jwks_uri: `${mock.issuer}/.well-known/jwks.json`,
      response_types_supported: ["code"],
      scopes_supported: ["openid", "email", "phone", "profile"],
      subject_types_supported: ["public"],
      token_endpoint: `${mock.url}/oauth2/token`,
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      userinfo_endpoint: `${mock.url}/oauth2/userInfo`,
    });
    // As on AWS: PKCE works but is not advertised.
    expect(doc).not.toHaveProperty("code_challenge_methods_supported");
  });

  it("builds endpoint URLs from the Host header (containers) but keeps the issuer", async () => {
    const { request } = await import("node:http");
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(`${mock.url}/${poolId}/.well-known/openid-configuration`, {
        headers: { host: "cognito:9229" },
      });
      req.on("response", (res) => {
        let text = "";
        res.on("data", (c) => {
          text += c;
        });
        res.on("end", () => resolve(text));
      });
      req.on("error", reject);
      req.end();
    });
    const doc = JSON.parse(body) as Record<string, string>;
    expect(doc.jwks_uri).toBe(`http://cognito:9229/${poolId}/.well-known/jwks.json`);
    expect(doc.token_endpoint).toBe("http://cognito:9229/oauth2/token");
    expect(doc.issuer).toBe(mock.issuer);
  });

  it("answers 404 ResourceNotFoundException for another pool id", async () => {
    const res = await fetch(`${mock.url}/us-east-1_Elsewhere/.well-known/jwks.json`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ __type: "ResourceNotFoundException" });
  });
});

describe("JWKS", () => {
  it("publishes two RS256 keys with Cognito-style base64 kids", async () => {
    const res = await fetch(`${mock.issuer}/.well-known/jwks.json`);
    const { keys } = (await res.json()) as { keys: Record<string, string>[] };
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(Object.keys(key)).toEqual(["alg", "e", "kid", "kty", "n", "use"]);
      expect(key).toMatchObject({ alg: "RS256", kty: "RSA", use: "sig", e: "AQAB" });
      expect(key.kid).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(key.n ?? "", "base64url")).toHaveLength(256);
    }
    expect(keys[0]?.kid).not.toBe(keys[1]?.kid);
  });

  it("verifies ID and access tokens with jose against the remote JWKS; they use different keys", async () => {
    const tokens = await passwordLogin(mock.url, "alice");
    const jwks = createRemoteJWKSet(new URL(`${mock.issuer}/.well-known/jwks.json`));
    const id = await jwtVerify(tokens.IdToken, jwks, {
      issuer: mock.issuer,
      audience: publicClient.clientId,
      algorithms: ["RS256"],
    });
    expect(id.payload.token_use).toBe("id");
    // Access tokens have no aud: verify issuer + signature, then token_use and client_id.
    const access = await jwtVerify(tokens.AccessToken, jwks, { issuer: mock.issuer, algorithms: ["RS256"] });
    expect(access.payload.token_use).toBe("access");
    expect(access.payload.client_id).toBe(publicClient.clientId);
    await expect(
      jwtVerify(tokens.AccessToken, jwks, { issuer: mock.issuer, audience: publicClient.clientId }),
    ).rejects.toThrow(/aud/);
    const idHeader = decodeProtectedHeader(tokens.IdToken);
    const accessHeader = decodeProtectedHeader(tokens.AccessToken);
    expect(Object.keys(idHeader)).toEqual(["kid", "alg"]);
    expect(idHeader.alg).toBe("RS256");
    expect(idHeader.kid).not.toBe(accessHeader.kid);
  });

  it("rejects a tampered token", async () => {
    const tokens = await passwordLogin(mock.url, "alice");
    const [h, p, s] = tokens.IdToken.split(".");
    const claims = JSON.parse(Buffer.from(p ?? "", "base64url").toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, "cognito:groups": ["admins"] })).toString("base64url")}.${s}`;
    const jwks = createRemoteJWKSet(new URL(`${mock.issuer}/.well-known/jwks.json`));
    await expect(jwtVerify(forged, jwks, { issuer: mock.issuer })).rejects.toThrow(/signature/);
  });
});
