/** Validation of what a sender supplies: body characters, message attributes, group and dedup ids. */
import { sqsErrors } from "./errors.ts";
import { MAX_ATTRIBUTE_NAME_LENGTH, MAX_GROUP_OR_DEDUP_ID_LENGTH, MAX_MESSAGE_ATTRIBUTES } from "./limits.ts";
import type { MessageAttributeValue } from "./md5.ts";

// #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF (lone surrogates are invalid too).
// biome-ignore lint/suspicious/noControlCharactersInRegex: the allowed set is defined by control characters.
const INVALID_BODY_CHAR = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function validateBody(body: unknown): string {
  if (body === undefined || body === null || body === "") throw sqsErrors.missingParameter("MessageBody");
  if (typeof body !== "string") throw sqsErrors.invalidParameterValue("MessageBody must be a string.");
  if (INVALID_BODY_CHAR.test(body)) throw sqsErrors.invalidMessageContents();
  return body;
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]+$/;
const DATA_TYPE = /^(String|Number|Binary)(\..+)?$/;

export function validateMessageAttributes(
  input: unknown,
  label: "message attribute" | "message system attribute" = "message attribute",
): Record<string, MessageAttributeValue> | undefined {
  if (input === undefined || input === null) return undefined;
  if (typeof input !== "object") throw sqsErrors.invalidParameterValue("MessageAttributes must be a map.");
  const entries = Object.entries(input as Record<string, unknown>);
  if (entries.length === 0) return undefined;
  if (entries.length > MAX_MESSAGE_ATTRIBUTES) {
    throw sqsErrors.invalidParameterValue(
      `Number of message attributes [${entries.length}] exceeds the allowed maximum [${MAX_MESSAGE_ATTRIBUTES}].`,
    );
  }
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, raw] of entries) {
    if (
      name.length > MAX_ATTRIBUTE_NAME_LENGTH ||
      !ATTRIBUTE_NAME.test(name) ||
      name.startsWith(".") ||
      name.endsWith(".") ||
      name.includes("..") ||
      /^(aws\.|amazon\.)/i.test(name)
    ) {
      throw sqsErrors.invalidParameterValue(`The ${label} name '${name}' is invalid.`);
    }
    const value = (raw ?? {}) as Record<string, unknown>;
    const dataType = value.DataType;
    if (typeof dataType !== "string" || dataType === "") {
      throw sqsErrors.invalidParameterValue(
        `The ${label} '${name}' must contain a non-empty message attribute type.`,
      );
    }
    if (!DATA_TYPE.test(dataType)) {
      throw sqsErrors.invalidParameterValue(
        `The ${label} '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    const isBinary = dataType.startsWith("Binary");
    const stringValue = value.StringValue;
    const binaryValue = value.BinaryValue;
    if (isBinary) {
      if (typeof binaryValue !== "string" || binaryValue === "") {
        throw sqsErrors.invalidParameterValue(
          `The ${label} '${name}' must contain non-empty message attribute value for message attribute type 'Binary'.`,
        );
      }
      out[name] = { DataType: dataType, BinaryValue: binaryValue };
    } else {
      if (typeof stringValue !== "string" || stringValue === "") {
        throw sqsErrors.invalidParameterValue(
          `The ${label} '${name}' must contain non-empty message attribute value for message attribute type '${dataType.split(".")[0]}'.`,
        );
      }
      if (
        dataType.startsWith("Number") &&
        !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(stringValue.trim())
      ) {
        throw sqsErrors.invalidParameterValue(
          `Can't cast the value of message (user) attribute '${name}' to a number.`,
        );
      }
      if (INVALID_BODY_CHAR.test(stringValue)) throw sqsErrors.invalidMessageContents();
      out[name] = { DataType: dataType, StringValue: stringValue };
    }
  }
  return out;
}

/** Size as SQS counts it: body plus each attribute's name, type and value. */
export function messageBytes(
  body: string,
  attributes: Record<string, MessageAttributeValue> | undefined,
): number {
  let n = Buffer.byteLength(body, "utf8");
  for (const [name, v] of Object.entries(attributes ?? {})) {
    n += Buffer.byteLength(name, "utf8") + Buffer.byteLength(v.DataType, "utf8");
    n +=
      v.BinaryValue !== undefined
        ? Buffer.from(v.BinaryValue, "base64").length
        : Buffer.byteLength(v.StringValue ?? "", "utf8");
  }
  return n;
}

// Alphanumeric and punctuation !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~, 1..128 characters.
const GROUP_OR_DEDUP_ID = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]+$/;

export function validateId(name: "MessageGroupId" | "MessageDeduplicationId", value: unknown): string {
  if (
    typeof value !== "string" ||
    value.length > MAX_GROUP_OR_DEDUP_ID_LENGTH ||
    !GROUP_OR_DEDUP_ID.test(value)
  ) {
    throw sqsErrors.invalidParameterValue(
      `Value ${String(value)} for parameter ${name} is invalid. Reason: ${name} can only include alphanumeric and punctuation characters. 1 to 128 in length.`,
    );
  }
  return value;
}
