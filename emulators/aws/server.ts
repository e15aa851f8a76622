/**
 * The AWS emulator: one HTTP server (default 127.0.0.1:4566) for every emulated service.
 * Reads the request, asks the router which service and protocol it is for, runs the operation,
 * and writes the answer in that protocol's shape. State is in memory, or journaled to `dataDir`.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import type { Logger } from "pino";
import { createCloudWatch } from "./cloudwatch/index.ts";
import { AwsError, commonErrors } from "./core/aws-error.ts";
import { type Clock, type RequestContext, systemClock } from "./core/context.ts";
import {
  defaultSettings,
  type EmulatedService,
  type EmulatorSettings,
  type ServiceDeps,
} from "./core/emulated-service.ts";
import { type Journal, memoryJournal, openJournal, type Persistable } from "./core/persistence.ts";
import { createPorts } from "./core/ports.ts";
import { credentialScope, route } from "./core/router.ts";
import type { HttpRequest, HttpResponse, RpcService } from "./core/service.ts";
import { createEc2 } from "./ec2/index.ts";
import { createLogs } from "./logs/index.ts";
import { jsonError, jsonResponse, parseJsonRequest } from "./protocols/aws-json.ts";
import { parseQueryRequest, queryError, queryParams, queryResponse } from "./protocols/aws-query.ts";
import { createS3 } from "./s3/index.ts";
import { createSns } from "./sns/index.ts";
import { createSqs } from "./sqs/index.ts";

export interface EmulatorOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Persist state here; in memory when absent. */
  dataDir?: string;
  region?: string;
  accountId?: string;
  clock?: Clock;
  logger?: Logger;
  /** Overrides of the AWS-like timings (tests make them short). */
  settings?: Partial<EmulatorSettings>;
}

export interface Emulator {
  url: string;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Every emulated service, by the name its state is journaled under. */
const factories: Array<[string, (deps: ServiceDeps) => EmulatedService]> = [
  ["sqs", createSqs],
  ["s3", createS3],
  ["sns", createSns],
  ["cloudwatch", createCloudWatch],
  ["logs", createLogs],
  ["ec2", createEc2],
];

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? "000000000000";
  const clock = options.clock ?? systemClock;
  const log = options.logger;

  let journal: Journal = memoryJournal;
  const settings: EmulatorSettings = {
    ...defaultSettings,
    ...options.settings,
    ec2: { ...defaultSettings.ec2, ...options.settings?.ec2 },
  };
  const { ports, provide } = createPorts();
  const services = factories.map(([name, create]) =>
    create({ clock, region, accountId, ports, settings, record: (change) => journal.record(name, change) }),
  );
  for (const s of services) if (s.provides) provide(s.provides);
  if (options.dataDir) {
    const persistable: Record<string, Persistable> = {};
    for (const s of services) if (s.persistence) persistable[s.name] = s.persistence;
    journal = openJournal(options.dataDir, persistable);
  }
  const rpcServices = services.flatMap((s) => (s.rpc ? [s.rpc] : []));
  const s3 = services.find((s) => s.rest);

  const server = http.createServer((req, res) => {
    readBody(req)
      .then((body) => handle(inflateRpcBody(toHttpRequest(req, body))))
      .catch((err: unknown) => errorResponse(undefined, err, randomUUID(), "query"))
      .then((answer) => {
        journal.flush();
        // An explicit length keeps the answer out of chunked encoding, which clients parse slower.
        // (HEAD answers carry their own length with no body.)
        res.writeHead(answer.status, { "content-length": Buffer.byteLength(answer.body), ...answer.headers });
        res.end(answer.body);
      });
  });
  server.keepAliveTimeout = 65_000;

  async function handle(req: HttpRequest): Promise<HttpResponse> {
    const requestId = randomUUID();
    const scope = credentialScope(req);
    const ctx: RequestContext = {
      region: scope.region ?? region,
      accountId,
      endpoint: `http://${req.headers.host ?? `${options.host ?? "127.0.0.1"}:${port}`}`,
      requestId,
    };
    let paramsCache: Map<string, string> | undefined;
    const params = () => {
      paramsCache ??= queryParams(req);
      return paramsCache;
    };
    const r = route(req, rpcServices, params);
    switch (r.kind) {
      case "control":
        return control(req);
      case "json": {
        try {
          const { action, input } = parseJsonRequest(req, r.service);
          const output = await run(r.service, action, input, ctx);
          return jsonResponse(r.service, output, requestId);
        } catch (err) {
          return errorResponse(r.service, err, requestId, "json");
        }
      }
      case "query": {
        try {
          if (!r.service) throw commonErrors.invalidAction(params().get("Action") ?? "", "query");
          const { action, input } = parseQueryRequest(r.params, r.service);
          const output = await run(r.service, action, input, ctx);
          return queryResponse(r.service, action, output, requestId);
        } catch (err) {
          return errorResponse(r.service, err, requestId, "query");
        }
      }
      case "s3":
        if (!s3?.rest)
          return errorResponse(undefined, commonErrors.invalidAction(req.path, "s3"), requestId, "query");
        return s3.rest(req, ctx);
      case "unknown":
        return errorResponse(undefined, commonErrors.unknownOperation(r.reason), requestId, "query");
    }
  }

  async function run(
    service: RpcService,
    action: string,
    input: Record<string, unknown>,
    ctx: RequestContext,
  ) {
    const op = service.operations[action];
    if (!op) throw commonErrors.invalidAction(action, service.name);
    return op(input, ctx);
  }

  function errorResponse(
    service: RpcService | undefined,
    err: unknown,
    requestId: string,
    protocol: "json" | "query",
  ): HttpResponse {
    const awsError = err instanceof AwsError ? err : commonErrors.internalFailure();
    if (!(err instanceof AwsError)) log?.error({ err, requestId }, "unexpected error in operation");
    return protocol === "json" && service
      ? jsonError(service, awsError, requestId)
      : queryError(service, awsError, requestId);
  }

  async function control(req: HttpRequest): Promise<HttpResponse> {
    const owner = services.find((s) => req.path.startsWith(`/_emulator/${s.name}/`));
    const answer = owner?.control ? await owner.control(req) : undefined;
    if (answer) return answer;
    if (req.path === "/_emulator/health" && req.method === "GET") {
      const body = {
        status: "running",
        persistence: journal.dataDir ? { dataDir: journal.dataDir } : "memory",
        services: Object.fromEntries(services.map((s) => [s.name, { state: "running", ...s.health() }])),
      };
      return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
    }
    return {
      status: 404,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        error: `no control route ${req.method} ${req.path}; try GET /_emulator/health`,
      }),
    };
  }

  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 4566, options.host ?? "127.0.0.1", () => {
      resolve((server.address() as AddressInfo).port);
    });
  });
  const url = `http://${options.host ?? "127.0.0.1"}:${port}`;
  log?.info({ url, dataDir: options.dataDir ?? null }, "aws emulator listening");

  return {
    url,
    port,
    async close() {
      for (const s of services) s.close?.();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      journal.close();
    },
  };
}

function toHttpRequest(req: http.IncomingMessage, body: Buffer): HttpRequest {
  const url = new URL(req.url ?? "/", "http://emulator");
  return {
    method: req.method ?? "GET",
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    body,
  };
}

/**
 * The SDKs gzip large bodies of operations with the requestCompression trait (PutMetricData over
 * 10 KiB). That is transport encoding for the RPC protocols; for S3 `Content-Encoding` is object
 * metadata and the bytes are stored as sent, so only non-S3 requests are inflated.
 */
function inflateRpcBody(req: HttpRequest): HttpRequest {
  const encoding = String(req.headers["content-encoding"] ?? "").toLowerCase();
  if (!encoding.includes("gzip") || credentialScope(req).service === "s3") return req;
  const rpc =
    req.headers["x-amz-target"] !== undefined ||
    String(req.headers["content-type"] ?? "").includes("application/x-www-form-urlencoded");
  if (!rpc) return req;
  try {
    return { ...req, body: gunzipSync(req.body, { maxOutputLength: MAX_BODY_BYTES }) };
  } catch {
    throw commonErrors.serialization("The request body says Content-Encoding: gzip but is not valid gzip.");
  }
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(
          new AwsError("RequestEntityTooLarge", `Request body is larger than ${MAX_BODY_BYTES} bytes.`, {
            status: 413,
          }),
        );
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
