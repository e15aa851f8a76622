/**
 * AWS query protocol: form-encoded `Action=...&Version=...` (body or URL), XML answers wrapped in
 * `<ActionResponse><ActionResult>`, errors as `<ErrorResponse><Error>`. SQS (older clients),
 * and later SNS, CloudWatch and EC2 (its own variant) speak it. The per-operation shapes are the
 * service's `QueryBinding`; this file only knows the envelope.
 */
import { AwsError, commonErrors } from "../core/aws-error.ts";
import type { HttpRequest, HttpResponse, Input, RpcService } from "../core/service.ts";
import { el, toXml, XML_DECL } from "./xml.ts";

export function queryParams(req: HttpRequest): Map<string, string> {
  const params = new Map<string, string>();
  for (const [k, v] of req.query) params.set(k, v);
  const type = String(req.headers["content-type"] ?? "");
  if (req.body.length > 0 && type.includes("application/x-www-form-urlencoded")) {
    for (const [k, v] of new URLSearchParams(req.body.toString("utf8"))) params.set(k, v);
  }
  return params;
}

export function parseQueryRequest(
  params: Map<string, string>,
  service: RpcService,
): { action: string; input: Input } {
  const action = params.get("Action") ?? "";
  const binding = service.query;
  if (!binding) throw commonErrors.invalidAction(action, service.name);
  if (!action) throw commonErrors.missingParameter("Action");
  if (!Object.hasOwn(service.operations, action)) throw commonErrors.invalidAction(action, service.name);
  return { action, input: binding.decode(action, params) };
}

export function queryResponse(
  service: RpcService,
  action: string,
  output: unknown,
  requestId: string,
): HttpResponse {
  const binding = service.query;
  const result = binding ? binding.encode(action, output) : "";
  const xmlns = binding?.xmlns ?? "";
  if (binding?.flavor === "ec2") {
    const body = `${XML_DECL}<${action}Response xmlns="${xmlns}">${el("requestId", requestId)}${result}</${action}Response>`;
    return {
      status: 200,
      headers: { "content-type": "text/xml;charset=UTF-8", "x-amzn-requestid": requestId },
      body,
    };
  }
  const body =
    `${XML_DECL}<${action}Response xmlns="${xmlns}">` +
    (binding?.voidActions?.has(action) ? "" : `<${action}Result>${result}</${action}Result>`) +
    `<ResponseMetadata>${el("RequestId", requestId)}</ResponseMetadata></${action}Response>`;
  return { status: 200, headers: { "content-type": "text/xml", "x-amzn-requestid": requestId }, body };
}

export function queryError(service: RpcService | undefined, err: AwsError, requestId: string): HttpResponse {
  if (service?.query?.flavor === "ec2") {
    const body =
      `${XML_DECL}<Response><Errors><Error>${el("Code", err.queryCode)}${el("Message", err.message)}</Error></Errors>` +
      `${el("RequestID", requestId)}</Response>`;
    return {
      status: err.status,
      headers: { "content-type": "text/xml;charset=UTF-8", "x-amzn-requestid": requestId },
      body,
    };
  }
  const xmlns = service?.query?.xmlns ?? "";
  const body =
    `${XML_DECL}<ErrorResponse xmlns="${xmlns}"><Error>` +
    el("Type", err.senderFault ? "Sender" : "Receiver") +
    el("Code", err.queryCode) +
    el("Message", err.message) +
    Object.entries(err.fields ?? {})
      .map(([k, v]) => toXml(k, v))
      .join("") +
    `<Detail/></Error>${el("RequestId", requestId)}</ErrorResponse>`;
  return { status: err.status, headers: { "content-type": "text/xml", "x-amzn-requestid": requestId }, body };
}

export { AwsError };
