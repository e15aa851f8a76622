/**
 * `login --username`: Cognito's InitiateAuth with USER_PASSWORD_AUTH on the cognito-idp JSON
 * API, for scripts and CI where no browser can sign in. Plain fetch: the request is one unsigned
 * JSON POST (Cognito refuses IAM credentials here), so the AWS SDK client would add a large
 * dependency for nothing.
 */
import { CliError, unreachable } from "./errors.ts";

export async function initiateAuth(o: {
  idpUrl: string;
  clientId: string;
  username: string;
  password: string;
}): Promise<string> {
  const endpoint = `${o.idpUrl}/`;
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AWSCognitoIdentityProviderService.InitiateAuth",
      },
      body: JSON.stringify({
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: o.clientId,
        AuthParameters: { USERNAME: o.username, PASSWORD: o.password },
      }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    throw unreachable(
      "Cognito API",
      endpoint,
      err,
      "start the stack with `make dev`, or set TINYLLAMA_IDP_URL (TINYLLAMA_AUTH_URL) to your Cognito",
    );
  }
  const body = (await res.json().catch(() => ({}))) as {
    AuthenticationResult?: { IdToken?: string };
    __type?: string;
    message?: string;
  };
  const idToken = body.AuthenticationResult?.IdToken;
  if (res.ok && idToken) return idToken;
  if (res.ok)
    throw new CliError(
      "Cognito asked for a further challenge (MFA or a new password), which the CLI cannot answer: log in with the browser, `tinyllama login`",
      { auth: true },
    );
  const type = (body.__type ?? res.headers.get("x-amzn-errortype") ?? `HTTP ${res.status}`).split("#").pop();
  if (type === "NotAuthorizedException" || type === "UserNotFoundException")
    throw new CliError(
      `Cognito refused ${o.username}: ${body.message ?? type}: check the username and password (local users are in config/platform.json)`,
      { auth: true, code: "not_authorized" },
    );
  throw new CliError(`Cognito's InitiateAuth failed: ${type}${body.message ? `: ${body.message}` : ""}`, {
    auth: true,
  });
}
