/** The SQS action table and error codes match what the AWS SDK models (LocalStack's signature check). */

import * as sdk from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { AwsError } from "../../emulators/aws/core/aws-error.ts";
import { sqsErrors } from "../../emulators/aws/sqs/errors.ts";
import { createSqs } from "../../emulators/aws/sqs/index.ts";
import { standaloneDeps } from "../helpers/service-deps.ts";

const COMMON = new Set(["MissingParameter", "InvalidParameterValue", "InvalidAction"]);

describe("SQS surface", () => {
  const sqs = createSqs(standaloneDeps());

  it("every action has a Command in @aws-sdk/client-sqs", () => {
    const actions = Object.keys(sqs.rpc?.operations ?? {});
    expect(actions.length).toBe(23);
    for (const action of actions) expect(sdk, action).toHaveProperty(`${action}Command`);
    sqs.close?.();
  });

  it("every error code is an SDK exception class or a common AWS error", () => {
    for (const [name, make] of Object.entries(sqsErrors)) {
      const err = (make as (...a: unknown[]) => AwsError)("x", "y", "z");
      expect(err, name).toBeInstanceOf(AwsError);
      if (!COMMON.has(err.code)) expect(sdk, `${name} -> ${err.code}`).toHaveProperty(err.code);
    }
  });
});
