/**
 * The documents SNS sends (SNS developer guide, "Parsing message formats"): the JSON of a
 * Notification and of a SubscriptionConfirmation, their signatures, and the two mail formats.
 * Signatures are real RSA signatures (SHA1withRSA for SignatureVersion 1, SHA256withRSA for 2) over
 * AWS's canonical string, made with a key generated per emulator process; SigningCertURL serves
 * its public key as PEM (a bare key, not an X.509 certificate: there is no CA to chain to here).
 */
import { createSign, generateKeyPairSync, type KeyObject } from "node:crypto";
import { messageFor, type Notification } from "./publish.ts";
import type { Subscription, Topic } from "./state.ts";

export const CERT_PATH = "/_emulator/sns/SimpleNotificationService.pem";

let keys: { privateKey: KeyObject; publicKey: KeyObject } | undefined;
const keyPair = () => {
  keys ??= generateKeyPairSync("rsa", { modulusLength: 2048 });
  return keys;
};

export function signingCertPem(): string {
  return keyPair().publicKey.export({ type: "spki", format: "pem" }).toString();
}

/** Base64 signature over `Name\nvalue\n` pairs, in AWS's order, of the fields present. */
function sign(doc: Record<string, unknown>, fields: string[], version: string): string {
  let text = "";
  for (const f of fields) if (typeof doc[f] === "string") text += `${f}\n${doc[f] as string}\n`;
  return createSign(version === "2" ? "RSA-SHA256" : "RSA-SHA1")
    .update(text, "utf8")
    .sign(keyPair().privateKey, "base64");
}

const NOTIFICATION_FIELDS = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"];
const CONFIRMATION_FIELDS = [
  "Message",
  "MessageId",
  "SubscribeURL",
  "Timestamp",
  "Token",
  "TopicArn",
  "Type",
];

export const unsubscribeUrl = (base: string, s: Subscription) =>
  `${base}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(s.arn)}`;

export const subscribeUrl = (base: string, s: Subscription) =>
  `${base}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(s.topicArn)}&Token=${s.token ?? ""}`;

/** The JSON envelope SQS (non-raw), HTTP/S and email-json subscribers receive. */
export function notificationDocument(
  topic: Topic,
  n: Notification,
  s: Subscription,
  base: string,
): Record<string, unknown> {
  const version = topic.attributes.SignatureVersion ?? "1";
  const doc: Record<string, unknown> = {
    Type: "Notification",
    MessageId: n.messageId,
    ...(n.sequenceNumber !== undefined && { SequenceNumber: n.sequenceNumber }),
    TopicArn: n.topicArn,
    ...(n.subject !== undefined && { Subject: n.subject }),
    Message: messageFor(n, s.protocol),
    Timestamp: n.timestamp,
  };
  doc.SignatureVersion = version;
  doc.Signature = sign(doc, NOTIFICATION_FIELDS, version);
  doc.SigningCertURL = `${base}${CERT_PATH}`;
  doc.UnsubscribeURL = unsubscribeUrl(base, s);
  if (Object.keys(n.attributes).length > 0) {
    doc.MessageAttributes = Object.fromEntries(
      Object.entries(n.attributes).map(([name, v]) => [
        name,
        { Type: v.DataType, Value: v.BinaryValue ?? v.StringValue ?? "" },
      ]),
    );
  }
  return doc;
}

export function confirmationDocument(
  topic: Topic,
  s: Subscription,
  messageId: string,
  timestamp: string,
  base: string,
): Record<string, unknown> {
  const version = topic.attributes.SignatureVersion ?? "1";
  const doc: Record<string, unknown> = {
    Type: "SubscriptionConfirmation",
    MessageId: messageId,
    Token: s.token,
    TopicArn: s.topicArn,
    Message: `You have chosen to subscribe to the topic ${s.topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
    SubscribeURL: subscribeUrl(base, s),
    Timestamp: timestamp,
  };
  doc.SignatureVersion = version;
  doc.Signature = sign(doc, CONFIRMATION_FIELDS, version);
  doc.SigningCertURL = `${base}${CERT_PATH}`;
  return doc;
}

const SENDER = "no-reply@sns.amazonaws.com";

/** `email`: the message as text with AWS's unsubscribe footer; `email-json`: the JSON envelope. */
export function notificationMail(topic: Topic, n: Notification, s: Subscription, base: string) {
  const display = topic.attributes.DisplayName || "AWS Notifications";
  const subject = n.subject ?? "AWS Notification Message";
  const body =
    s.protocol === "email-json"
      ? JSON.stringify(notificationDocument(topic, n, s, base))
      : `${messageFor(n, "email")}\n\n--\nIf you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n${unsubscribeUrl(base, s)}\n\nPlease do not reply directly to this email. If you have any questions or comments regarding this email, please contact us at https://aws.amazon.com/support`;
  return { from: `${display} <${SENDER}>`, subject, body, unsubscribeUrl: unsubscribeUrl(base, s) };
}

export function confirmationMail(
  topic: Topic,
  s: Subscription,
  messageId: string,
  timestamp: string,
  base: string,
) {
  const url = subscribeUrl(base, s);
  const body =
    s.protocol === "email-json"
      ? JSON.stringify(confirmationDocument(topic, s, messageId, timestamp, base))
      : `You have chosen to subscribe to the topic: \n${s.topicArn}\n\nTo confirm this subscription, click or visit the link below (If this was in error no action is necessary):\nConfirm subscription\n${url}\n\nPlease do not reply directly to this email. If you wish to remove yourself from receiving all future SNS subscription confirmation requests please send an email to sns-opt-out`;
  return {
    from: `AWS Notifications <${SENDER}>`,
    subject: "AWS Notification - Subscription Confirmation",
    body,
    confirmUrl: url,
  };
}
