/** The S3 service: REST-XML only, state in one model journaled through its change reducer. */
import type { EmulatedService, ServiceDeps } from "../core/emulated-service.ts";
import { createS3Model } from "./model.ts";
import { createRestHandler } from "./rest.ts";

export function createS3(deps: ServiceDeps): EmulatedService {
  const model = createS3Model({ now: () => deps.clock.now(), record: (change) => deps.record(change) });
  return {
    name: "s3",
    rest: createRestHandler(model, deps.accountId),
    persistence: model.persistence,
    health: () => model.stats(),
  };
}
