/**
 * Renders docs/errors.md from the hint tables in lib/exec/errors.ts, so the document cannot
 * drift from what users are told.
 */
import { EXEC_ERROR_HINTS, EXIT_CODE_HINTS, SESSION_ERROR_HINTS } from '../../lib/exec/errors.ts';
import { TASK_ERROR_NAMES } from '../../lib/shared/errors.ts';

const RETRY_WORDS = {
  poll: 'polled with backoff and full jitter until a deadline',
  backoff: 'retried with backoff, bounded',
  never: 'never retried',
} as const;

const OWN_MEANING: Record<string, string> = {
  CommandFailed: 'the command ran and exited non-zero',
  SessionInterrupted: 'the session was cut (or the run cancelled) before an exit code arrived',
  ExecTimeout:
    "the step's `timeout` (`--timeout`) ended the command, or (deadline) the exec Lambda's invocation was about to reach the function's timeout",
  PreflightFailed: 'exec is not enabled on the task, or its ExecuteCommandAgent is not RUNNING',
  NoTargets: 'the selection matched no RUNNING task',
  ErrorBudgetExceeded: "a fan-out's failures exceeded `toleratedFailures` (`--tolerate`)",
  CaptureFailed: 'a runbook capture found nothing in the output and has no `default`',
  ApprovalRejected: 'a runbook approval was rejected, or timed out',
  InvalidInput:
    "a run's first state found parameters or trigger fields in the execution input that the runbook does not accept",
  OutputNotStored:
    "a command ran, but its whole output could not be written to the output store (the step's value keeps the exit code and tail)",
};

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderErrorsDoc(): string {
  const hints = EXEC_ERROR_HINTS as Record<string, { retry: keyof typeof RETRY_WORDS; hint: string }>;
  const lines = [
    '# Errors',
    '',
    '<!-- Generated from lib/exec/errors.ts by test/docs/errors-doc.test.ts: UPDATE_GOLDEN=1 npx vitest run test/docs -->',
    '',
    'Every failure of `runbook exec`, of a runbook step and of the library is reported with a **name**',
    "(one of the closed set below, the same names a runbook's `retry` and `onFailure` see as Step",
    "Functions errors), a **message** (AWS's own text for AWS errors, verbatim) and a **hint** that says",
    "what to do. `runbook exec` prints them on stderr (`--json` puts them in each record's `error`).",
    'Words in `{braces}` are filled in with the task, container, cluster, region, counts and limits',
    'of the failing call.',
    '',
    '## Task error names',
    '',
    '| name | when | retried by the exec layer | hint |',
    '|---|---|---|---|',
  ];
  for (const name of TASK_ERROR_NAMES) {
    const row = hints[name];
    const when =
      OWN_MEANING[name] ??
      `\`ecs:ExecuteCommand\` (or ListTasks/DescribeTasks) failed with AWS's \`${name}\``;
    lines.push(
      `| \`${name}\` | ${cell(when)} | ${row ? RETRY_WORDS[row.retry] : 'never retried'} | ${row ? cell(row.hint) : '—'} |`,
    );
    for (const [key, variant] of Object.entries(hints)) {
      if (key.startsWith(`${name}.`))
        lines.push(`| \`${name}\` (${key.slice(name.length + 1)}) | | | ${cell(variant.hint)} |`);
    }
  }
  lines.push(
    '',
    "A runbook step's `retry` covers `TargetNotConnectedException`, `ThrottlingException`,",
    '`ServerException`, `CommandFailed`, `SessionInterrupted` and `ExecTimeout`; the others fail the same',
    'way again. `onFailure` catches all of them.',
    '',
    '## Why a session ended without an exit code',
    '',
    "A `SessionInterrupted` (or `ExecTimeout`) error carries the data-channel client's code:",
    '',
    '| code | hint |',
    '|---|---|',
    ...Object.entries(SESSION_ERROR_HINTS).map(([code, hint]) => `| \`${code}\` | ${cell(hint)} |`),
    '',
    '## Errors at the edge',
    '',
    'Whatever escapes a handler core in a Lambda leaves the function as one of the names above, so a',
    "state machine's Catch always matches a known name and parses the message (a step value as JSON:",
    '`status: failed`, `exitCode: null`, the outputs at their defaults, `error` with name, message and',
    'hint). lib/handlers/edge-errors.ts (`toTaskError`, used by lambdas/shared/with-defaults.ts) maps:',
    '',
    '| what escaped | name | why |',
    '|---|---|---|',
    '| a task error with a step value as message | itself | the cores already chose |',
    '| an error named in the set with a text message (an `ExecError`) | its name | wrapped in a step value, its hint kept |',
    "| anything, once the invocation's deadline fired | `ExecTimeout` | the function ran out of time; the original error is in the message |",
    '| an event that does not parse (`InvalidInputError`) | `InvalidInput` | never retried: the state machine and the functions come from different builds; `problems` names each field |',
    "| an AWS SDK error (S3, SFN, SNS, ECS, KMS) | as lib/exec classifies it: one of ECS's seven names, `ServerException` for a server fault, throttling or network failure, else `ClientException` | retried where a retry can help; the SDK's error name stays in front of AWS's message |",
    "| anything else (a bug) | `ServerException` | the reason (`Internal error: TypeError: …`) is in the message and the stack in the log; a step's `retry` covers it, so a retried step runs its command again |",
    '',
    "Each is logged once, as the function's `step failed` line, with `errorName`, the mapped message and",
    'the original error with its stack. The api function maps and logs the same way and answers 500',
    '`internal error` for anything that is not an http error (a 4xx keeps its status and body).',
    '',
    '## The Lambda deadline',
    '',
    "On AWS a step's command runs inside the exec function, which Lambda stops at the function's",
    'timeout. The wrappers (lambdas/shared/with-defaults.ts) abort the core 15 s before that, with an',
    '`InvocationDeadline` reason (lib/shared/errors.ts). The exec layer then sends the command Ctrl-C,',
    'keeps reading its last output until the agent closes the channel (at most 5 s), closes the output',
    'file and publishes it, so the full output holds every byte the agent sent and nothing is cut',
    'mid-write. The step fails with `ExecTimeout`, not a name of its own: the command did not finish in',
    'the time it had, as with its own `timeout`, and a `retry` or `onFailure` that covers one covers',
    'both. The reason is in the message (`… the Lambda invocation reaches its timeout in 15 s`) and in',
    "the hint (`ExecTimeout` (deadline) above). A single-target step's message is its value with the",
    "tail so far, `exitCode: null` and the record's status `timed_out`; a fan-out batch's is the",
    "fan-out step value with the batch's `results`: targets that finished keep their exit code, status",
    'and URI, the interrupted ones are `timed_out`, the ones not started `cancelled`. A target not yet',
    'started when the deadline came (resolving the target, polling a target that is not connected)',
    'fails the single-target step with `ExecTimeout` too; nothing ran in its container.',
    '',
    '## Exit codes',
    '',
    '`runbook exec` exits with the remote exit code for one target (255 when none is known), 0 or 1 for',
    'a fan-out (error budget held / exceeded) and 2 for usage errors. A `CommandFailed` hint adds what',
    'common exit codes usually mean:',
    '',
    '| exit code | usual meaning |',
    '|---|---|',
    ...Object.entries(EXIT_CODE_HINTS).map(([code, hint]) => `| ${code} | ${cell(hint)} |`),
    '',
  );
  return lines.join('\n');
}
