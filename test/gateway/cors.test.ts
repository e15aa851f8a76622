/**
 * CORS: origins parsed exactly against the configured patterns, 204 preflights with the allowed
 * methods and headers, 403 for a disallowed origin on the preflight and on the request itself,
 * and requests without Origin left alone. The disallowed preflight's access-log line is read
 * back from the log group through the CloudWatch Logs API.
 */
import { GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { GetQueueAttributesCommand, GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isOriginAllowed, parseOrigin, parseOriginPattern } from "../../services/gateway/cors.ts";
import { createLogsClient, createSqsClient } from "../../services/lib/aws-clients.ts";
import {
  idToken,
  type JwksServer,
  makeKey,
  type SigningKey,
  type Stack,
  startJwks,
  startStack,
} from "./helpers.ts";

const defaults = ["http://localhost:*", "capacitor://*"].map(parseOriginPattern);

describe("origin matching (defaults: http://localhost:* and capacitor://*)", () => {
  it.each([
    "http://localhost",
    "http://localhost:5173",
    "http://localhost:1",
    "http://localhost:65535",
    "capacitor://localhost",
    "capacitor://app.example",
  ])("allows %s", (origin) => expect(isOriginAllowed(origin, defaults)).toBe(true));

  it.each([
    "http://localhost.evil.com",
    "http://localhost.evil.com:5173",
    "http://evil.com",
    "http://localhost:80x",
    "http://localhost:",
    "http://localhost:0",
    "http://localhost:65536",
    "http://localhost:08080",
    "https://localhost",
    "https://localhost:5173",
    "http://127.0.0.1:5173",
    "http://user@localhost:5173",
    "http://localhost:5173/",
    "http://localhost/path",
    "HTTP://localhost",
    "capacitor://",
    "null",
    "",
    " http://localhost",
    "file://",
  ])("refuses %j", (origin) => expect(isOriginAllowed(origin, defaults)).toBe(false));

  it("parses exact, any-port and any-host patterns", () => {
    expect(parseOriginPattern("https://app.example.com")).toEqual({
      scheme: "https",
      host: "app.example.com",
    });
    expect(parseOriginPattern("http://localhost:5173")).toEqual({
      scheme: "http",
      host: "localhost",
      port: 5173,
    });
    expect(isOriginAllowed("http://localhost:5174", [parseOriginPattern("http://localhost:5173")])).toBe(
      false,
    );
    expect(isOriginAllowed("https://app.example.com", [parseOriginPattern("https://app.example.com")])).toBe(
      true,
    );
    expect(() => parseOriginPattern("localhost:*")).toThrow(/not an origin pattern/);
    expect(parseOrigin("http://localhost:5173")).toEqual({ scheme: "http", host: "localhost", port: 5173 });
  });
});

describe("CORS through the gateway", () => {
  let key: SigningKey;
  let jwks: JwksServer;
  let stack: Stack;
  let token: string;
  const preflight = (origin: string, path = "/infer") =>
    request(stack.gateway.url)
      .options(path)
      .set("Origin", origin)
      .set("Access-Control-Request-Method", "POST")
      .set("Access-Control-Request-Headers", "authorization,content-type");

  beforeAll(async () => {
    key = await makeKey();
    jwks = await startJwks([key]);
    stack = await startStack({ issuer: jwks.issuer, logFlushIntervalMs: 100 });
    token = await idToken(key, jwks.issuer);
  });
  afterAll(async () => {
    await stack.close();
    await jwks.close();
  });

  it("answers an allowed preflight 204 with methods, headers and Max-Age", async () => {
    for (const origin of ["http://localhost:5173", "capacitor://localhost"]) {
      const res = await preflight(origin);
      expect(res.status).toBe(204);
      expect(res.headers["access-control-allow-origin"]).toBe(origin);
      expect(res.headers["access-control-allow-methods"]).toBe("POST, GET, OPTIONS");
      expect(res.headers["access-control-allow-headers"]).toBe("Authorization, Content-Type");
      expect(Number(res.headers["access-control-max-age"])).toBeGreaterThan(0);
      expect(res.headers.vary).toMatch(/Origin/);
    }
  });

  it.each(["http://evil.com", "http://localhost.evil.com", "http://localhost:80x", "https://localhost"])(
    "answers a preflight from %s with 403",
    async (origin) => {
      const res = await preflight(origin);
      expect(res.status).toBe(403);
      expect(res.body.error).toBe("origin_not_allowed");
      expect(res.headers["access-control-allow-origin"]).toBeUndefined();
    },
  );

  it("refuses the request itself from a disallowed origin, before it does anything", async () => {
    const sqs = createSqsClient({ endpoint: stack.emulator.url, region: stack.config.region });
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: stack.config.queues.jobs.name }));
    const depth = async () =>
      (
        await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
        )
      ).Attributes?.ApproximateNumberOfMessages;
    const before = await depth();
    const res = await request(stack.gateway.url)
      .post("/infer")
      .set("Origin", "http://evil.com")
      .set("Authorization", `Bearer ${token}`)
      .send({ prompt: "hi" });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe("origin_not_allowed");
    expect(await depth()).toBe(before);
  });

  it("adds CORS headers to an allowed request, errors included", async () => {
    const ok = await request(stack.gateway.url)
      .get("/ping")
      .set("Origin", "http://localhost:3000")
      .set("Authorization", `Bearer ${token}`);
    expect(ok.status).toBe(200);
    expect(ok.headers["access-control-allow-origin"]).toBe("http://localhost:3000");
    const unauthenticated = await request(stack.gateway.url)
      .get("/ping")
      .set("Origin", "http://localhost:3000");
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers["access-control-allow-origin"]).toBe("http://localhost:3000");
  });

  it("treats a request without Origin as no CORS request", async () => {
    const res = await request(stack.gateway.url).get("/ping").set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
    const options = await request(stack.gateway.url)
      .options("/infer")
      .set("Access-Control-Request-Method", "POST");
    expect(options.status).toBe(404);
  });

  it("logs the refused preflight from http://evil.com with its origin and status 403 in the access log group", async () => {
    const res = await preflight("http://evil.com").set("User-Agent", "cors-test/1");
    const requestId = String(res.headers["x-request-id"]);
    expect(res.status).toBe(403);
    await stack.gateway.accessLogs.flush();
    const logs = createLogsClient({ endpoint: stack.emulator.url, region: stack.config.region });
    const out = await logs.send(
      new GetLogEventsCommand({
        logGroupName: stack.config.logs.accessLogGroup,
        logStreamName: stack.gateway.accessLogs.stream,
        startFromHead: true,
      }),
    );
    const lines = (out.events ?? []).map((e) => JSON.parse(e.message ?? "{}"));
    const line = lines.find((l) => l.requestId === requestId);
    expect(line).toMatchObject({
      origin: "http://evil.com",
      status: 403,
      route: "OPTIONS /infer",
      jwtSub: null,
      userAgent: "cors-test/1",
    });
    expect(typeof line.latencyMs).toBe("number");
    expect(line.ip).toMatch(/127\.0\.0\.1/);
    expect(out.events?.find((e) => e.message?.includes(requestId))?.message).toContain(
      '"origin":"http://evil.com"',
    );
  });
});
