// biome-ignore-all lint/suspicious/noExplicitAny: the tests bend valid config into invalid shapes.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  configJsonSchema,
  defaultConfigPath,
  loadConfig,
  type PlatformConfig,
  parseConfig,
} from "../../services/lib/config.ts";
import { problems } from "../helpers/config.ts";

const good = (): PlatformConfig => structuredClone(loadConfig(defaultConfigPath));

describe("loadConfig", () => {
  it("loads the committed config with the contract names", () => {
    const config = loadConfig();
    expect(config.queues.jobs.name).toBe("tinyllama-job-queue.fifo");
    expect(config.queues.deadLetter.name).toBe("failed-tinyllama-jobs-dlq.fifo");
    expect(config.queues.jobs.maxReceiveCount).toBe(3);
    expect(config.alertTopic).toBe("tinyllama-alerts");
    expect(config.logs).toMatchObject({
      accessLogGroup: "/apigw/tinyllama-access",
      accessLogRetentionDays: 30,
    });
    expect(config.metricNamespace).toBe("TinyLlama");
    expect(config.bucket).toBe("tinyllama-jobs");
    expect(config.gpu.nameTag).toBe("tinyllama-gpu");
    expect(config.ports.emulator).toBe(4566);
    const admins = config.users.filter((u) => u.groups.includes("admins"));
    expect(admins.length).toBeGreaterThanOrEqual(1);
    expect(config.users.length - admins.length).toBeGreaterThanOrEqual(2);
  });

  it("reads the path from TINYLLAMA_CONFIG when none is given", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "config-"));
    const file = path.join(dir, "other.json");
    fs.writeFileSync(file, JSON.stringify({ ...good(), bucket: "other-bucket" }));
    expect(loadConfig(undefined, { TINYLLAMA_CONFIG: file }).bucket).toBe("other-bucket");
    fs.rmSync(dir, { recursive: true });
  });

  it("names the file and the fix when the file is missing or not JSON", () => {
    expect(() => loadConfig("/nonexistent/platform.json")).toThrow(
      /\/nonexistent\/platform.json: cannot be read .*TINYLLAMA_CONFIG/,
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "config-"));
    const file = path.join(dir, "broken.json");
    fs.writeFileSync(file, "{ nope");
    expect(() => loadConfig(file)).toThrow(/broken.json: is not valid JSON/);
    fs.rmSync(dir, { recursive: true });
  });
});

describe("parseConfig rejects a bad file with the field path and the fix", () => {
  it.each([
    [
      "maxReceiveCount 0",
      (c: any) => (c.queues.jobs.maxReceiveCount = 0),
      "queues.jobs.maxReceiveCount must be an integer 1..1000",
    ],
    [
      "maxReceiveCount 2.5",
      (c: any) => (c.queues.jobs.maxReceiveCount = 2.5),
      "queues.jobs.maxReceiveCount must be an integer 1..1000",
    ],
    [
      "a missing port",
      (c: any) => delete c.ports.cognito,
      "ports.cognito is missing: add it (see config/platform.schema.json)",
    ],
    [
      "a missing section",
      (c: any) => delete c.limits,
      "limits is missing: add it (see config/platform.schema.json)",
    ],
    [
      "an unknown key",
      (c: any) => (c.queus = {}),
      "queus is not a known setting: remove it or fix its spelling",
    ],
    [
      "a nested unknown key",
      (c: any) => (c.gpu.nametag = "x"),
      "gpu.nametag is not a known setting: remove it or fix its spelling",
    ],
    [
      "a non-FIFO queue",
      (c: any) => (c.queues.deadLetter.name = "dlq"),
      "queues.deadLetter.name must be a FIFO queue name",
    ],
    [
      "a bad retention",
      (c: any) => (c.logs.accessLogRetentionDays = 31),
      "logs.accessLogRetentionDays must be one of the CloudWatch Logs retention periods",
    ],
    ["a bad bucket", (c: any) => (c.bucket = "Tiny_Llama"), "bucket must be an S3 bucket name"],
    [
      "a wrong type",
      (c: any) => (c.queues.jobs.contentBasedDeduplication = "yes"),
      "queues.jobs.contentBasedDeduplication must be true or false",
    ],
    ["a region typo", (c: any) => (c.region = "us-east"), "region must be an AWS region such as us-east-1"],
    [
      "no admin",
      (c: any) => (c.users = c.users.filter((u: any) => !u.groups.includes("admins"))),
      'users must hold at least two ordinary users and one in group "admins"',
    ],
    [
      "one ordinary user",
      (c: any) => c.users.splice(0, 1),
      'users must hold at least two ordinary users and one in group "admins"',
    ],
    ["a duplicate user", (c: any) => c.users.push({ ...c.users[0] }), "users has alice twice"],
    [
      "a short password",
      (c: any) => (c.users[0].password = "short"),
      "users.0.password must be at least 8 characters",
    ],
    [
      "the same queue twice",
      (c: any) => (c.queues.deadLetter.name = c.queues.jobs.name),
      "queues.deadLetter.name must differ from queues.jobs.name",
    ],
  ])("%s", (_label, mutate, expected) => {
    const config = good();
    mutate(config);
    const found = problems(config);
    expect(
      found.some((p) => p.startsWith(expected)),
      found.join("\n"),
    ).toBe(true);
  });

  it("prefixes every problem with the file in the error message", () => {
    const config: any = good();
    config.queues.jobs.maxReceiveCount = 0;
    expect(() => parseConfig(config, "config/platform.json")).toThrow(
      "config/platform.json: queues.jobs.maxReceiveCount must be an integer 1..1000",
    );
  });

  it("rejects something that is not an object", () => {
    expect(problems([])).toEqual(["the file must be an object"]);
  });
});

describe("config/platform.schema.json", () => {
  it("is current: regenerate it with `npm run config:schema`", () => {
    const committed = JSON.parse(
      fs.readFileSync(path.join(path.dirname(defaultConfigPath), "platform.schema.json"), "utf8"),
    );
    expect(committed).toEqual(configJsonSchema());
  });

  it("describes the fields the loader checks", () => {
    const schema = configJsonSchema() as { required: string[]; additionalProperties: boolean };
    expect(schema.required).toContain("queues");
    expect(schema.additionalProperties).toBe(false);
  });
});
