/**
 * Which service and wire protocol a request is for, decided from what AWS clients send:
 * `x-amz-target` (JSON protocols), the SigV4 credential scope, the form `Action`, and for S3 the
 * host or path. Pure: no I/O, so it is unit-testable.
 */
import type { HttpRequest, RpcService } from "./service.ts";

export type Route =
  | { kind: "control" }
  | { kind: "json"; service: RpcService }
  | { kind: "query"; service: RpcService | undefined; params: Map<string, string> }
  | { kind: "s3" }
  | { kind: "unknown"; reason: string };

/** `AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/sqs/aws4_request, ...` -> region, service. */
export function credentialScope(req: HttpRequest): { region?: string; service?: string } {
  const auth = String(req.headers.authorization ?? "");
  let scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth);
  if (!scope) {
    const credential = req.query.get("X-Amz-Credential") ?? "";
    scope = /^[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request$/.exec(credential);
  }
  return scope ? { region: scope[1], service: scope[2] } : {};
}

export function route(
  req: HttpRequest,
  services: RpcService[],
  queryParams: () => Map<string, string>,
): Route {
  if (req.path.startsWith("/_emulator/")) return { kind: "control" };

  const target = req.headers["x-amz-target"];
  if (typeof target === "string") {
    const prefix = target.slice(0, target.lastIndexOf("."));
    const service = services.find((s) => s.json?.targetPrefix === prefix);
    return service ? { kind: "json", service } : { kind: "unknown", reason: `unknown target ${target}` };
  }

  const scoped = credentialScope(req).service;
  if (scoped === "s3") return { kind: "s3" };

  const type = String(req.headers["content-type"] ?? "");
  const isForm = type.includes("application/x-www-form-urlencoded");
  if ((req.method === "POST" && isForm) || req.query.has("Action")) {
    const params = queryParams();
    const bySigning = services.find((s) => s.signingName === scoped && s.query);
    if (bySigning) return { kind: "query", service: bySigning, params };
    // Unsigned query request: the action name decides when exactly one service has it.
    const action = params.get("Action") ?? "";
    const owners = services.filter((s) => s.query && Object.hasOwn(s.operations, action));
    return { kind: "query", service: owners.length === 1 ? owners[0] : undefined, params };
  }

  // Everything else is REST: only S3 speaks it here.
  return { kind: "s3" };
}
