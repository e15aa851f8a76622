import type { IncomingHttpHeaders } from "node:http";
import type { RequestContext } from "./context.ts";

/** One parsed HTTP request, as the router and codecs see it. */
export interface HttpRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

// Operation inputs are decoded wire data: each operation validates the fields it reads.
// biome-ignore lint/suspicious/noExplicitAny: inputs are untrusted JSON, checked by the model's validators.
export type Input = Record<string, any>;
export type Operation = (input: Input, ctx: RequestContext) => unknown | Promise<unknown>;

/** Query (form-encoded, XML answers) wire details of a service; the shapes are the service's data. */
export interface QueryBinding {
  /** "ec2": EC2's variant (no `<ActionResult>` wrapper, `<requestId>` first, `<Response><Errors>` errors). */
  flavor?: "query" | "ec2";
  version: string;
  xmlns: string;
  /** Flat `A.1.B=x` params -> the same input object the JSON protocol would carry. */
  decode(action: string, params: Map<string, string>): Input;
  /** Operation output -> the XML inside `<ActionResult>`. */
  encode(action: string, output: unknown): string;
  /** Actions whose answer has no `<ActionResult>` element at all (the rest always have one). */
  voidActions?: ReadonlySet<string>;
}

/** An RPC-style service (JSON 1.0/1.1 and/or query). S3 is routed separately (REST). */
export interface RpcService {
  name: string;
  /** SigV4 credential-scope service name. */
  signingName: string;
  json?: {
    targetPrefix: string;
    version: "1.0" | "1.1";
    /** Shape namespace for `__type`, e.g. `com.amazonaws.sqs`. */
    namespace: string;
    /** awsQueryCompatible: errors also carry `x-amzn-query-error`. */
    queryCompatible: boolean;
  };
  query?: QueryBinding;
  operations: Record<string, Operation>;
}
