// biome-ignore-all lint/suspicious/noExplicitAny: the tests bend valid config into invalid shapes.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../services/lib/config.ts";
import { problems } from "../helpers/config.ts";

const good = () => structuredClone(loadConfig()) as any;

describe("config: cognito section", () => {
  it("holds the pool, a public and a confidential client with the contract callbacks", () => {
    const { cognito } = loadConfig();
    expect(cognito.userPoolId).toMatch(/^us-east-1_[A-Za-z0-9]{9}$/);
    const [pub, conf] = cognito.clients;
    expect(pub?.clientSecret).toBeUndefined();
    expect(conf?.clientSecret).toMatch(/^[a-z0-9]{51,52}$/);
    for (const client of cognito.clients) {
      expect(client.clientId).toMatch(/^[a-z0-9]{26}$/);
      expect(client.callbackUrls).toEqual(
        expect.arrayContaining(["http://127.0.0.1:8765/callback", "http://localhost:5173/callback"]),
      );
      expect(client.scopes).toEqual(["openid", "email", "profile"]);
    }
    expect(cognito.tokenValidity).toEqual({
      idTokenMinutes: 60,
      accessTokenMinutes: 60,
      refreshTokenDays: 30,
    });
    expect(cognito.allowAnyLoopbackPort).toBe(false);
  });

  it("names the field and the rule for bad values", () => {
    const c = good();
    c.cognito.userPoolId = "us-east-1_short";
    c.cognito.clients[0].clientId = "ABC";
    c.cognito.clients[0].scopes = ["openid", "admin"];
    c.cognito.clients[1].callbackUrls = ["not a url"];
    expect(problems(c)).toEqual([
      "cognito.userPoolId must be a user pool id such as us-east-1_TinyLlama",
      "cognito.clients.0.clientId must be 26 lowercase letters or digits, like a Cognito app client id",
      "cognito.clients.0.scopes.1 must be one of openid, email, phone, profile, aws.cognito.signin.user.admin",
      "cognito.clients.1.callbackUrls.0 must be an http(s) URL, matched exactly (scheme, host, port, path, trailing slash)",
    ]);
  });

  it("rejects duplicate client ids and a pool id of another region", () => {
    const c = good();
    c.cognito.clients[1].clientId = c.cognito.clients[0].clientId;
    c.cognito.userPoolId = "eu-west-1_TinyLlama";
    expect(problems(c)).toEqual([
      `cognito.clients has client id ${c.cognito.clients[0].clientId} twice: client ids must be unique`,
      "cognito.userPoolId must start with the region: us-east-1_ (Cognito pool ids do)",
    ]);
  });
});
