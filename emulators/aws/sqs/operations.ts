/**
 * The SQS action table: one entry per AWS action name. Each unpacks its input, calls the model
 * and shapes the output as the SDK's `<Action>Result`. Wire formats are the codecs' business.
 */

import { AwsError } from "../core/aws-error.ts";
import type { RequestContext } from "../core/context.ts";
import type { Input, Operation } from "../core/service.ts";
import { sqsErrors } from "./errors.ts";
import {
  LIST_QUEUES_MAX,
  MAX_BATCH_BYTES,
  MAX_BATCH_ENTRIES,
  MAX_BATCH_ENTRY_ID_LENGTH,
  MAX_RECEIVE,
  VISIBILITY_TIMEOUT_SECONDS,
  WAIT_TIME_SECONDS,
} from "./limits.ts";
import { messageBytes } from "./message-rules.ts";
import {
  changeVisibility,
  deleteMessage,
  integerParam,
  prepareMessage,
  receiveMessages,
  type SendInput,
  SYSTEM_ATTRIBUTE_NAMES,
  sendMessage,
  store,
} from "./messages.ts";
import {
  addPermission,
  createQueue,
  deadLetterSources,
  deleteQueue,
  getAttributes,
  getQueue,
  listQueues,
  type Model,
  purgeQueue,
  queueArn,
  removePermission,
  setAttributes,
  tagQueue,
  untagQueue,
} from "./model.ts";
import type { MoveTasks } from "./move-tasks.ts";
import type { Queue } from "./state.ts";

export function queueUrl(ctx: RequestContext, q: Queue): string {
  return `${ctx.endpoint}/${q.accountId}/${q.name}`;
}

/** Accepts `http(s)://any-host/<account>/<name>` (the host is the client's business) or `/<account>/<name>`. */
function queueFromUrl(m: Model, ctx: RequestContext, url: unknown): Queue {
  if (typeof url !== "string" || url === "") throw sqsErrors.missingParameter("QueueUrl");
  // The last two path segments; split by hand, as this runs on every request.
  let path = url;
  const scheme = url.indexOf("://");
  if (scheme >= 0) {
    const slash = url.indexOf("/", scheme + 3);
    path = slash < 0 ? "" : url.slice(slash);
  }
  const query = path.search(/[?#]/);
  if (query >= 0) path = path.slice(0, query);
  const parts = path.split("/").filter(Boolean);
  const name = parts.at(-1);
  const account = parts.at(-2) ?? ctx.accountId;
  if (!name) throw sqsErrors.queueDoesNotExist();
  let decoded: string;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    throw sqsErrors.queueDoesNotExist();
  }
  return getQueue(m, queueArn(ctx.region, account, decoded));
}

function stringMap(value: unknown, name: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw sqsErrors.invalidParameterValue(`${name} must be a map.`);
  return value as Record<string, unknown>;
}

function stringList(value: unknown, name: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw sqsErrors.invalidParameterValue(`${name} must be a list of strings.`);
  }
  return value as string[];
}

function paginate<T>(items: T[], maxResults: unknown, nextToken: unknown, limit: number) {
  const max = integerParam("MaxResults", maxResults, { min: 1, max: limit });
  let start = 0;
  if (nextToken !== undefined && nextToken !== "") {
    start = Number(Buffer.from(String(nextToken), "base64").toString("utf8"));
    if (!Number.isInteger(start) || start < 0)
      throw sqsErrors.invalidParameterValue("Invalid NextToken value.");
  }
  const page = items.slice(start, start + (max ?? limit));
  const more = max !== undefined && start + page.length < items.length;
  return { page, ...(more && { NextToken: Buffer.from(String(start + page.length)).toString("base64") }) };
}

interface BatchEntry {
  Id?: unknown;
  [key: string]: unknown;
}

function checkBatch(entries: unknown): BatchEntry[] {
  if (entries === undefined || (Array.isArray(entries) && entries.length === 0))
    throw sqsErrors.emptyBatchRequest();
  if (!Array.isArray(entries)) throw sqsErrors.invalidParameterValue("Entries must be a list.");
  if (entries.length > MAX_BATCH_ENTRIES) throw sqsErrors.tooManyEntriesInBatchRequest(entries.length);
  const seen = new Set<string>();
  for (const e of entries as BatchEntry[]) {
    const id = e?.Id;
    if (typeof id !== "string" || id.length > MAX_BATCH_ENTRY_ID_LENGTH || !/^[A-Za-z0-9_-]+$/.test(id)) {
      throw sqsErrors.invalidBatchEntryId();
    }
    if (seen.has(id)) throw sqsErrors.batchEntryIdsNotDistinct(id);
    seen.add(id);
  }
  return entries as BatchEntry[];
}

/** Runs `each` per entry; AWS errors become that entry's failure, the others still succeed. */
function batch<T>(entries: BatchEntry[], each: (e: BatchEntry) => T) {
  const Successful: Array<T & { Id: string }> = [];
  const Failed: Array<{ Id: string; SenderFault: boolean; Code: string; Message: string }> = [];
  for (const e of entries) {
    const Id = e.Id as string;
    try {
      Successful.push({ Id, ...each(e) });
    } catch (err) {
      if (!(err instanceof AwsError)) throw err;
      Failed.push({ Id, SenderFault: err.senderFault, Code: err.code, Message: err.message });
    }
  }
  return { Successful, Failed };
}

export function sqsOperations(m: Model, tasks: MoveTasks): Record<string, Operation> {
  const where = (ctx: RequestContext) => ({ region: ctx.region, accountId: ctx.accountId });
  const queue = (input: Input, ctx: RequestContext) => queueFromUrl(m, ctx, input.QueueUrl);

  return {
    CreateQueue(input, ctx) {
      if (typeof input.QueueName !== "string" || input.QueueName === "")
        throw sqsErrors.missingParameter("QueueName");
      const tags = stringMap(input.tags, "tags") as Record<string, string>;
      const q = createQueue(m, where(ctx), input.QueueName, stringMap(input.Attributes, "Attributes"), tags);
      return { QueueUrl: queueUrl(ctx, q) };
    },
    GetQueueUrl(input, ctx) {
      if (typeof input.QueueName !== "string" || input.QueueName === "")
        throw sqsErrors.missingParameter("QueueName");
      const account =
        typeof input.QueueOwnerAWSAccountId === "string" ? input.QueueOwnerAWSAccountId : ctx.accountId;
      return { QueueUrl: queueUrl(ctx, getQueue(m, queueArn(ctx.region, account, input.QueueName))) };
    },
    ListQueues(input, ctx) {
      const prefix = typeof input.QueueNamePrefix === "string" ? input.QueueNamePrefix : "";
      const urls = listQueues(m, where(ctx), prefix).map((q) => queueUrl(ctx, q));
      const { page, ...rest } = paginate(urls, input.MaxResults, input.NextToken, LIST_QUEUES_MAX);
      return { ...(page.length > 0 && { QueueUrls: page }), ...rest };
    },
    DeleteQueue(input, ctx) {
      deleteQueue(m, queue(input, ctx));
      return {};
    },
    GetQueueAttributes(input, ctx) {
      const q = queue(input, ctx);
      const attributes = getAttributes(m, q, stringList(input.AttributeNames, "AttributeNames"));
      return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
    },
    SetQueueAttributes(input, ctx) {
      setAttributes(m, queue(input, ctx), stringMap(input.Attributes, "Attributes"));
      return {};
    },
    TagQueue(input, ctx) {
      tagQueue(m, queue(input, ctx), stringMap(input.Tags, "Tags") as Record<string, string>);
      return {};
    },
    UntagQueue(input, ctx) {
      untagQueue(m, queue(input, ctx), stringList(input.TagKeys, "TagKeys"));
      return {};
    },
    ListQueueTags(input, ctx) {
      const tags = queue(input, ctx).tags;
      return Object.keys(tags).length > 0 ? { Tags: tags } : {};
    },
    PurgeQueue(input, ctx) {
      purgeQueue(m, queue(input, ctx));
      return {};
    },
    ListDeadLetterSourceQueues(input, ctx) {
      const urls = deadLetterSources(m, queue(input, ctx)).map((q) => queueUrl(ctx, q));
      const { page, ...rest } = paginate(urls, input.MaxResults, input.NextToken, LIST_QUEUES_MAX);
      return { queueUrls: page, ...rest };
    },
    AddPermission(input, ctx) {
      const q = queue(input, ctx);
      if (typeof input.Label !== "string" || input.Label === "") throw sqsErrors.missingParameter("Label");
      const accounts = stringList(input.AWSAccountIds, "AWSAccountIds");
      const actions = stringList(input.Actions, "Actions");
      if (accounts.length === 0) throw sqsErrors.missingParameter("AWSAccountIds");
      if (actions.length === 0) throw sqsErrors.missingParameter("Actions");
      addPermission(m, q, input.Label, accounts, actions);
      return {};
    },
    RemovePermission(input, ctx) {
      const q = queue(input, ctx);
      if (typeof input.Label !== "string" || input.Label === "") throw sqsErrors.missingParameter("Label");
      removePermission(m, q, input.Label);
      return {};
    },
    SendMessage(input, ctx) {
      return sendMessage(m, queue(input, ctx), input, ctx.accountId);
    },
    SendMessageBatch(input, ctx) {
      const q = queue(input, ctx);
      const entries = checkBatch(input.Entries);
      let total = 0;
      for (const e of entries) {
        if (typeof e.MessageBody === "string")
          total += messageBytes(e.MessageBody, e.MessageAttributes as never);
      }
      if (total > MAX_BATCH_BYTES) throw sqsErrors.batchRequestTooLong(total, MAX_BATCH_BYTES);
      return batch(entries, (e) => store(m, q, prepareMessage(q, e as SendInput), ctx.accountId));
    },
    async ReceiveMessage(input, ctx) {
      const q = queue(input, ctx);
      const max = integerParam("MaxNumberOfMessages", input.MaxNumberOfMessages, MAX_RECEIVE) ?? 1;
      const wait =
        integerParam("WaitTimeSeconds", input.WaitTimeSeconds, WAIT_TIME_SECONDS) ??
        Number(q.attributes.ReceiveMessageWaitTimeSeconds);
      const visibility =
        integerParam("VisibilityTimeout", input.VisibilityTimeout, VISIBILITY_TIMEOUT_SECONDS) ??
        Number(q.attributes.VisibilityTimeout);
      const systemNames = new Set([
        ...stringList(input.AttributeNames, "AttributeNames"),
        ...stringList(input.MessageSystemAttributeNames, "MessageSystemAttributeNames"),
      ]);
      for (const name of systemNames)
        if (!SYSTEM_ATTRIBUTE_NAMES.has(name)) throw sqsErrors.invalidAttributeName(name);
      const messages = await receiveMessages(m, q.arn, {
        max,
        waitMs: wait * 1000,
        visibilityMs: visibility * 1000,
        systemNames,
        attributeNames: stringList(input.MessageAttributeNames, "MessageAttributeNames"),
      });
      return messages.length > 0 ? { Messages: messages } : {};
    },
    DeleteMessage(input, ctx) {
      deleteMessage(m, queue(input, ctx), input.ReceiptHandle);
      return {};
    },
    DeleteMessageBatch(input, ctx) {
      const q = queue(input, ctx);
      return batch(checkBatch(input.Entries), (e) => {
        deleteMessage(m, q, e.ReceiptHandle);
        return {};
      });
    },
    ChangeMessageVisibility(input, ctx) {
      changeVisibility(m, queue(input, ctx), input.ReceiptHandle, input.VisibilityTimeout);
      return {};
    },
    ChangeMessageVisibilityBatch(input, ctx) {
      const q = queue(input, ctx);
      return batch(checkBatch(input.Entries), (e) => {
        changeVisibility(m, q, e.ReceiptHandle, e.VisibilityTimeout);
        return {};
      });
    },
    StartMessageMoveTask(input) {
      return {
        TaskHandle: tasks.start(input.SourceArn, input.DestinationArn, input.MaxNumberOfMessagesPerSecond),
      };
    },
    CancelMessageMoveTask(input) {
      return { ApproximateNumberOfMessagesMoved: tasks.cancel(input.TaskHandle) };
    },
    ListMessageMoveTasks(input) {
      const Results = tasks.list(input.SourceArn, input.MaxResults).map((t) => ({
        ...(t.status === "RUNNING" && { TaskHandle: t.handle }),
        Status: t.status,
        SourceArn: t.sourceArn,
        ...(t.destinationArn && { DestinationArn: t.destinationArn }),
        ...(t.maxPerSecond !== undefined && { MaxNumberOfMessagesPerSecond: t.maxPerSecond }),
        ApproximateNumberOfMessagesMoved: t.moved,
        ApproximateNumberOfMessagesToMove: t.toMove,
        ...(t.failureReason && { FailureReason: t.failureReason }),
        StartedTimestamp: t.startedAt,
      }));
      return { Results };
    },
  };
}
