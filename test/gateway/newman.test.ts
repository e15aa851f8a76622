/**
 * CI job `api_hardening_spec` (API-003): the Postman collection, run by newman against a gateway
 * in front of the mock Cognito and the AWS emulator, with real tokens from InitiateAuth passed as
 * collection variables.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cognito, createCognito } from "../../emulators/cognito/server.ts";
import { loadConfig, repoRoot } from "../../services/lib/config.ts";
import { login, type Stack, startStack } from "./helpers.ts";

const collectionPath = path.join(repoRoot, "test", "postman", "api_hardening_spec.postman_collection.json");
const newmanBin = path.join(repoRoot, "node_modules", ".bin", "newman");

describe("api_hardening_spec (newman)", () => {
  const config = loadConfig();
  let cognito: Cognito;
  let stack: Stack;

  beforeAll(async () => {
    cognito = await createCognito({ port: 0, config });
    stack = await startStack({
      issuer: cognito.issuer,
      audience: config.cognito.clients.map((c) => c.clientId),
    });
  });
  afterAll(async () => {
    await stack?.close();
    await cognito?.close();
  });

  it("accepts the mock Cognito's ID token and refuses its access token (403)", async () => {
    const [user] = config.users;
    const client = config.cognito.clients[0]?.clientId ?? "";
    if (!user) throw new Error("config has no users");
    const tokens = await login(cognito.url, client, user.username, user.password);
    const ping = (token: string) =>
      fetch(`${stack.gateway.url}/ping`, { headers: { authorization: `Bearer ${token}` } });
    expect((await ping(tokens.IdToken)).status).toBe(200);
    const access = await ping(tokens.AccessToken);
    expect(access.status).toBe(403);
    expect(await access.json()).toEqual({ error: "invalid_token" });
  });

  it("passes every assertion of the collection", async () => {
    const client = config.cognito.clients[0]?.clientId ?? "";
    const [alice, bob] = config.users.filter((u) => !u.groups.includes("admins"));
    if (!alice || !bob) throw new Error("config needs two ordinary users");
    const token = (await login(cognito.url, client, alice.username, alice.password)).IdToken;
    const rapidToken = (await login(cognito.url, client, bob.username, bob.password)).IdToken;

    const collection = JSON.parse(fs.readFileSync(collectionPath, "utf8"));
    collection.variable = [
      { key: "baseUrl", value: stack.gateway.url },
      { key: "token", value: token },
      { key: "rapidToken", value: rapidToken },
    ];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "newman-"));
    const file = path.join(dir, "api_hardening_spec.postman_collection.json");
    const report = path.join(dir, "report.json");
    fs.writeFileSync(file, JSON.stringify(collection));
    try {
      await promisify(execFile)(
        newmanBin,
        ["run", file, "--reporters", "cli,json", "--reporter-json-export", report, "--color", "off"],
        { env: { ...process.env, NODE_NO_WARNINGS: "1" } },
      ).catch((err: { stdout?: string; stderr?: string; code?: number }) => {
        throw new Error(`newman exited ${err.code}:\n${err.stdout}\n${err.stderr}`);
      });
      const { run } = JSON.parse(fs.readFileSync(report, "utf8"));
      expect(run.failures).toEqual([]);
      expect(run.stats.assertions).toEqual({ total: 9, pending: 0, failed: 0 });
      expect(run.stats.requests.total).toBe(9); // 3 single requests + 6 rapid calls
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
