/**
 * cognito-idp JSON API errors: Cognito's exception names and messages, written in the AWS JSON
 * 1.1 error shape (`{"__type", "message"}` plus `x-amzn-ErrorType`) by `idp-api.ts`.
 */
export class IdpError extends Error {
  readonly type: string;
  readonly statusCode: number;
  constructor(type: string, message: string, statusCode = 400) {
    super(message);
    this.name = type;
    this.type = type;
    this.statusCode = statusCode;
  }
}

export const notAuthorized = (message: string) => new IdpError("NotAuthorizedException", message);
export const incorrectCredentials = () => notAuthorized("Incorrect username or password.");
export const userNotFound = () => new IdpError("UserNotFoundException", "User does not exist.");
export const invalidParameter = (message: string) => new IdpError("InvalidParameterException", message);
/** Smithy's input validation, as Cognito words it. */
export const missingMember = (member: string) =>
  invalidParameter(
    `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
  );
export const clientNotFound = (clientId: string) =>
  new IdpError("ResourceNotFoundException", `User pool client ${clientId} does not exist.`);
export const unknownOperation = (target: string) =>
  new IdpError(
    "UnknownOperationException",
    `${target || "(no X-Amz-Target)"} is not an operation of the mock: it serves AWSCognitoIdentityProviderService.InitiateAuth and .GetUser`,
  );
export const serialization = (message: string) => new IdpError("SerializationException", message);
