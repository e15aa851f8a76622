/**
 * The JWT middleware with real RS256 tokens from generated keys and a real JWKS server: every
 * way a token can be wrong answers 403 `{"error":"invalid_token"}`, a missing one 401, and keys
 * that cannot be fetched 503.
 */
import { createHmac } from "node:crypto";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLIENT_ID,
  idToken,
  type JwksServer,
  makeKey,
  type SigningKey,
  type Stack,
  startJwks,
  startStack,
} from "./helpers.ts";

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

describe("JWT authentication", () => {
  let key: SigningKey;
  let stranger: SigningKey;
  let jwks: JwksServer;
  let stack: Stack;
  const get = (path: string, token?: string) => {
    const req = request(stack.gateway.url).get(path);
    return token === undefined ? req : req.set("Authorization", `Bearer ${token}`);
  };

  beforeAll(async () => {
    key = await makeKey();
    stranger = await makeKey();
    jwks = await startJwks([key]);
    stack = await startStack({ issuer: jwks.issuer });
  });
  afterAll(async () => {
    await stack.close();
    await jwks.close();
  });

  it("lets a valid ID token through", async () => {
    const res = await get("/ping", await idToken(key, jwks.issuer));
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("ok");
  });

  it("answers 401 with WWW-Authenticate when there is no bearer token", async () => {
    for (const header of [undefined, "", "Basic YWxpY2U6cHc=", "Bearer", "Bearer "]) {
      const req = request(stack.gateway.url).get("/ping");
      const res = await (header === undefined ? req : req.set("Authorization", header));
      expect(res.status, `Authorization: ${header}`).toBe(401);
      expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
      expect(res.body.error).toBe("missing_token");
    }
  });

  it("accepts the Bearer scheme in any case", async () => {
    const token = await idToken(key, jwks.issuer);
    const res = await request(stack.gateway.url).get("/ping").set("Authorization", `bearer ${token}`);
    expect(res.status).toBe(200);
  });

  const invalid: Array<[string, () => Promise<string>]> = [
    ["expired", () => idToken(key, jwks.issuer, { iat: now() - 7200, exp: now() - 3600 })],
    ["not yet valid (nbf in the future)", () => idToken(key, jwks.issuer, { nbf: now() + 3600 })],
    ["malformed: one part", async () => "abc"],
    ["malformed: three junk parts", async () => "a.b.c"],
    ["malformed: five parts", async () => "a.b.c.d.e"],
    [
      "tampered payload",
      async () => {
        const [h, , s] = (await idToken(key, jwks.issuer)).split(".");
        return `${h}.${b64url({ sub: "someone-else", aud: CLIENT_ID, iss: jwks.issuer, token_use: "id", exp: now() + 60 })}.${s}`;
      },
    ],
    [
      "tampered signature",
      async () => {
        const token = await idToken(key, jwks.issuer);
        const last = token.at(-2) === "A" ? "B" : "A";
        return `${token.slice(0, -2)}${last}${token.at(-1)}`;
      },
    ],
    [
      "altered only in the spare bits of its last character (same signature bytes)",
      async () => {
        const token = await idToken(key, jwks.issuer);
        const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        return `${token.slice(0, -1)}${alphabet[alphabet.indexOf(token.at(-1) ?? "") ^ 1]}`;
      },
    ],
    [
      "wrong issuer",
      () =>
        idToken(key, jwks.issuer, { iss: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other1234" }),
    ],
    ["wrong audience", () => idToken(key, jwks.issuer, { aud: "someotherclientid000000000" })],
    [
      "an access token (token_use access, no aud)",
      () => idToken(key, jwks.issuer, { token_use: "access", aud: undefined, client_id: CLIENT_ID }),
    ],
    ["token_use access with an aud", () => idToken(key, jwks.issuer, { token_use: "access" })],
    ["no token_use", () => idToken(key, jwks.issuer, { token_use: undefined })],
    ["no sub", () => idToken(key, jwks.issuer, { sub: undefined })],
    [
      "alg none",
      async () =>
        `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ sub: "x", aud: CLIENT_ID, iss: jwks.issuer, token_use: "id", exp: now() + 600 })}.`,
    ],
    [
      "HS256 signed with the public key",
      async () => {
        const pem = key.publicKey.export({ type: "spki", format: "pem" });
        const input = `${b64url({ alg: "HS256", typ: "JWT", kid: key.kid })}.${b64url({ sub: "x", aud: CLIENT_ID, iss: jwks.issuer, token_use: "id", exp: now() + 600 })}`;
        return `${input}.${createHmac("sha256", pem).update(input).digest("base64url")}`;
      },
    ],
    ["signed by a key whose kid is not in the JWKS", () => idToken(stranger, jwks.issuer)],
    ["signed by another key under a known kid", () => idToken(stranger, jwks.issuer, {}, { kid: key.kid })],
  ];

  it.each(invalid)("answers 403 invalid_token for a token that is %s", async (_case, make) => {
    const res = await get("/ping", await make());
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: "invalid_token" });
    expect(res.headers["www-authenticate"]).toMatch(/error="invalid_token"/);
  });

  it("remembers a verified token no longer than its exp", async () => {
    const token = await idToken(key, jwks.issuer, { exp: now() + 1 });
    expect((await get("/ping", token)).status).toBe(200);
    expect((await get("/ping", token)).status).toBe(200); // served from the verified-token cache
    await new Promise((resolve) => setTimeout(resolve, 2000 - (Date.now() % 1000)));
    const late = await get("/ping", token);
    expect(late.status).toBe(403);
    expect(late.headers["www-authenticate"]).toMatch(/exp/);
  });

  it("fetches the key set once and serves later tokens from the cache", async () => {
    const before = jwks.fetches;
    for (let i = 0; i < 5; i++)
      expect((await get("/ping", await idToken(key, jwks.issuer))).status).toBe(200);
    expect(jwks.fetches - before).toBe(0);
  });

  it("serves /healthz without a token and answers unknown routes 404 before any token check", async () => {
    expect((await get("/healthz")).status).toBe(200);
    const res = await get("/nope");
    expect(res.status).toBe(404);
    expect(res.body.error).toBe("not_found");
  });
});

describe("JWT authentication when the key set cannot be fetched", () => {
  it("answers 503, never 403, when the JWKS endpoint fails or is unreachable", async () => {
    const key = await makeKey();
    const jwks = await startJwks([key]);
    const stack = await startStack({ issuer: jwks.issuer });
    try {
      jwks.failing = true;
      const token = await idToken(key, jwks.issuer);
      const failing = await request(stack.gateway.url).get("/ping").set("Authorization", `Bearer ${token}`);
      expect(failing.status).toBe(503);
      expect(failing.body.error).toBe("auth_unavailable");

      await jwks.close();
      const refused = await request(stack.gateway.url).get("/ping").set("Authorization", `Bearer ${token}`);
      expect(refused.status).toBe(503);
    } finally {
      await stack.close();
    }
  });
});
