/** `tinyllama dlq --help`, apart from dlq.ts so the help (and every other command) does not load the AWS SDK. */
export const DLQ_HELP = `Usage: tinyllama dlq list [--json]
       tinyllama dlq redrive [--max-per-second N] [--no-wait] [--timeout S] [--json]

The dead-letter queue (jobs that failed maxReceiveCount times), read with your AWS credentials
(AWS_ENDPOINT_URL for the local stack), not through the API: whoever may read the DLQ may run
these, so on AWS give those permissions to operators only.

  list      each dead-lettered job: id, owner, attempts, age, reason. Nothing is consumed.
  redrive   moves every DLQ message back to the job queue (StartMessageMoveTask), sets the jobs
            back to queued, and follows the task until it ends (--no-wait: start it and return;
            --timeout: stop following after S seconds, default 300).
`;
