/**
 * What the middleware pass along on `res.locals`, typed once: the request id, the matched route,
 * the verified caller, and the start time for latencyMs.
 */
import type { Route } from "./routes.ts";

/** The verified caller, from the ID token. */
export interface Caller {
  sub: string;
  username?: string;
  groups: string[];
}

declare global {
  namespace Express {
    interface Locals {
      requestId?: string;
      /** Set by match-route.ts; absent for unknown routes and CORS preflights. */
      route?: Route;
      /** Path parameters of the matched route, e.g. `{ id }` for `GET /jobs/{id}`. */
      params?: Record<string, string>;
      /** Set by jwt-auth.ts once the token verified. */
      caller?: Caller;
    }
  }
}
