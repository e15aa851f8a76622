/**
 * Finds the route for the request before anyone spends work on it: unknown paths and methods get
 * 404 JSON without a token check (as on API Gateway, where the authorizer belongs to a route).
 */
import type { RequestHandler } from "express";
import { HttpError } from "./errors.ts";
import type { Route } from "./routes.ts";

export function matchRoute(routes: readonly Route[]): RequestHandler {
  return (req, res, next) => {
    for (const route of routes) {
      if (route.method !== req.method) continue;
      const m = route.pattern.exec(req.path);
      if (!m) continue;
      res.locals.route = route;
      res.locals.params = { ...m.groups };
      return next();
    }
    next(new HttpError(404, "not_found", `no route ${req.method} ${req.path.slice(0, 256)}`));
  };
}
