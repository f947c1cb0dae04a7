/**
 * An execution's history as Step Functions writes it, built from what a local run traces
 * ({@link RunTrace}): the engine's event log (states entered and exited, failures, Map
 * iterations, the end) and each Task state's handler call (which the engine does not log).
 *
 * The events have Step Functions' names and shapes (`TaskStateEntered` with
 * `stateEnteredEventDetails`, `TaskScheduled` with `taskScheduledEventDetails`, …, each with
 * `id`, `previousEventId` and `timestamp`), as GetExecutionHistory sends them on the wire (AWS
 * JSON 1.0: timestamps in epoch seconds), so one reader serves AWS and local executions:
 * lib/handlers/execution-history.ts finds a waiting approval's task token in its
 * `TaskScheduled` event here as it does on AWS.
 *
 * A Task state whose Resource is a Lambda function (the compiled `${…FnArn}` placeholders)
 * logs `LambdaFunction*` events; a service integration (`arn:aws:states:::<service>:<api>`)
 * logs `Task*` events with `resourceType` `<service>` and `resource` `<api>`, as on AWS.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
 */
import type { RunTrace } from '../run-local.ts';

/** One history event as the wire carries it (a `HistoryEvent` of the API reference). */
export interface HistoryEventJson {
  /** Epoch seconds. */
  readonly timestamp: number;
  readonly type: string;
  readonly id: number;
  readonly previousEventId: number;
  readonly [details: string]: unknown;
}

/** What the builder needs besides the traces. */
export interface HistoryOptions {
  readonly region: string;
  readonly accountId: string;
}

/** How an execution ended, once its last event is written. */
export type HistoryOutcome =
  | { readonly status: 'SUCCEEDED'; readonly output: string; readonly at: number }
  | {
      readonly status: 'FAILED' | 'TIMED_OUT' | 'ABORTED';
      readonly error?: string;
      readonly cause?: string;
      readonly at: number;
    };

interface OpenState {
  readonly name: string;
  readonly index: number | undefined;
  lastId: number;
  task: OpenTask | undefined;
}

interface OpenTask {
  readonly invocation: number;
  readonly state: OpenState;
  readonly lambda: boolean;
  readonly resourceType: string;
  readonly resource: string;
}

type ScheduledTrace = Extract<RunTrace, { type: 'task-scheduled' }>;
type EngineEvent = Extract<RunTrace, { type: 'engine' }>['event'];

const SERVICE_INTEGRATION = /^arn:aws[a-z-]*:states:::([^:]+):(.+)$/;
const PLACEHOLDER = /^\$\{([A-Za-z0-9]+)\}$/;

function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}

function causeText(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  return typeof cause === 'string' ? cause : JSON.stringify(cause);
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

/** The history of one execution, appended to as its run goes. */
export class ExecutionHistory {
  readonly #options: HistoryOptions;
  readonly #events: HistoryEventJson[] = [];
  /** States entered and not yet exited, by name (Map iterations enter one name several times). */
  readonly #open = new Map<string, OpenState[]>();
  readonly #tasks = new Map<number, OpenTask>();
  /** Handler calls traced before their state's entry was read from the engine's log. */
  readonly #early: ScheduledTrace[] = [];
  #outcome: HistoryOutcome | undefined;

  constructor(options: HistoryOptions) {
    this.#options = options;
  }

  /** The events so far, oldest first. */
  get events(): readonly HistoryEventJson[] {
    return this.#events;
  }

  /** How the execution ended, once it has. */
  get outcome(): HistoryOutcome | undefined {
    return this.#outcome;
  }

  #add(type: string, at: number, previousEventId: number, details: Record<string, unknown>): number {
    const id = this.#events.length + 1;
    this.#events.push({ timestamp: at / 1000, type, id, previousEventId, ...details });
    return id;
  }

  #last(): number {
    return this.#events.length;
  }

  #close(outcome: HistoryOutcome): void {
    this.#outcome = outcome;
    this.#open.clear();
    this.#tasks.clear();
    this.#early.length = 0;
  }

  /** `ExecutionStarted`: the first event, written when the execution is started. */
  started(input: string, roleArn: string, at: number): void {
    this.#add('ExecutionStarted', at, 0, {
      executionStartedEventDetails: { input, inputDetails: { truncated: false }, roleArn },
    });
  }

  /** `ExecutionAborted`: StopExecution's event; nothing is written after it. */
  aborted(at: number, error?: string, cause?: string): void {
    if (this.#outcome) return;
    this.#add('ExecutionAborted', at, this.#last(), {
      executionAbortedEventDetails: { ...optional('error', error), ...optional('cause', cause) },
    });
    this.#close({ status: 'ABORTED', ...optional('error', error), ...optional('cause', cause), at });
  }

  /** `ExecutionFailed` written by the service itself (a run that could not start). */
  failed(at: number, error: string, cause: string): void {
    if (this.#outcome) return;
    this.#add('ExecutionFailed', at, this.#last(), { executionFailedEventDetails: { error, cause } });
    this.#close({ status: 'FAILED', error, cause, at });
  }

  /** Appends what one trace of the run says; nothing once the execution has ended. */
  record(trace: RunTrace): void {
    if (this.#outcome) return;
    switch (trace.type) {
      case 'engine':
        this.#engine(trace.event);
        break;
      case 'task-scheduled':
        this.#scheduled(trace);
        break;
      case 'task-succeeded': {
        const task = this.#tasks.get(trace.invocation);
        if (!task) return;
        this.#tasks.delete(trace.invocation);
        task.state.task = undefined;
        const output = json(trace.output);
        task.state.lastId = task.lambda
          ? this.#add('LambdaFunctionSucceeded', trace.at, task.state.lastId, {
              lambdaFunctionSucceededEventDetails: { output, outputDetails: { truncated: false } },
            })
          : this.#add('TaskSucceeded', trace.at, task.state.lastId, {
              taskSucceededEventDetails: {
                resourceType: task.resourceType,
                resource: task.resource,
                output,
                outputDetails: { truncated: false },
              },
            });
        break;
      }
    }
  }

  #openState(name: string, index: number | undefined): OpenState | undefined {
    const list = this.#open.get(name);
    if (!list) return undefined;
    return list.find((s) => index === undefined || s.index === undefined || s.index === index) ?? list[0];
  }

  #exitState(state: OpenState): void {
    const list = this.#open.get(state.name) ?? [];
    const at = list.indexOf(state);
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) this.#open.delete(state.name);
  }

  #scheduled(trace: ScheduledTrace): void {
    const state = this.#open.get(trace.state)?.find((s) => s.task === undefined);
    if (!state) {
      this.#early.push(trace);
      return;
    }
    const service = SERVICE_INTEGRATION.exec(trace.resource);
    const lambda = service === null;
    const { region, accountId } = this.#options;
    const placeholder = PLACEHOLDER.exec(trace.resource)?.[1];
    const functionArn = placeholder
      ? `arn:aws:lambda:${region}:${accountId}:function:${placeholder.replace(/Arn$/, '')}`
      : trace.resource;
    const task: OpenTask = {
      invocation: trace.invocation,
      state,
      lambda,
      resourceType: service?.[1] ?? 'lambda',
      resource: service?.[2] ?? functionArn,
    };
    state.task = task;
    this.#tasks.set(trace.invocation, task);
    if (lambda) {
      const scheduled = this.#add('LambdaFunctionScheduled', trace.at, state.lastId, {
        lambdaFunctionScheduledEventDetails: {
          resource: functionArn,
          input: json(trace.parameters),
          inputDetails: { truncated: false },
          timeoutInSeconds: trace.timeoutSeconds,
        },
      });
      state.lastId = this.#add('LambdaFunctionStarted', trace.at, scheduled, {});
    } else {
      const scheduled = this.#add('TaskScheduled', trace.at, state.lastId, {
        taskScheduledEventDetails: {
          resourceType: task.resourceType,
          resource: task.resource,
          region,
          parameters: json(trace.parameters),
          timeoutInSeconds: trace.timeoutSeconds,
        },
      });
      state.lastId = this.#add('TaskStarted', trace.at, scheduled, {
        taskStartedEventDetails: { resourceType: task.resourceType, resource: task.resource },
      });
    }
  }

  #engine(event: EngineEvent): void {
    const at = event.timestamp;
    const raw = event as EngineEvent & {
      readonly index?: number;
      readonly parentState?: { readonly name: string };
      readonly output?: unknown;
      readonly state?: {
        readonly name: string;
        readonly type?: string;
        readonly input?: unknown;
        readonly output?: unknown;
      };
    };
    switch (event.type) {
      case 'StateEntered': {
        const stateInfo = raw.state;
        if (!stateInfo) return;
        const type = stateInfo.type ?? 'Task';
        const id = this.#add(`${type}StateEntered`, at, this.#last(), {
          stateEnteredEventDetails: {
            name: stateInfo.name,
            input: json(stateInfo.input),
            inputDetails: { truncated: false },
          },
        });
        const state: OpenState = { name: stateInfo.name, index: raw.index, lastId: id, task: undefined };
        this.#open.set(stateInfo.name, [...(this.#open.get(stateInfo.name) ?? []), state]);
        if (type === 'Map')
          state.lastId = this.#add('MapStateStarted', at, id, { mapStateStartedEventDetails: {} });
        if (type === 'Parallel') state.lastId = this.#add('ParallelStateStarted', at, id, {});
        const early = this.#early.findIndex((t) => t.state === stateInfo.name);
        if (early >= 0) this.#scheduled(this.#early.splice(early, 1)[0] as ScheduledTrace);
        return;
      }
      case 'StateExited': {
        const stateInfo = raw.state;
        if (!stateInfo) return;
        const state = this.#openState(stateInfo.name, raw.index);
        const type = stateInfo.type ?? 'Task';
        let previous = state?.lastId ?? this.#last();
        if (type === 'Map') previous = this.#add('MapStateSucceeded', at, previous, {});
        if (type === 'Parallel') previous = this.#add('ParallelStateSucceeded', at, previous, {});
        this.#add(`${type}StateExited`, at, previous, {
          stateExitedEventDetails: {
            name: stateInfo.name,
            output: json(stateInfo.output),
            outputDetails: { truncated: false },
          },
        });
        if (state) this.#exitState(state);
        return;
      }
      case 'StateFailed': {
        const stateInfo = raw.state;
        if (!stateInfo) return;
        const state = this.#openState(stateInfo.name, raw.index);
        const error = event.Error ?? 'States.TaskFailed';
        const cause = causeText(event.Cause);
        const details = { error, ...optional('cause', cause) };
        if (state?.task) {
          const task = state.task;
          this.#tasks.delete(task.invocation);
          state.task = undefined;
          const timedOut = error === 'States.Timeout';
          state.lastId = task.lambda
            ? this.#add(timedOut ? 'LambdaFunctionTimedOut' : 'LambdaFunctionFailed', at, state.lastId, {
                [timedOut ? 'lambdaFunctionTimedOutEventDetails' : 'lambdaFunctionFailedEventDetails']:
                  details,
              })
            : this.#add(timedOut ? 'TaskTimedOut' : 'TaskFailed', at, state.lastId, {
                [timedOut ? 'taskTimedOutEventDetails' : 'taskFailedEventDetails']: {
                  resourceType: task.resourceType,
                  resource: task.resource,
                  ...details,
                },
              });
        } else if (stateInfo.type === 'Map' || stateInfo.type === 'Parallel') {
          const id = this.#add(`${stateInfo.type}StateFailed`, at, state?.lastId ?? this.#last(), {});
          if (state) state.lastId = id;
        }
        return;
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const name = raw.parentState?.name ?? '';
        const state = this.#openState(name, undefined);
        const key = `${event.type.charAt(0).toLowerCase()}${event.type.slice(1)}EventDetails`;
        const id = this.#add(event.type, at, state?.lastId ?? this.#last(), {
          [key]: { name, index: raw.index ?? 0 },
        });
        if (state) state.lastId = id;
        return;
      }
      case 'ExecutionSucceeded': {
        const output = json(raw.output);
        this.#add('ExecutionSucceeded', at, this.#last(), {
          executionSucceededEventDetails: { output, outputDetails: { truncated: false } },
        });
        this.#close({ status: 'SUCCEEDED', output, at });
        return;
      }
      case 'ExecutionFailed': {
        const error = event.Error ?? 'States.Runtime';
        const cause = causeText(event.Cause);
        this.#add('ExecutionFailed', at, this.#last(), {
          executionFailedEventDetails: { error, ...optional('cause', cause) },
        });
        this.#close({ status: 'FAILED', error, ...optional('cause', cause), at });
        return;
      }
      case 'ExecutionTimeout': {
        const error = 'States.Timeout';
        this.#add('ExecutionTimedOut', at, this.#last(), { executionTimedOutEventDetails: { error } });
        this.#close({ status: 'TIMED_OUT', error, at });
        return;
      }
      default:
        // ExecutionStarted is written at StartExecution, ExecutionAborted by StopExecution;
        // retries and catches have no event of their own (the next TaskScheduled, the exit).
        return;
    }
  }
}
