/**
 * The AWS error an SDK call rejects with: name, message, HTTP status and fault. Throws when the
 * call succeeds.
 */
export async function failure(call: Promise<unknown>) {
  try {
    await call;
  } catch (err) {
    const e = err as {
      name: string;
      message: string;
      $fault: string;
      $metadata: { httpStatusCode?: number };
    };
    return { name: e.name, message: e.message, status: e.$metadata.httpStatusCode, fault: e.$fault };
  }
  throw new Error("expected the call to fail");
}
