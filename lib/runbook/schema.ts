/**
 * The keys of every mapping in the language, with their descriptions, and the JSON Schema
 * (draft-07) built from them for editors (`# yaml-language-server: $schema=…`).
 *
 * The validator takes its accepted keys from {@link KEYS} too, so the schema and the validator
 * cannot disagree on which keys exist. The validator checks far more (types of expressions,
 * references, cron fields); the schema is for completion and a first check in the editor.
 */
import { ALARM_STATES, STEP_KINDS, TARGET_SELECTORS } from './model.ts';

/** A key of a mapping: whether it is required and what it means. */
export interface KeySpec {
  readonly required?: boolean;
  readonly description: string;
}

/** Every mapping of the language and its keys. */
export const KEYS = {
  runbook: {
    name: {
      required: true,
      description: 'Kebab-case id of the runbook, unique in a deployment: `purge-temp-files`.',
    },
    description: { description: 'What the runbook does, for people.' },
    parameters: { description: 'Typed inputs, by name (identifiers).' },
    triggers: { description: 'What starts the runbook besides a manual start: schedule, alarm, api.' },
    defaults: { description: 'Settings applied to every exec step that does not set its own.' },
    steps: { required: true, description: 'The steps, run in order.' },
    outputs: { description: 'Values the run returns when it succeeds, by name.' },
  },
  parameter: {
    type: { required: true, description: 'string, integer, number, boolean or enum.' },
    description: { description: 'What the parameter means.' },
    default: { description: 'The value when none is given; a parameter without a default is required.' },
    values: { description: 'enum only: the accepted strings.' },
    minimum: { description: 'integer and number only: the smallest accepted value.' },
    maximum: { description: 'integer and number only: the largest accepted value.' },
    minLength: { description: 'string only: the fewest characters.' },
    maxLength: { description: 'string only: the most characters.' },
    pattern: { description: 'string only: a regular expression the whole value must match.' },
  },
  triggers: {
    schedule: { description: 'Run on an EventBridge Scheduler cron schedule.' },
    alarm: { description: 'Run when CloudWatch alarms change state.' },
    api: { description: 'Allow starts through the HTTP API: POST /runbooks/<name>/executions.' },
  },
  schedule: {
    cron: {
      required: true,
      description: 'Six fields: minutes hours day-of-month month day-of-week year: "0 3 * * ? *".',
    },
    timezone: { description: 'An IANA time zone: Europe/Berlin. Default UTC.' },
    parameters: { description: 'Parameter values for scheduled runs.' },
  },
  alarm: {
    alarms: { required: true, description: 'CloudWatch alarm names or ARNs.' },
    states: {
      description: 'The new states that start a run: ALARM, OK, INSUFFICIENT_DATA. Default [ALARM].',
    },
    parameters: { description: 'Parameter values for alarm-started runs.' },
  },
  api: {},
  defaults: {
    cluster: { description: 'ECS cluster name or ARN. Default: AWS\'s default cluster, "default".' },
    container: { description: 'Container name; required by tasks with several containers.' },
    timeout: { description: 'Per-target command timeout. Default 10m.' },
    retry: { description: 'Retry policy of exec steps.' },
  },
  retry: {
    attempts: { required: true, description: 'Tries in total, the first included (1 = no retry).' },
    interval: { description: 'Wait before the first retry, whole seconds. Default 1s.' },
    backoff: { description: 'Multiplier of the interval after each retry, at least 1. Default 2.' },
    maxInterval: { description: 'Longest wait between tries, whole seconds.' },
  },
  step: {
    id: { required: true, description: 'Identifier, unique across the runbook: steps.<id> in expressions.' },
    name: { description: 'Display name.' },
    when: { description: 'Boolean expression; the step is skipped when false.' },
    timeout: { description: 'exec: per-target command timeout; runbook: whole step.' },
    retry: { description: 'Retry policy (exec, notify, runbook), or a number of attempts.' },
    onFailure: { description: 'fail (default), continue, or a list of steps to run before continuing.' },
    capture: { description: 'Single-target exec only: typed outputs read from the output.' },
    exec: { description: 'Run a shell script in one task or across many.' },
    approval: { description: 'Wait for a person to approve.' },
    notify: { description: 'Publish a message to an SNS topic.' },
    wait: { description: 'Wait for a duration or until a timestamp.' },
    parallel: { description: 'Run branches of steps at once.' },
    runbook: { description: 'Run another runbook and wait for it.' },
    fail: { description: 'End the run as failed.' },
    succeed: { description: 'End the run as succeeded.' },
  },
  exec: {
    target: { required: true, description: 'Which tasks and container run the command.' },
    command: {
      required: true,
      description: 'A POSIX sh script; expression values arrive as variables, never as script text.',
    },
  },
  target: {
    task: { description: 'A task ARN or id.' },
    service: { description: 'A service: its RUNNING tasks.' },
    family: { description: 'A task definition family.' },
    startedBy: { description: 'Tasks with this startedBy.' },
    group: { description: 'Tasks of this task group.' },
    pick: { description: 'one (default), all, random, or a number of tasks.' },
    cluster: { description: 'Cluster name or ARN; defaults.cluster, else "default".' },
    container: { description: 'Container name; defaults.container.' },
    concurrency: { description: 'Fan-out: targets at once. Default 10.' },
    toleratedFailures: { description: 'Fan-out: failures allowed, a count or "P%". Default 0.' },
    batchSize: { description: 'Fan-out: targets per exec invocation. Default 25.' },
  },
  capture: {
    regex: { description: 'A JavaScript regular expression (m flag); the first match counts.' },
    group: { description: 'regex: group number or name. Default 1 when the regex has a group, else 0.' },
    json: { description: 'A path into the output parsed as JSON: .a.b[0].' },
    type: { required: true, description: 'string, integer, number or boolean.' },
    default: { description: 'The value when the step did not run or succeed, or nothing matched.' },
  },
  approval: {
    message: { required: true, description: 'What the approver is asked.' },
    timeout: { description: 'Rejected when nobody decides in time. Default 1h.' },
    approvers: { description: 'IAM principal ARNs allowed to decide.' },
  },
  notify: {
    topic: { required: true, description: 'SNS topic ARN.' },
    message: { required: true, description: 'The message.' },
    subject: { description: 'E-mail subject, at most 100 characters.' },
  },
  wait: {
    duration: { description: 'How long to wait.' },
    until: { description: 'An RFC 3339 timestamp, or a reference to one.' },
  },
  parallel: {
    branches: { required: true, description: 'Branches, each { steps: [...] }.' },
  },
  branch: {
    steps: { required: true, description: 'The steps of the branch.' },
  },
  runbookCall: {
    name: { required: true, description: 'The name of the runbook to run.' },
    parameters: { description: 'Its parameter values.' },
  },
  fail: {
    error: { description: 'Error name. Default RunbookFailed.' },
    cause: { description: 'Why.' },
  },
  succeed: {
    message: { description: 'A message for the run record.' },
  },
} as const satisfies Record<string, Record<string, KeySpec>>;

/** The name of a mapping in {@link KEYS}. */
export type MappingName = keyof typeof KEYS;

/** The keys a mapping accepts. */
export function keysOf(mapping: MappingName): string[] {
  return Object.keys(KEYS[mapping]);
}

/** The required keys of a mapping. */
export function requiredKeysOf(mapping: MappingName): string[] {
  return Object.entries(KEYS[mapping] as Record<string, KeySpec>)
    .filter(([, spec]) => spec.required)
    .map(([key]) => key);
}

type JsonSchema = Record<string, unknown>;

const IDENTIFIER = '^[A-Za-z_][A-Za-z0-9_]*$';
const KEBAB = '^[a-z][a-z0-9]*(-[a-z0-9]+)*$';
const DURATION_PATTERN = '^\\s*(\\d+|(\\d+h)?(\\d+m)?(\\d+s)?(\\d+ms)?)\\s*$';

function described(mapping: MappingName, key: string, schema: JsonSchema): JsonSchema {
  const spec = (KEYS[mapping] as Record<string, KeySpec>)[key];
  return spec ? { description: spec.description, ...schema } : schema;
}

function object(mapping: MappingName, properties: Record<string, JsonSchema>): JsonSchema {
  const keys = keysOf(mapping);
  const props: Record<string, JsonSchema> = {};
  for (const key of keys) props[key] = described(mapping, key, properties[key] ?? {});
  const required = requiredKeysOf(mapping);
  return {
    type: 'object',
    properties: props,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
  };
}

const ref = (name: string): JsonSchema => ({ $ref: `#/definitions/${name}` });

/**
 * The JSON Schema (draft-07) of a runbook file, for editors and as a first check.
 *
 * @example
 * ```yaml
 * # yaml-language-server: $schema=../docs/runbook.schema.json
 * ```
 */
export function runbookJsonSchema(): JsonSchema {
  const scalar = { type: ['string', 'number', 'boolean'] };
  const parameterValues = { type: 'object', additionalProperties: scalar };
  const stepKinds: Record<string, JsonSchema> = {
    exec: ref('exec'),
    approval: ref('approval'),
    notify: ref('notify'),
    wait: ref('wait'),
    parallel: ref('parallel'),
    runbook: ref('runbookCall'),
    fail: ref('fail'),
    succeed: ref('succeed'),
  };
  const step = object('step', {
    id: { type: 'string', pattern: IDENTIFIER, maxLength: 64 },
    name: { type: 'string' },
    when: { type: ['string', 'boolean'] },
    timeout: ref('duration'),
    retry: ref('retry'),
    onFailure: { oneOf: [{ enum: ['fail', 'continue'] }, ref('steps')] },
    capture: { type: 'object', propertyNames: { pattern: IDENTIFIER }, additionalProperties: ref('capture') },
    ...stepKinds,
  });
  step.oneOf = STEP_KINDS.map((kind) => ({ required: [kind] }));

  const target = object('target', {
    ...Object.fromEntries(TARGET_SELECTORS.map((s) => [s, { type: 'string', minLength: 1 }])),
    pick: { oneOf: [{ enum: ['one', 'all', 'random'] }, { type: 'integer', minimum: 1 }] },
    cluster: { type: 'string', minLength: 1 },
    container: { type: 'string', minLength: 1 },
    concurrency: { type: 'integer', minimum: 1, maximum: 1000 },
    toleratedFailures: {
      oneOf: [
        { type: 'integer', minimum: 0 },
        { type: 'string', pattern: '^\\s*(\\d+(\\.\\d+)?)\\s*%\\s*$' },
      ],
    },
    batchSize: { type: 'integer', minimum: 1, maximum: 100 },
  });
  target.oneOf = TARGET_SELECTORS.map((s) => ({ required: [s] }));

  const capture = object('capture', {
    regex: { type: 'string', minLength: 1 },
    group: {
      oneOf: [
        { type: 'integer', minimum: 0 },
        { type: 'string', pattern: IDENTIFIER },
      ],
    },
    json: { type: 'string', pattern: '^\\.' },
    type: { enum: ['string', 'integer', 'number', 'boolean'] },
    default: scalar,
  });
  capture.oneOf = [{ required: ['regex'] }, { required: ['json'] }];

  const wait = object('wait', { duration: ref('duration'), until: { type: 'string' } });
  wait.oneOf = [{ required: ['duration'] }, { required: ['until'] }];

  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://github.com/ecs-runbooks/ecs-runbooks/docs/runbook.schema.json',
    title: 'ecs-runbooks runbook',
    description:
      'A runbook: steps that run shell commands in Amazon ECS containers, and more. See docs/runbooks.md.',
    ...object('runbook', {
      name: { type: 'string', pattern: KEBAB, maxLength: 64 },
      description: { type: 'string' },
      parameters: {
        type: 'object',
        propertyNames: { pattern: IDENTIFIER },
        additionalProperties: ref('parameter'),
      },
      triggers: ref('triggers'),
      defaults: ref('defaults'),
      steps: ref('steps'),
      outputs: { type: 'object', propertyNames: { pattern: IDENTIFIER }, additionalProperties: scalar },
    }),
    definitions: {
      duration: {
        description: '500ms, 30s, 5m, 1h30m, or a bare integer of seconds.',
        oneOf: [
          { type: 'integer', minimum: 0 },
          { type: 'string', pattern: DURATION_PATTERN },
        ],
      },
      parameter: object('parameter', {
        type: { enum: ['string', 'integer', 'number', 'boolean', 'enum'] },
        description: { type: 'string' },
        default: scalar,
        values: { type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true },
        minimum: { type: 'number' },
        maximum: { type: 'number' },
        minLength: { type: 'integer', minimum: 0 },
        maxLength: { type: 'integer', minimum: 0 },
        pattern: { type: 'string' },
      }),
      triggers: object('triggers', {
        schedule: object('schedule', {
          cron: { type: 'string' },
          timezone: { type: 'string' },
          parameters: parameterValues,
        }),
        alarm: object('alarm', {
          alarms: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
          states: { type: 'array', items: { enum: [...ALARM_STATES] }, minItems: 1 },
          parameters: parameterValues,
        }),
        api: { oneOf: [{ type: 'null' }, { type: 'object', additionalProperties: false }] },
      }),
      defaults: object('defaults', {
        cluster: { type: 'string' },
        container: { type: 'string' },
        timeout: ref('duration'),
        retry: ref('retry'),
      }),
      retry: {
        oneOf: [
          { type: 'integer', minimum: 1, maximum: 100 },
          object('retry', {
            attempts: { type: 'integer', minimum: 1, maximum: 100 },
            interval: ref('duration'),
            backoff: { type: 'number', minimum: 1 },
            maxInterval: ref('duration'),
          }),
        ],
      },
      steps: { type: 'array', items: ref('step'), minItems: 1 },
      step,
      exec: object('exec', { target: ref('target'), command: { type: 'string', minLength: 1 } }),
      target,
      capture,
      approval: object('approval', {
        message: { type: 'string' },
        timeout: ref('duration'),
        approvers: { type: 'array', items: { type: 'string', pattern: '^arn:' } },
      }),
      notify: object('notify', {
        topic: { type: 'string' },
        message: { type: 'string' },
        subject: { type: 'string' },
      }),
      wait: { oneOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: DURATION_PATTERN }, wait] },
      parallel: object('parallel', {
        branches: { type: 'array', minItems: 1, items: object('branch', { steps: ref('steps') }) },
      }),
      runbookCall: {
        oneOf: [
          { type: 'string', pattern: KEBAB },
          object('runbookCall', {
            name: { type: 'string', pattern: KEBAB },
            parameters: { type: 'object', additionalProperties: scalar },
          }),
        ],
      },
      fail: {
        oneOf: [
          { type: 'null' },
          { type: 'string' },
          object('fail', { error: { type: 'string' }, cause: { type: 'string' } }),
        ],
      },
      succeed: {
        oneOf: [{ type: 'null' }, { type: 'string' }, object('succeed', { message: { type: 'string' } })],
      },
    },
  };
}
