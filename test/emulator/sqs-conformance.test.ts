/**
 * The SQS conformance checks (test/conformance/sqs-checks.ts) against our emulator, each check
 * its own test, over both wire protocols (AWS JSON 1.0 and the legacy query protocol). The checks
 * encode AWS's documented behaviour: a failure here is a bug report for the emulator, not a
 * reason to loosen the check.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../emulators/aws/server.ts";
import { sqsChecks } from "../conformance/sqs-checks.ts";
import { protocols, runCheck } from "../conformance/sqs-harness.ts";

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});

afterAll(async () => {
  await emulator?.close();
});

for (const protocol of protocols) {
  // Checks wait on visibility timeouts and long polls; running them concurrently keeps the file
  // to a few seconds.
  describe.concurrent(`SQS conformance over ${protocol}`, () => {
    for (const check of sqsChecks) {
      it(check.name, async () => {
        const result = await runCheck(emulator.url, protocol, check);
        expect(result.error, result.error).toBeUndefined();
      }, 20_000);
    }
  });
}
