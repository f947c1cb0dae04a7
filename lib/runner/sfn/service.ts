/**
 * The local Step Functions service: the subset of the Step Functions API that the CLI uses, over
 * runbooks compiled and run by the local runner. Each operation takes the decoded request body
 * and returns the response body as the AWS JSON 1.0 protocol carries them (timestamps in epoch
 * seconds), or throws {@link SfnApiError} with Step Functions' error name.
 *
 * One state machine per runbook file, named as the stack names it (`<namePrefix>-<runbook>`,
 * lib/infra/runbook.ts), so the CLI finds a local runbook as it finds a deployed one. An
 * execution runs the compiled definition with the execution input unchecked (its first state,
 * Runbook.CheckInput, checks it as on AWS); its approvals wait for SendTaskSuccess or
 * SendTaskFailure with the task token their `TaskScheduled` event carries; StopExecution
 * cancels the run, which interrupts its commands (the agent ends their processes).
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_Operations.html
 */
import { randomUUID } from 'node:crypto';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { KMSClient } from '@aws-sdk/client-kms';
import { loadRunbookFile } from '../../runbook/index.ts';
import type { DataKeyProvider } from '../../session/index.ts';
import { type Clock, systemClock } from '../../shared/index.ts';
import type { ApprovalAnswer, ApprovalPolicy } from '../approval.ts';
import { LocalTaskFailure } from '../envelope.ts';
import { RunbookInvalidError } from '../errors.ts';
import { type PreparedRunbook, prepareRunbook, runLocal } from '../run-local.ts';
import { SfnApiError } from './errors.ts';
import { ExecutionHistory, type HistoryEventJson } from './history.ts';

/** The operations the local Step Functions API serves. */
export const SFN_OPERATIONS = [
  'ListStateMachines',
  'DescribeStateMachine',
  'StartExecution',
  'DescribeExecution',
  'ListExecutions',
  'GetExecutionHistory',
  'StopExecution',
  'SendTaskSuccess',
  'SendTaskFailure',
  'SendTaskHeartbeat',
] as const;

/** One of {@link SFN_OPERATIONS}. */
export type SfnOperation = (typeof SFN_OPERATIONS)[number];

type Json = Record<string, unknown>;

/** Options of {@link createLocalStepFunctions}. */
export interface LocalStepFunctionsOptions {
  /** The runbook files, one state machine each. */
  readonly runbooks: readonly string[];
  /** The ECS client the runs' commands go through (the local emulator's). */
  readonly ecs: ECSClient;
  /** @default - a KMS client made on first use */
  readonly kms?: KMSClient | DataKeyProvider;
  readonly region: string;
  /** @default '000000000000' */
  readonly accountId?: string;
  /** The state machines are named `<namePrefix>-<runbook>`, as the stack names them. @default 'runbooks' */
  readonly namePrefix?: string;
  /** Where the runs' whole outputs go (`file://` URIs). */
  readonly outputDir: string;
  /** @default systemClock */
  readonly clock?: Clock;
  /** Milliseconds a Wait state waits instead of its own time, by state name (tests). */
  readonly waitTimeOverrides?: Readonly<Record<string, number>>;
  /** Milliseconds before a retry instead of the Retry's interval, by state name (tests). */
  readonly retryIntervalOverrides?: Readonly<Record<string, number | number[]>>;
}

/** A runbook file that could not be served, and why. */
export interface SkippedRunbook {
  readonly file: string;
  readonly message: string;
}

/** A runbook served as a state machine. */
export interface LocalStateMachine {
  readonly name: string;
  readonly arn: string;
  readonly runbook: PreparedRunbook;
  readonly creationDate: number;
}

type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

interface Execution {
  readonly arn: string;
  readonly name: string;
  readonly machine: LocalStateMachine;
  readonly input: string;
  readonly startDate: number;
  readonly history: ExecutionHistory;
  readonly controller: AbortController;
  status: ExecutionStatus;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  /** Settles when the run has ended (its commands stopped). */
  done: Promise<void>;
}

interface WaitingTask {
  readonly execution: Execution;
  readonly resolve: (answer: ApprovalAnswer) => void;
  readonly reject: (error: Error) => void;
}

/** The local Step Functions service. */
export interface LocalStepFunctions {
  readonly stateMachines: readonly LocalStateMachine[];
  /** Runbook files that were not served (invalid, or a second runbook of one name). */
  readonly skipped: readonly SkippedRunbook[];
  readonly operations: Readonly<Record<SfnOperation, (input: Json) => Promise<Json>>>;
  /** Resolves when every run started so far has ended (tests). */
  settled(): Promise<void>;
  /** Stops every running execution and waits (bounded) for their commands to end. */
  close(): Promise<void>;
}

const NAME_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;

/** Whether Step Functions accepts `name` as an execution name (no control characters either). */
function validName(name: string): boolean {
  if (name.length < 1 || name.length > 80 || NAME_FORBIDDEN.test(name)) return false;
  return ![...name].some((c) => {
    const code = c.codePointAt(0) ?? 0;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });
}
const TOKEN = /^local-task-token-[0-9a-f-]{36}$/;
const MAX_INPUT_BYTES = 256 * 1024;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

/**
 * Loads the runbooks and returns the service over them.
 *
 * @example
 * const sfn = createLocalStepFunctions({ runbooks: ['runbooks/flush-cache.yaml'], ecs, region, outputDir });
 * await sfn.operations.StartExecution({ stateMachineArn: sfn.stateMachines[0].arn, input: '{"params":{}}' });
 */
export function createLocalStepFunctions(options: LocalStepFunctionsOptions): LocalStepFunctions {
  const clock = options.clock ?? systemClock;
  const region = options.region;
  const accountId = options.accountId ?? '000000000000';
  const prefix = options.namePrefix ?? 'runbooks';
  const arnBase = `arn:aws:states:${region}:${accountId}`;
  const roleArn = `arn:aws:iam::${accountId}:role/${prefix}-local`;

  const machines: LocalStateMachine[] = [];
  const skipped: SkippedRunbook[] = [];
  for (const file of options.runbooks) {
    try {
      const loaded = loadRunbookFile(file);
      if (!loaded.runbook) throw new RunbookInvalidError(file, loaded.source, loaded.diagnostics);
      const runbook = prepareRunbook(loaded.runbook, { file });
      const name = `${prefix}-${runbook.runbook.name}`;
      if (machines.some((m) => m.name === name)) {
        throw new Error(`another file already defines runbook ${runbook.runbook.name}`);
      }
      machines.push({ name, arn: `${arnBase}:stateMachine:${name}`, runbook, creationDate: clock.now() });
    } catch (error) {
      skipped.push({ file, message: error instanceof Error ? error.message : String(error) });
    }
  }

  const executions = new Map<string, Execution>();
  const waiting = new Map<string, WaitingTask>();
  /** Tokens whose wait ended, and whether it timed out. */
  const ended = new Map<string, 'timed-out' | 'done'>();

  const settle = (execution: Execution): void => {
    const outcome = execution.history.outcome;
    if (!outcome || execution.status !== 'RUNNING') return;
    execution.status = outcome.status;
    execution.stopDate = outcome.at;
    if (outcome.status === 'SUCCEEDED') execution.output = outcome.output;
    else {
      if (outcome.error !== undefined) execution.error = outcome.error;
      if (outcome.cause !== undefined) execution.cause = outcome.cause;
    }
  };

  const approvalFor = (execution: Execution): ApprovalPolicy => ({
    ask: (request, signal) =>
      new Promise<ApprovalAnswer>((resolve, reject) => {
        const token = request.taskToken;
        const finish = (how: 'timed-out' | 'done'): void => {
          waiting.delete(token);
          ended.set(token, how);
        };
        waiting.set(token, {
          execution,
          resolve: (answer) => {
            finish('done');
            resolve(answer);
          },
          reject: (error) => {
            finish('done');
            reject(error);
          },
        });
        signal.addEventListener(
          'abort',
          () => {
            if (!waiting.has(token)) return;
            finish(execution.controller.signal.aborted ? 'done' : 'timed-out');
            reject(signal.reason);
          },
          { once: true },
        );
      }),
  });

  const start = (machine: LocalStateMachine, name: string, input: string): Execution => {
    const at = clock.now();
    const execution: Execution = {
      arn: `${arnBase}:execution:${machine.name}:${name}`,
      name,
      machine,
      input,
      startDate: at,
      history: new ExecutionHistory({ region, accountId }),
      controller: new AbortController(),
      status: 'RUNNING',
      done: Promise.resolve(),
    };
    execution.history.started(input, roleArn, at);
    executions.set(execution.arn, execution);
    execution.done = runLocal(machine.runbook, {
      ecs: options.ecs,
      ...(options.kms ? { kms: options.kms } : {}),
      input: JSON.parse(input) as unknown,
      outputDir: options.outputDir,
      approval: approvalFor(execution),
      signal: execution.controller.signal,
      region,
      accountId,
      stateMachineName: machine.name,
      executionName: name,
      clock,
      ...(options.waitTimeOverrides ? { waitTimeOverrides: options.waitTimeOverrides } : {}),
      ...(options.retryIntervalOverrides ? { retryIntervalOverrides: options.retryIntervalOverrides } : {}),
      onTrace: (trace) => {
        execution.history.record(trace);
        settle(execution);
      },
    }).then(
      (result) => {
        // The engine's last event normally ended the history already; this covers a log that
        // did not drain in time.
        if (result.status === 'succeeded')
          execution.history.record({
            type: 'engine',
            event: {
              type: 'ExecutionSucceeded',
              timestamp: clock.now(),
              output: { outputs: result.outputs, steps: result.steps },
            } as never,
          });
        else
          execution.history.failed(
            clock.now(),
            result.error?.name ?? 'States.Runtime',
            result.error?.cause ?? '',
          );
        settle(execution);
      },
      (error: unknown) => {
        execution.history.failed(
          clock.now(),
          'States.Runtime',
          error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        );
        settle(execution);
      },
    );
    return execution;
  };

  const machineOf = (input: Json): LocalStateMachine => {
    const arn = requiredString(input, 'stateMachineArn');
    if (!arn.startsWith('arn:aws:states:') || !arn.includes(':stateMachine:')) {
      throw new SfnApiError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
    }
    const machine = machines.find((m) => m.arn === arn);
    if (!machine) {
      throw new SfnApiError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${arn}'; the local engine serves: ${machines.map((m) => m.name).join(', ') || 'none'}`,
      );
    }
    return machine;
  };

  const executionOf = (input: Json): Execution => {
    const arn = requiredString(input, 'executionArn');
    if (!arn.startsWith('arn:aws:states:') || !arn.includes(':execution:')) {
      throw new SfnApiError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
    }
    const execution = executions.get(arn);
    if (!execution) throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  };

  const taskOf = (input: Json): WaitingTask => {
    const token = requiredString(input, 'taskToken');
    if (!TOKEN.test(token)) throw new SfnApiError('InvalidToken', `Invalid Token: '${token.slice(0, 64)}'`);
    const task = waiting.get(token);
    if (task) return task;
    if (ended.get(token) === 'timed-out') {
      throw new SfnApiError('TaskTimedOut', 'Task Timed Out: the task timed out before it was completed');
    }
    throw new SfnApiError(
      'TaskDoesNotExist',
      'Task Does Not Exist: the task was completed, or its execution ended',
    );
  };

  const operations: Record<SfnOperation, (input: Json) => Promise<Json>> = {
    ListStateMachines: async (input) => {
      const page = paginate(machines, input, 'ListStateMachines');
      return {
        stateMachines: page.items.map((m) => ({
          stateMachineArn: m.arn,
          name: m.name,
          type: 'STANDARD',
          creationDate: m.creationDate / 1000,
        })),
        ...optional('nextToken', page.nextToken),
      };
    },

    DescribeStateMachine: async (input) => {
      const machine = machineOf(input);
      return {
        stateMachineArn: machine.arn,
        name: machine.name,
        status: 'ACTIVE',
        definition: JSON.stringify(machine.runbook.definition),
        roleArn,
        type: 'STANDARD',
        creationDate: machine.creationDate / 1000,
        ...optional('description', machine.runbook.runbook.description),
        loggingConfiguration: { level: 'OFF', includeExecutionData: false },
        tracingConfiguration: { enabled: false },
      };
    },

    StartExecution: async (input) => {
      const machine = machineOf(input);
      const name = optionalString(input, 'name') ?? randomUUID();
      if (!validName(name)) {
        throw new SfnApiError(
          'InvalidName',
          `Invalid Name: '${name}' (1 to 80 characters, no spaces, brackets, wildcards, punctuation such as : / , ; or control characters)`,
        );
      }
      const text = optionalString(input, 'input') ?? '{}';
      if (Buffer.byteLength(text) > MAX_INPUT_BYTES) {
        throw new SfnApiError(
          'InvalidExecutionInput',
          `Invalid Execution Input: larger than ${MAX_INPUT_BYTES} bytes`,
        );
      }
      try {
        JSON.parse(text);
      } catch {
        throw new SfnApiError(
          'InvalidExecutionInput',
          `Invalid Execution Input: not JSON: ${text.slice(0, 100)}`,
        );
      }
      const existing = executions.get(`${arnBase}:execution:${machine.name}:${name}`);
      if (existing) {
        // Step Functions answers a repeated start of a running execution with the same input
        // with that execution; anything else is ExecutionAlreadyExists.
        if (existing.status === 'RUNNING' && existing.input === text) {
          return { executionArn: existing.arn, startDate: existing.startDate / 1000 };
        }
        throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.arn}'`);
      }
      const execution = start(machine, name, text);
      return { executionArn: execution.arn, startDate: execution.startDate / 1000 };
    },

    DescribeExecution: async (input) => {
      const execution = executionOf(input);
      return {
        executionArn: execution.arn,
        stateMachineArn: execution.machine.arn,
        name: execution.name,
        status: execution.status,
        startDate: execution.startDate / 1000,
        ...(execution.stopDate === undefined ? {} : { stopDate: execution.stopDate / 1000 }),
        input: execution.input,
        inputDetails: { included: true },
        ...(execution.output === undefined
          ? {}
          : { output: execution.output, outputDetails: { included: true } }),
        ...optional('error', execution.error),
        ...optional('cause', execution.cause),
      };
    },

    ListExecutions: async (input) => {
      const machine = machineOf(input);
      const filter = optionalString(input, 'statusFilter');
      const statuses = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];
      if (filter !== undefined && !statuses.includes(filter)) {
        throw new SfnApiError(
          'ValidationException',
          `1 validation error detected: Value '${filter}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${statuses.join(', ')}]`,
        );
      }
      const list = [...executions.values()]
        .filter((e) => e.machine === machine && (filter === undefined || e.status === filter))
        .reverse();
      const page = paginate(list, input, `ListExecutions ${machine.arn} ${filter ?? ''}`);
      return {
        executions: page.items.map((e) => ({
          executionArn: e.arn,
          stateMachineArn: machine.arn,
          name: e.name,
          status: e.status,
          startDate: e.startDate / 1000,
          ...(e.stopDate === undefined ? {} : { stopDate: e.stopDate / 1000 }),
        })),
        ...optional('nextToken', page.nextToken),
      };
    },

    GetExecutionHistory: async (input) => {
      const execution = executionOf(input);
      const reverse = input.reverseOrder === true;
      const data = input.includeExecutionData !== false;
      const events = reverse ? [...execution.history.events].reverse() : execution.history.events;
      const page = paginate(events, input, `GetExecutionHistory ${execution.arn} ${reverse}`);
      return {
        events: data ? page.items : page.items.map(withoutData),
        ...optional('nextToken', page.nextToken),
      };
    },

    StopExecution: async (input) => {
      const execution = executionOf(input);
      if (execution.status === 'RUNNING') {
        const at = clock.now();
        execution.history.aborted(at, optionalString(input, 'error'), optionalString(input, 'cause'));
        settle(execution);
        execution.controller.abort(new Error('the execution was stopped (StopExecution)'));
      }
      return { stopDate: (execution.stopDate ?? clock.now()) / 1000 };
    },

    SendTaskSuccess: async (input) => {
      const output = requiredString(input, 'output');
      let value: unknown;
      try {
        value = JSON.parse(output);
      } catch {
        throw new SfnApiError('InvalidOutput', `Invalid Output: not JSON: ${output.slice(0, 100)}`);
      }
      const task = taskOf(input);
      const decision = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
      task.resolve({
        approved: true,
        approvedBy: typeof decision.approvedBy === 'string' ? decision.approvedBy : 'unknown',
        comment: typeof decision.comment === 'string' ? decision.comment : '',
      });
      return {};
    },

    SendTaskFailure: async (input) => {
      const task = taskOf(input);
      task.reject(
        new LocalTaskFailure(
          optionalString(input, 'error') ?? 'States.TaskFailed',
          optionalString(input, 'cause') ?? '',
        ),
      );
      return {};
    },

    SendTaskHeartbeat: async (input) => {
      taskOf(input);
      return {};
    },
  };

  const settled = async (): Promise<void> => {
    await Promise.all([...executions.values()].map((e) => e.done));
  };

  return {
    stateMachines: machines,
    skipped,
    operations,
    settled,
    async close() {
      for (const execution of executions.values()) {
        if (execution.status === 'RUNNING') await operations.StopExecution({ executionArn: execution.arn });
      }
      await settled();
    },
  };
}

/** A history event without its execution data (`includeExecutionData: false`). */
function withoutData(event: HistoryEventJson): HistoryEventJson {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith('EventDetails') && typeof value === 'object' && value !== null) {
      const { input: _i, output: _o, parameters: _p, ...rest } = value as Record<string, unknown>;
      out[key] = rest;
    } else out[key] = value;
  }
  return out as unknown as HistoryEventJson;
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

function requiredString(input: Json, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '') {
    throw new SfnApiError(
      'ValidationException',
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function optionalString(input: Json, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new SfnApiError(
      'SerializationException',
      `${field} must be a string; received ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** A page of `items` from the request's `maxResults` and `nextToken`. */
function paginate<T>(
  items: readonly T[],
  input: Json,
  fingerprint: string,
): { items: T[]; nextToken?: string } {
  const max = input.maxResults;
  if (
    max !== undefined &&
    max !== null &&
    (typeof max !== 'number' || !Number.isInteger(max) || max < 0 || max > MAX_PAGE)
  ) {
    throw new SfnApiError(
      'ValidationException',
      `1 validation error detected: Value '${JSON.stringify(max)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${MAX_PAGE}`,
    );
  }
  const size = typeof max === 'number' && max > 0 ? max : DEFAULT_PAGE;
  let offset = 0;
  const token = optionalString(input, 'nextToken');
  if (token !== undefined) {
    const decoded = decodeToken(token);
    if (!decoded || decoded.f !== fingerprint || decoded.o > items.length) {
      throw new SfnApiError('InvalidToken', `Invalid Token: the nextToken does not belong to this request`);
    }
    offset = decoded.o;
  }
  const page = items.slice(offset, offset + size);
  const next = offset + page.length;
  return next < items.length
    ? { items: page, nextToken: encodeToken({ o: next, f: fingerprint }) }
    : { items: page };
}

function encodeToken(token: { o: number; f: string }): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeToken(text: string): { o: number; f: string } | undefined {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as { o?: unknown; f?: unknown };
    return typeof value.o === 'number' && typeof value.f === 'string'
      ? { o: value.o, f: value.f }
      : undefined;
  } catch {
    return undefined;
  }
}
