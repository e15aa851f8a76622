/** The Logs action table and error codes match what the AWS SDK models. */

import * as sdk from "@aws-sdk/client-cloudwatch-logs";
import { describe, expect, it } from "vitest";
import { AwsError } from "../../emulators/aws/core/aws-error.ts";
import { logsErrors } from "../../emulators/aws/logs/errors.ts";
import { createLogs } from "../../emulators/aws/logs/index.ts";
import { standaloneDeps } from "../helpers/service-deps.ts";

describe("Logs surface", () => {
  it("every action has a Command in @aws-sdk/client-cloudwatch-logs", () => {
    const logs = createLogs(standaloneDeps());
    const actions = Object.keys(logs.rpc?.operations ?? {});
    expect(actions.length).toBe(20);
    for (const action of actions) expect(sdk, action).toHaveProperty(`${action}Command`);
    logs.close?.();
  });

  it("every error code is an SDK exception class", () => {
    for (const [name, make] of Object.entries(logsErrors)) {
      const err = (make as (...a: unknown[]) => AwsError)("x");
      expect(err, name).toBeInstanceOf(AwsError);
      expect(sdk, `${name} -> ${err.code}`).toHaveProperty(err.code);
      expect(err.status).toBe(400);
    }
  });
});
