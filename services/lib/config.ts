/**
 * The platform's one config source, `config/platform.json`: its schema and a typed loader.
 * Every setting is validated here so a typo fails at start-up with the field's path and the fix,
 * not later as an AWS error. `config/platform.schema.json` is generated from this schema
 * (`npm run config:schema`) for editors and Terraform users.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** Repository root, found from this file so the loader works from any working directory. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const defaultConfigPath = path.join(repoRoot, "config", "platform.json");

// Custom messages start with a verb phrase: the loader prefixes them with the field's path.
const MISSING = "is missing: add it (see config/platform.schema.json)";
const says = (text: string) => (issue: { input?: unknown }) => (issue.input === undefined ? MISSING : text);

const int = (min: number, max: number) => {
  const error = says(`must be an integer ${min}..${max}`);
  return z.int({ error }).min(min, { error }).max(max, { error });
};
const text = (pattern: RegExp, rule: string) => {
  const error = says(`must be ${rule}`);
  return z.string({ error }).regex(pattern, { error });
};
const bool = () => z.boolean({ error: says("must be true or false") });
const port = () => int(1, 65535);

/** SQS FIFO names: 1..80 chars of [A-Za-z0-9_-], ending in `.fifo`. */
const fifoName = () =>
  text(/^[A-Za-z0-9_-]{1,75}\.fifo$/, "a FIFO queue name: up to 80 of A-Z a-z 0-9 _ - ending in .fifo");

/** CloudWatch Logs accepts only these retention periods (PutRetentionPolicy). */
const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const user = z.strictObject({
  username: text(/^[\w.@+-]{1,128}$/, "1..128 of letters, digits and . @ + - _"),
  password: text(/^.{8,}$/, "at least 8 characters (the Cognito default policy)"),
  email: text(/^[^@\s]+@[^@\s]+$/, "an e-mail address"),
  groups: z.array(text(/^[\w.@+-]{1,128}$/, "a group name"), {
    error: says('must be a list, e.g. ["admins"]'),
  }),
});

/** OAuth scopes an app client may be allowed (Cognito's standard and reserved ones). */
export const COGNITO_SCOPES = [
  "openid",
  "email",
  "phone",
  "profile",
  "aws.cognito.signin.user.admin",
] as const;
/** The ExplicitAuthFlows the mock understands (cognito-idp InitiateAuth). */
export const COGNITO_AUTH_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"] as const;

const url = (rule: string) =>
  z.url({ error: says(`must be ${rule}`), protocol: /^https?$/, normalize: false });

/** One scheduled handler: its rate and its time budget per invocation. */
const schedule = (what: string) =>
  z
    .strictObject({
      everySeconds: int(1, 86_400).describe(
        "How often it runs (an EventBridge rate on AWS, where 60 is the least). The local harness may override it.",
      ),
      timeoutSeconds: int(1, 900).describe("Its Lambda timeout: how long one invocation may run."),
    })
    .describe(what);

const cognitoClient = z.strictObject({
  name: text(/^[\w\s+=,.@-]{1,128}$/, "a client name: 1..128 of letters, digits, spaces and + = , . @ - _"),
  clientId: text(/^[a-z0-9]{26}$/, "26 lowercase letters or digits, like a Cognito app client id"),
  clientSecret: text(
    /^[a-z0-9]{51,52}$/,
    "51 or 52 lowercase letters or digits, like a Cognito client secret",
  )
    .optional()
    .describe("Present for a confidential client; a public client (CLI, browser) has none."),
  callbackUrls: z
    .array(url("an http(s) URL, matched exactly (scheme, host, port, path, trailing slash)"), {
      error: says('must be a list of URLs, e.g. ["http://127.0.0.1:8765/callback"]'),
    })
    .describe("Allowed redirect_uri values (Cognito CallbackURLs)."),
  logoutUrls: z
    .array(url("an http(s) URL"), { error: says("must be a list of URLs") })
    .describe("Allowed logout_uri values (Cognito LogoutURLs)."),
  scopes: z
    .array(z.enum(COGNITO_SCOPES, { error: says(`must be one of ${COGNITO_SCOPES.join(", ")}`) }), {
      error: says('must be a list of scopes, e.g. ["openid", "email", "profile"]'),
    })
    .describe("AllowedOAuthScopes."),
  authFlows: z
    .array(z.enum(COGNITO_AUTH_FLOWS, { error: says(`must be one of ${COGNITO_AUTH_FLOWS.join(", ")}`) }), {
      error: says('must be a list, e.g. ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]'),
    })
    .describe("ExplicitAuthFlows for InitiateAuth."),
  preventUserExistenceErrors: bool()
    .optional()
    .describe("Cognito's PreventUserExistenceErrors: true (ENABLED, the default) or false (LEGACY)."),
});

const cognito = z
  .strictObject({
    userPoolId: text(/^[a-z]{2}(-[a-z]+)+-\d_[A-Za-z0-9]{9}$/, "a user pool id such as us-east-1_TinyLlama"),
    clients: z.array(cognitoClient, { error: says("must be a list of app clients") }),
    tokenValidity: z.strictObject({
      idTokenMinutes: int(5, 1440),
      accessTokenMinutes: int(5, 1440),
      refreshTokenDays: int(1, 3650),
    }),
    allowAnyLoopbackPort: bool().describe(
      "Opt-in RFC 8252 7.3: a registered http://127.0.0.1|localhost|[::1] callback matches on any port. Real Cognito matches exactly: keep false to catch that.",
    ),
  })
  .describe("Mock Cognito user pool (emulators/cognito); its users are `users`.");

export const configSchema = z
  .strictObject({
    $schema: z.string().optional().describe("Path of this schema, for editors."),
    region: text(/^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region such as us-east-1"),
    accountId: text(/^\d{12}$/, "12 digits, e.g. 000000000000"),
    ports: z
      .strictObject({
        emulator: port(),
        cognito: port(),
        gateway: port(),
        gpuRuntime: port(),
        console: port(),
      })
      .describe("Local ports, all on 127.0.0.1 in embedded mode."),
    queues: z.strictObject({
      jobs: z.strictObject({
        name: fifoName(),
        visibilityTimeoutSeconds: int(0, 43_200),
        messageRetentionSeconds: int(60, 1_209_600),
        contentBasedDeduplication: bool(),
        maxReceiveCount: int(1, 1000).describe("Receives before a job moves to the dead-letter queue."),
      }),
      deadLetter: z.strictObject({
        name: fifoName(),
        messageRetentionSeconds: int(60, 1_209_600),
      }),
    }),
    bucket: text(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an S3 bucket name: 3..63 of a-z 0-9 . -"),
    alertTopic: text(/^[A-Za-z0-9_-]{1,256}$/, "an SNS topic name: 1..256 of A-Z a-z 0-9 _ -"),
    logs: z.strictObject({
      accessLogGroup: text(/^[\w.\-/#]{1,512}$/, "a log group name: 1..512 of letters, digits and _ - / . #"),
      accessLogRetentionDays: z.literal(RETENTION_DAYS, {
        error: says(`must be one of the CloudWatch Logs retention periods: ${RETENTION_DAYS.join(", ")}`),
      }),
      jobLogGroup: text(
        /^[\w.\-/#]{1,512}$/,
        "a log group name: 1..512 of letters, digits and _ - / . #",
      ).describe(
        "One structured event per job transition (queued, delivered, processed, failed, dead-lettered).",
      ),
      jobLogRetentionDays: z.literal(RETENTION_DAYS, {
        error: says(`must be one of the CloudWatch Logs retention periods: ${RETENTION_DAYS.join(", ")}`),
      }),
    }),
    alarms: z.strictObject({
      periodSeconds: z
        .literal([10, 20, 30, 60, 120, 300], {
          error: says("must be 10, 20, 30 or a multiple of 60 up to 300"),
        })
        .describe("Period of the provisioned alarms (AWS/SQS metrics are per minute on AWS; 60 there)."),
      queueDepthThreshold: int(1, 1_000_000).describe(
        "Alarm when the job queue holds more visible messages.",
      ),
    }),
    metricNamespace: text(
      /^[^:][^:]{0,254}$/,
      "a CloudWatch namespace: 1..255 characters, not starting with :",
    ),
    gpu: z.strictObject({
      nameTag: text(/^.{1,256}$/, "the value of the instance's Name tag (1..256 characters)"),
      instanceType: text(/^[a-z0-9-]+\.[a-z0-9]+$/, "an EC2 instance type such as g4dn.xlarge"),
      idleStopSeconds: int(60, 86_400),
    }),
    limits: z.strictObject({
      burstPerSecond: int(1, 10_000),
      requestsPerMinute: int(1, 600_000),
      maxRequestBodyBytes: int(1, 10_485_760),
      maxTokens: int(1, 32_768),
    }),
    gpuRuntime: z
      .strictObject({
        backend: z
          .enum(["auto", "cpu", "cuda"], { error: says("must be auto, cpu or cuda") })
          .describe(
            "auto: CUDA, then Vulkan, then CPU; cuda fails at start when CUDA is not usable. Env GPU_RUNTIME_BACKEND.",
          ),
        model: text(
          /^(tiny|tinyllama|.+\.gguf)$/,
          "tiny or tinyllama (a generated random-weight model) or the path of a .gguf file",
        ).describe(
          "The model: a generator preset or a GGUF path (relative to the repository). Env MODEL_PATH.",
        ),
        modelSha256: text(/^[0-9a-f]{64}$/, "64 lowercase hex digits")
          .optional()
          .describe("Checked before a GGUF file is loaded. Env MODEL_SHA256."),
        threads: int(0, 256).describe(
          "CPU threads; 0 picks: 1 for models under 64 MB, else one per core. Env GPU_RUNTIME_THREADS.",
        ),
        contextSize: int(64, 32_768).describe(
          "Tokens per request (prompt + answer), at most the model's own.",
        ),
        slots: int(1, 16).describe("Requests evaluated at once; more wait in order."),
      })
      .default({ backend: "auto", model: "tiny", threads: 0, contextSize: 2048, slots: 1 })
      .describe("The GPU runtime (services/gpu-runtime): inference backend and model."),
    handlers: z
      .strictObject({
        waker: schedule("Starts the GPU instance when jobs wait (also run after each enqueue)."),
        watchdog: schedule(
          "Stops the GPU instance once the queue is empty and no job finished for gpu.idleStopSeconds.",
        ),
        deadLetters: schedule("Marks the dead-letter queue's jobs dead-lettered (the messages stay)."),
      })
      .default({
        waker: { everySeconds: 60, timeoutSeconds: 120 },
        watchdog: { everySeconds: 60, timeoutSeconds: 30 },
        deadLetters: { everySeconds: 60, timeoutSeconds: 60 },
      })
      .describe(
        "The scheduled Lambda-shaped handlers (services/handlers): EventBridge rates and Lambda timeouts on AWS, the trigger harness locally.",
      ),
    gateway: z
      .strictObject({
        allowedOrigins: z
          .array(
            text(
              /^[a-z][a-z0-9+.-]*:\/\/(\*|[^/:*\s]+(:(\d{1,5}|\*))?)$/,
              "an origin pattern: scheme://host, scheme://host:port, scheme://host:* (any port) or scheme://* (any host)",
            ),
            { error: says('must be a list, e.g. ["http://localhost:*"]') },
          )
          .describe("CORS: origins allowed to call the gateway from a browser or app."),
        model: text(/^[\w.:-]{1,128}$/, "a model name: 1..128 of letters, digits and . : - _").describe(
          "The model recorded in each job and sent as its Model message attribute.",
        ),
      })
      .describe("The HTTP API (services/gateway)."),
    users: z.array(user, { error: says("must be a list of users") }).describe("Local Cognito users."),
    cognito,
  })
  .superRefine((config, ctx) => {
    const names = config.users.map((u) => u.username);
    const dup = names.find((name, i) => names.indexOf(name) !== i);
    if (dup)
      ctx.addIssue({
        code: "custom",
        path: ["users"],
        message: `has ${dup} twice: usernames must be unique`,
      });
    const admins = config.users.filter((u) => u.groups.includes("admins")).length;
    const ordinary = config.users.length - admins;
    if (admins < 1 || ordinary < 2)
      ctx.addIssue({
        code: "custom",
        path: ["users"],
        message: `must hold at least two ordinary users and one in group "admins" (has ${ordinary} and ${admins})`,
      });
    const clientIds = config.cognito.clients.map((c) => c.clientId);
    const dupClient = clientIds.find((id, i) => clientIds.indexOf(id) !== i);
    if (dupClient)
      ctx.addIssue({
        code: "custom",
        path: ["cognito", "clients"],
        message: `has client id ${dupClient} twice: client ids must be unique`,
      });
    if (!config.cognito.userPoolId.startsWith(`${config.region}_`))
      ctx.addIssue({
        code: "custom",
        path: ["cognito", "userPoolId"],
        message: `must start with the region: ${config.region}_ (Cognito pool ids do)`,
      });
    if (config.queues.jobs.name === config.queues.deadLetter.name)
      ctx.addIssue({
        code: "custom",
        path: ["queues", "deadLetter", "name"],
        message: "must differ from queues.jobs.name",
      });
  });

export type PlatformConfig = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  readonly file: string;
  readonly problems: string[];
  constructor(file: string, problems: string[], options?: ErrorOptions) {
    super(problems.map((p) => `${file}: ${p}`).join("\n"), options);
    this.name = "ConfigError";
    this.file = file;
    this.problems = problems;
  }
}

/**
 * Reads and validates the config. The path is, in order: the argument, `TINYLLAMA_CONFIG`,
 * `config/platform.json` in the repository.
 */
export function loadConfig(file?: string, env: NodeJS.ProcessEnv = process.env): PlatformConfig {
  const chosen = file ?? env.TINYLLAMA_CONFIG ?? defaultConfigPath;
  const shown = displayPath(chosen);
  let raw: string;
  try {
    raw = fs.readFileSync(chosen, "utf8");
  } catch (err) {
    throw new ConfigError(
      shown,
      [`cannot be read (${(err as Error).message}); check the path or TINYLLAMA_CONFIG`],
      {
        cause: err,
      },
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(shown, [`is not valid JSON: ${(err as Error).message}`], { cause: err });
  }
  return parseConfig(data, shown);
}

/** Validates already-parsed config data; `file` only labels the messages. */
export function parseConfig(data: unknown, file = "config"): PlatformConfig {
  const result = configSchema.safeParse(data, {
    error: (issue) => (issue.input === undefined ? MISSING : undefined),
  });
  if (result.success) return result.data;
  throw new ConfigError(file, result.error.issues.map(describeIssue));
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const at = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => (at ? `${at}.${k}` : k)).join(", ");
    return `${keys} ${issue.keys.length > 1 ? "are not known settings" : "is not a known setting"}: remove it or fix its spelling`;
  }
  if (issue.code === "invalid_type" && issue.message.startsWith("Invalid input")) {
    return `${at || "the file"} must be ${article(issue.expected)}`;
  }
  return `${at || "the file"} ${issue.message}`;
}

const article = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
}

/** The JSON Schema written to `config/platform.schema.json`. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" });
  return { ...schema, title: "TinyLlama platform config", $id: "platform.schema.json" };
}
