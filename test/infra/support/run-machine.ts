/**
 * Runs a state machine of cdk.out in aws-local-stepfunctions. Every Task state whose resource is
 * one of the synthesized functions (directly by ARN, or through `lambda:invoke` and
 * `lambda:invoke.waitForTaskToken`) calls that function's asset through the Lambda harness;
 * a `.waitForTaskToken` state then waits until the test answers the token.
 */
import { randomUUID } from 'node:crypto';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { CdkOut, SynthesizedStateMachine } from './cdk-out.ts';
import { LambdaHarness, LambdaInvokeError } from './lambda-harness.ts';

interface TaskState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Parameters?: { readonly FunctionName?: string };
  readonly States?: Record<string, TaskState>;
  readonly Branches?: { States: Record<string, TaskState> }[];
  readonly ItemProcessor?: { States: Record<string, TaskState> };
  readonly Iterator?: { States: Record<string, TaskState> };
}

/** Every Task state by name, nested ones included. */
export function taskStates(states: Record<string, TaskState>, into = new Map<string, TaskState>()) {
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') into.set(name, state);
    for (const branch of state.Branches ?? []) taskStates(branch.States, into);
    const processor = state.ItemProcessor ?? state.Iterator;
    if (processor) taskStates(processor.States, into);
  }
  return into;
}

const INVOKE = 'arn:aws:states:::lambda:invoke';
const INVOKE_WAIT = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
const SNS_PUBLISH = 'arn:aws:states:::sns:publish';

/** The function a Task state invokes (by ARN or through `lambda:invoke`); undefined for others. */
export function invokedFunctionArn(state: TaskState): string | undefined {
  const resource = String(state.Resource);
  if (resource.startsWith('arn:aws:lambda:')) return resource;
  if (resource === INVOKE || resource === INVOKE_WAIT) return state.Parameters?.FunctionName;
  return undefined;
}

/** What a test answers a waiting task token with. */
export type TokenAnswer = { readonly output: unknown } | { readonly error: string; readonly cause: string };

/** Task tokens handed out by a run, answered by the test (SendTaskSuccess / SendTaskFailure). */
export class TaskTokens {
  private readonly waiting = new Map<string, (answer: TokenAnswer) => void>();
  private readonly early = new Map<string, TokenAnswer>();

  wait(token: string): Promise<TokenAnswer> {
    const answered = this.early.get(token);
    if (answered) return Promise.resolve(answered);
    return new Promise((resolve) => this.waiting.set(token, resolve));
  }

  sendTaskSuccess(token: string, output: unknown): void {
    this.answer(token, { output });
  }

  sendTaskFailure(token: string, error: string, cause: string): void {
    this.answer(token, { error, cause });
  }

  private answer(token: string, answer: TokenAnswer): void {
    const resolve = this.waiting.get(token);
    if (!resolve) {
      this.early.set(token, answer);
      return;
    }
    this.waiting.delete(token);
    resolve(answer);
  }
}

/** An error as the engine sees a Lambda task's: `Error` the errorType, `Cause` the envelope. */
class TaskFailure extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

export interface MachineRunOptions {
  readonly tokens?: TaskTokens;
  readonly retryIntervalOverrides?: Record<string, number>;
  readonly waitTimeOverrides?: Record<string, number>;
  /** The function timeout each call gets, instead of the function's own. */
  readonly timeoutMs?: number;
}

export interface MachineRun {
  readonly executionArn: string;
  readonly output: unknown;
  /** Each Task state's calls, in order: which function, with which event. */
  readonly calls: { readonly state: string; readonly function: string; readonly event: unknown }[];
}

/** The harnesses, one per function (its asset is imported once, as one warm container). */
export class Harnesses {
  private readonly byArn = new Map<string, LambdaHarness>();

  readonly cdkOut: CdkOut;

  constructor(cdkOut: CdkOut) {
    this.cdkOut = cdkOut;
  }

  forArn(arn: string): LambdaHarness {
    let harness = this.byArn.get(arn);
    if (!harness) {
      harness = new LambdaHarness(this.cdkOut.functionByArn(arn));
      this.byArn.set(arn, harness);
    }
    return harness;
  }
}

/** Runs `machine` with `input`; resolves with its output, rejects with the engine's error. */
export async function runMachine(
  harnesses: Harnesses,
  machine: SynthesizedStateMachine,
  input: unknown,
  options: MachineRunOptions = {},
): Promise<MachineRun> {
  const definition = machine.definition as unknown as StateMachineDefinition & {
    States: Record<string, TaskState>;
  };
  const executionName = `synthrun-${randomUUID().slice(0, 8)}`;
  const executionArn = `arn:aws:states:us-east-1:123456789012:execution:${machine.name}:${executionName}`;
  const token = `synthrun-token-${randomUUID()}`;
  const calls: MachineRun['calls'] = [];
  const handlers: Record<string, (payload: unknown) => Promise<unknown>> = {};
  for (const [name, state] of taskStates(definition.States)) {
    const resource = String(state.Resource);
    handlers[name] = async (payload: unknown) => {
      const call = async (arn: string, event: unknown): Promise<unknown> => {
        const harness = harnesses.forArn(arn);
        calls.push({ state: name, function: harness.fn.logicalId, event });
        try {
          return await harness.invoke(event, options.timeoutMs ? { timeoutMs: options.timeoutMs } : {});
        } catch (error) {
          if (!(error instanceof LambdaInvokeError)) throw error;
          throw new TaskFailure(
            error.errorType,
            JSON.stringify({ errorType: error.errorType, errorMessage: error.errorMessage, trace: [] }),
          );
        }
      };
      if (resource === INVOKE || resource === INVOKE_WAIT) {
        const { FunctionName, Payload } = payload as { FunctionName: string; Payload: unknown };
        const result = await call(FunctionName, Payload);
        if (resource === INVOKE) return { StatusCode: 200, Payload: result };
        if (!options.tokens)
          throw new Error(`state ${name} waits for a task token and the run has no TaskTokens`);
        const answer = await options.tokens.wait(token);
        if ('error' in answer) throw new TaskFailure(answer.error, answer.cause);
        return answer.output;
      }
      if (resource.startsWith('arn:aws:lambda:')) return call(resource, payload);
      if (resource === SNS_PUBLISH) {
        // The service integration, as Step Functions calls it: SNS Publish (on loopback here).
        const params = payload as ConstructorParameters<typeof PublishCommand>[0];
        calls.push({ state: name, function: 'sns:publish', event: params });
        const sns = new SNSClient({});
        try {
          const published = await sns.send(new PublishCommand(params));
          return { MessageId: published.MessageId };
        } finally {
          sns.destroy();
        }
      }
      throw new Error(`state ${name} calls ${resource}, which the harness does not serve`);
    };
  }
  const engine = new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } });
  const execution = engine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      ...(options.retryIntervalOverrides ? { retryIntervalOverrides: options.retryIntervalOverrides } : {}),
      ...(options.waitTimeOverrides ? { waitTimeOverrides: options.waitTimeOverrides } : {}),
    },
    context: {
      Execution: { Id: executionArn, Name: executionName, StartTime: new Date().toISOString() },
      StateMachine: { Id: machine.name, Name: machine.name },
      Task: { Token: token },
    } as never,
  });
  const output = await execution.result;
  return { executionArn, output, calls };
}
