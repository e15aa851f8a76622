/**
 * AWS JSON 1.0 / 1.1 (`x-amz-target: Prefix.Action`, JSON body). Used by SQS (query-compatible)
 * and later CloudWatch, Logs. Errors: `{"__type": "<ns>#<Code>", "message"}` and, for
 * query-compatible services, `x-amzn-query-error: <queryCode>;Sender|Receiver`, which the SDK
 * reads to recover legacy error codes.
 */
import { AwsError, commonErrors } from "../core/aws-error.ts";
import type { HttpRequest, HttpResponse, Input, RpcService } from "../core/service.ts";

export function parseJsonRequest(req: HttpRequest, service: RpcService): { action: string; input: Input } {
  const target = String(req.headers["x-amz-target"] ?? "");
  const dot = target.lastIndexOf(".");
  const action = dot >= 0 ? target.slice(dot + 1) : "";
  if (!action) throw commonErrors.unknownOperation(target);
  if (!Object.hasOwn(service.operations, action)) throw commonErrors.unknownOperation(target);
  const text = req.body.toString("utf8").trim();
  if (text === "") return { action, input: {} };
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    throw commonErrors.serialization("The request body is not valid JSON.");
  }
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw commonErrors.serialization("The request body must be a JSON object.");
  }
  return { action, input: input as Input };
}

function contentType(service: RpcService): string {
  return `application/x-amz-json-${service.json?.version ?? "1.0"}`;
}

export function jsonResponse(service: RpcService, output: unknown, requestId: string): HttpResponse {
  return {
    status: 200,
    headers: { "content-type": contentType(service), "x-amzn-requestid": requestId },
    body: JSON.stringify(output ?? {}),
  };
}

export function jsonError(service: RpcService, err: AwsError, requestId: string): HttpResponse {
  const headers: Record<string, string> = {
    "content-type": contentType(service),
    "x-amzn-requestid": requestId,
  };
  if (service.json?.queryCompatible) {
    headers["x-amzn-query-error"] = `${err.queryCode};${err.senderFault ? "Sender" : "Receiver"}`;
  }
  const ns = service.json?.namespace;
  return {
    status: err.status,
    headers,
    body: JSON.stringify({
      __type: ns ? `${ns}#${err.code}` : err.code,
      message: err.message,
      ...err.fields,
    }),
  };
}

export { AwsError };
