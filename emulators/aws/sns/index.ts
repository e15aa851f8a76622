/**
 * SNS: the query protocol (what every SDK and the CLI send), fan-out to SQS / HTTP(S) / email,
 * and the `publish` port CloudWatch alarm actions use.
 *
 * Control routes (no mail server exists, so mail lands in an outbox):
 * - `GET /_emulator/sns/outbox` -> JSON array of mails, newest last (`?to=<address>` filters,
 *   `?format=text` renders them for reading in a terminal); a confirmation mail's `confirmUrl`
 *   confirms when opened, a notification's `unsubscribeUrl` unsubscribes.
 * - `DELETE /_emulator/sns/outbox` empties it.
 * - `GET /_emulator/sns/deliveries` -> delivery counters and the recent delivery log (failures,
 *   retries), `GET /_emulator/sns/SimpleNotificationService.pem` -> the signing key.
 *
 * Email and email-json subscriptions start PendingConfirmation, as on AWS (where only SQS and
 * Lambda endpoints in the owner's account are confirmed at once): the confirmation mail is in the
 * outbox right after Subscribe, and nothing is mailed to the address until its link is opened.
 */
import type { RequestContext } from "../core/context.ts";
import type { EmulatedService, ServiceDeps } from "../core/emulated-service.ts";
import type { HttpRequest, HttpResponse, RpcService } from "../core/service.ts";
import { createDelivery } from "./delivery.ts";
import { CERT_PATH, signingCertPem } from "./envelope.ts";
import { createModel, getTopic } from "./model.ts";
import { snsOperations } from "./operations.ts";
import { preparePublish } from "./publish.ts";
import { snsQuery } from "./query.ts";
import { type Change, emptyState, type Mail, apply as reduce, restore, snapshot } from "./state.ts";

const json = (status: number, body: unknown): HttpResponse => ({
  status,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body, null, 2),
});

function mailText(mail: Mail): string {
  const link = mail.confirmUrl
    ? `Confirm: ${mail.confirmUrl}`
    : mail.unsubscribeUrl
      ? `Unsubscribe: ${mail.unsubscribeUrl}`
      : "";
  return [
    `#${mail.id}  ${mail.sentAt}  ${mail.kind} (${mail.protocol})`,
    `From: ${mail.from}`,
    `To: ${mail.to}`,
    `Subject: ${mail.subject}`,
    "",
    mail.body,
    "",
    link,
    "=".repeat(72),
  ].join("\n");
}

export function createSns(deps: ServiceDeps): EmulatedService {
  const state = emptyState();
  const model = createModel(state, deps.clock, deps.record);
  const delivery = createDelivery(model, deps.ports);
  // URLs inside messages published through the port (no request of its own) use the endpoint
  // clients last reached SNS at.
  let lastEndpoint = "http://127.0.0.1:4566";
  const seen = (ctx: RequestContext) => {
    lastEndpoint = ctx.endpoint;
  };

  const rpc: RpcService = {
    name: "sns",
    signingName: "sns",
    query: snsQuery,
    operations: snsOperations({ model, delivery, seen }),
  };

  function control(req: HttpRequest): HttpResponse | undefined {
    const path = req.path;
    if (path === "/_emulator/sns/outbox") {
      if (req.method === "DELETE") {
        const cleared = state.outbox.length;
        model.commit({ t: "outboxCleared" });
        return json(200, { cleared });
      }
      if (req.method !== "GET") return undefined;
      const to = req.query.get("to");
      const mails = to ? state.outbox.filter((m) => m.to === to) : state.outbox;
      if (req.query.get("format") === "text") {
        const text = mails.length === 0 ? "(the outbox is empty)\n" : `${mails.map(mailText).join("\n")}\n`;
        return { status: 200, headers: { "content-type": "text/plain; charset=utf-8" }, body: text };
      }
      return json(200, mails);
    }
    if (path === "/_emulator/sns/deliveries" && req.method === "GET") {
      return json(200, { stats: delivery.stats, log: delivery.log });
    }
    if (path === CERT_PATH && req.method === "GET") {
      return { status: 200, headers: { "content-type": "application/x-pem-file" }, body: signingCertPem() };
    }
    return undefined;
  }

  return {
    name: "sns",
    rpc,
    control,
    persistence: {
      snapshot: () => snapshot(state),
      restore: (data) => restore(state, data),
      apply: (change) => reduce(state, change as Change),
    },
    health: () => ({
      topics: state.topics.size,
      subscriptions: state.subscriptions.size,
      outbox: state.outbox.length,
      ...delivery.stats,
    }),
    provides: {
      // CloudWatch alarm actions (and any other service) publish here; same rules as Publish.
      publish(topicArn, publication) {
        const topic = getTopic(model, topicArn, "Publish");
        const { notification, duplicate } = preparePublish(model, topic, {
          Message: publication.message,
          ...(publication.subject !== undefined && { Subject: publication.subject }),
          ...(publication.attributes && { MessageAttributes: publication.attributes }),
          ...(publication.groupId !== undefined && { MessageGroupId: publication.groupId }),
          ...(publication.dedupId !== undefined && { MessageDeduplicationId: publication.dedupId }),
        });
        if (!duplicate) delivery.publish(topic, notification, lastEndpoint);
        return notification.messageId;
      },
    },
    close: () => delivery.close(),
  };
}
