// biome-ignore-all lint/suspicious/noTemplateCurlyInString: placeholders are ${Name} and runbook expressions ${{ … }}
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AslState,
  CompileError,
  compileRunbook,
  lowerRunbook,
  placeholdersOf,
  splitConcurrency,
} from '../../lib/compiler/index.ts';
import { RETRYABLE_TASK_ERROR_NAMES, TASK_ERROR_NAMES } from '../../lib/shared/errors.ts';
import { compileYaml, findState, model, runbookYaml, strings, validate } from './helpers.ts';

const exec = (extra = '') => `  - id: run
    exec:
      target: { service: api, cluster: prod, container: app }
      command: echo hi
${extra}`;

describe('lowerRunbook', () => {
  describe('exec, single target', () => {
    it('emits one Task on the exec function whose result is the step value', () => {
      const { definition } = compileYaml(runbookYaml(`${exec()}    timeout: 90s`));

      expect(definition.States.run).toEqual({
        Type: 'Task',
        Resource: '${ExecFnArn}',
        Parameters: {
          kind: 'exec',
          runbook: 't',
          stepId: 'run',
          'execution.$': '$$.Execution.Id',
          target: { cluster: 'prod', service: 'api', pick: 'one', container: 'app' },
          script: 'echo hi',
          env: {},
          timeoutMs: 90_000,
          captures: [],
          stateTailBytes: 2048,
          outputBucket: '${OutputBucket}',
          // Each try's output under its own key (lib/handlers/s3-output-store.ts).
          'retryCount.$': '$$.State.RetryCount',
        },
        TimeoutSeconds: 270, // 90 s + the 180 s margin
        ResultPath: '$.steps.run',
        Next: 'Runbook.Outputs',
      });
    });

    it('binds parameters, step values and trigger fields as env paths, never as script text', () => {
      const source = runbookYaml(
        `  - id: first
    exec: { target: { service: api }, command: "true" }
    capture: { v: { regex: '(\\w+)', type: string } }
  - id: run
    exec:
      target: { service: "\${{ params.svc }}", cluster: "c-\${{ params.env }}" }
      command: |
        echo \${{ params.svc }} "\${{ steps.first.outputs.v }}" \${{ trigger.alarm.name }}
        echo "\${{ params.svc }}" \${{ steps.first.exitCode }}`,
        'parameters: { svc: { type: string, default: api }, env: { type: string, default: prod } }',
      );

      const parameters = findState(compileYaml(source).definition, 'run').Parameters as Record<
        string,
        unknown
      >;

      // The exit code is a nullable integer: the type-guard prologue checks it first.
      const [guard, ...rest] = String(parameters.script).split('\n');
      expect(guard).toMatch(/^case "\$\{RB_E_3\}" in ''\) ;; \*\) case "\$\{RB_E_3#-\}" in /);
      expect(rest.join('\n')).toBe(
        'echo "${RB_P_svc}" "${RB_E_1}" "${RB_E_2}"\necho "${RB_P_svc}" "${RB_E_3}"\n',
      );
      expect(parameters.env).toEqual({
        'RB_P_svc.$': '$.params.svc',
        'RB_E_1.$': '$.steps.first.outputs.v',
        'RB_E_2.$': '$.trigger.alarm.name',
        'RB_E_3.$': '$.steps.first.exitCode',
      });
      expect(parameters.target).toEqual({
        'cluster.$': "States.Format('c-{}', $.params.env)",
        'service.$': '$.params.svc',
        pick: 'one',
      });
    });

    it('never puts a parameter value into a script, whatever the value', () => {
      const value = fc.string({ minLength: 1, maxLength: 40 }).map((s) => `§${s}`);
      fc.assert(
        fc.property(value, (text) => {
          const source = runbookYaml(
            `  - id: run
    exec: { target: { service: api }, command: 'printf "%s" \${{ params.p }}' }`,
            `parameters: { p: { type: string, default: ${JSON.stringify(text)} } }`,
          );
          const { definition } = compileYaml(source);
          for (const [key, s] of strings(definition)) {
            if (key === 'script') expect(s).not.toContain(text);
          }
          expect(findState(definition, 'run').Parameters).toMatchObject({
            env: { 'RB_P_p.$': '$.params.p' },
          });
          expect((findState(definition, 'Runbook.Input').Parameters as { params: unknown }).params).toEqual({
            p: text,
          });
        }),
        { numRuns: 50 },
      );
    });

    it('passes captures to the handler as data', () => {
      const source = runbookYaml(`  - id: run
    exec: { target: { service: api }, command: "true" }
    capture:
      a: { regex: '^a=(\\d+)$', type: integer, default: 3 }
      b: { json: '.x[0]', type: string }`);

      const parameters = compileYaml(source).definition.States.run?.Parameters as Record<string, unknown>;

      expect(parameters.captures).toEqual([
        {
          name: 'a',
          type: 'integer',
          extract: { kind: 'regex', pattern: '^a=(\\d+)$', group: 1 },
          default: 3,
        },
        { name: 'b', type: 'string', extract: { kind: 'json', path: '.x[0]', segments: ['x', 0] } },
      ]);
    });

    it('maps retry to one Retrier on the retryable task errors', () => {
      const { definition } = compileYaml(
        runbookYaml(`${exec('    retry: { attempts: 4, interval: 2s, backoff: 3, maxInterval: 10s }')}`),
      );

      expect(definition.States.run?.Retry).toEqual([
        {
          ErrorEquals: [...RETRYABLE_TASK_ERROR_NAMES],
          IntervalSeconds: 2,
          MaxAttempts: 3,
          BackoffRate: 3,
          MaxDelaySeconds: 10,
        },
      ]);
    });

    it('emits no Retry when retry allows a single attempt', () => {
      const { definition } = compileYaml(runbookYaml(`${exec('    retry: 1')}`));
      expect(definition.States.run?.Retry).toBeUndefined();
    });

    it('emits no Catch when onFailure is fail, so the run fails with the step’s error', () => {
      const { definition } = compileYaml(runbookYaml(exec()));
      expect(definition.States.run?.Catch).toBeUndefined();
      expect(Object.keys(definition.States).filter((n) => n.startsWith('run.'))).toEqual([]);
    });

    it('catches task errors into the parse path and any other error into Errored when onFailure is continue', () => {
      const { definition } = compileYaml(runbookYaml(`${exec('    onFailure: continue')}`));
      const s = definition.States;

      expect(s.run?.Catch).toEqual([
        { ErrorEquals: [...TASK_ERROR_NAMES], ResultPath: '$.steps.run.error', Next: 'run.Caught' },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.steps.run.error', Next: 'run.Errored' },
      ]);
      expect(s['run.Caught']).toEqual({
        Type: 'Pass',
        Parameters: { 'envelope.$': 'States.StringToJson($.steps.run.error.Cause)' },
        ResultPath: '$.steps.run',
        Next: 'run.Parsed',
      });
      expect(s['run.Parsed']?.Parameters).toEqual({
        'value.$': 'States.StringToJson($.steps.run.envelope.errorMessage)',
      });
      expect(s['run.Failed']).toEqual({
        Type: 'Pass',
        InputPath: '$.steps.run.value',
        ResultPath: '$.steps.run',
        Next: 'Runbook.Outputs',
      });
      expect(s['run.Errored']).toEqual({
        Type: 'Pass',
        Parameters: {
          status: 'failed',
          exitCode: null,
          outputs: {},
          error: { 'name.$': '$.steps.run.error.Error', 'message.$': '$.steps.run.error.Cause' },
        },
        ResultPath: '$.steps.run',
        Next: 'Runbook.Outputs',
      });
    });

    it('routes failures into the onFailure steps, which go on with the next step', () => {
      const source = runbookYaml(`${exec(`    onFailure:
      - id: cleanup
        wait: 1s
`)}  - id: after
    wait: 2s`);

      const s = compileYaml(source).definition.States;

      expect(s['run.Failed']?.Next).toBe('cleanup');
      expect(s['run.Errored']?.Next).toBe('cleanup');
      expect(s['cleanup.Done']?.Next).toBe('after');
      expect(s.run?.Next).toBe('after');
    });

    it('uses only names from lib/shared/errors.ts in Retry', () => {
      const { definition } = compileYaml(runbookYaml(`${exec('    retry: 3')}`));
      for (const retrier of findState(definition, 'run').Retry as { ErrorEquals: string[] }[]) {
        for (const name of retrier.ErrorEquals) expect(TASK_ERROR_NAMES).toContain(name);
      }
    });
  });

  describe('exec, fan-out', () => {
    const fanOut = (target: string, extra = '') =>
      runbookYaml(`  - id: purge
    exec:
      target: { service: api, pick: all, container: app${target} }
      command: rm -f "$DATA_DIR/x"
${extra}`);

    it('emits targets → route → inline or distributed Map → summary', () => {
      const s = compileYaml(fanOut(', concurrency: 100, toleratedFailures: 10%')).definition.States;

      expect(Object.keys(s).filter((n) => n.startsWith('purge'))).toEqual([
        'purge',
        'purge.Route',
        'purge.Batches',
        'purge.Distributed',
        'purge.Summary',
      ]);
      expect(s.purge).toMatchObject({
        Resource: '${TargetsFnArn}',
        Parameters: {
          kind: 'targets',
          target: { service: 'api', pick: 'all', container: 'app' },
          batchSize: 25,
          distributedThreshold: 1000,
        },
        ResultPath: '$.steps.purge',
        Next: 'purge.Route',
      });
      expect(s['purge.Route']?.Choices).toEqual([
        { Variable: '$.steps.purge.batches', IsPresent: true, Next: 'purge.Batches' },
      ]);
      expect(s['purge.Batches']).toMatchObject({
        Type: 'Map',
        ItemsPath: '$.steps.purge.batches',
        MaxConcurrency: 4,
        ItemSelector: {
          kind: 'batch',
          'cluster.$': '$.steps.purge.cluster',
          'taskIds.$': '$$.Map.Item.Value',
          concurrency: 25,
          ratePerSecond: 5,
        },
        ResultSelector: { 'results.$': '$' },
        ResultPath: '$.steps.purge',
        Next: 'purge.Summary',
      });
      expect(s['purge.Distributed']).toMatchObject({
        ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' } },
        ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
        ResultWriter: { Resource: 'arn:aws:states:::s3:putObject' },
        ResultSelector: { 'resultWriterDetails.$': '$.ResultWriterDetails' },
      });
      expect(s['purge.Summary']).toMatchObject({
        Resource: '${FanOutSummaryFnArn}',
        Parameters: {
          kind: 'summary',
          'fanOut.$': '$.steps.purge',
          toleratedFailures: { percent: 10 },
          maxListedFailures: 100,
        },
        ResultPath: '$.steps.purge',
        Next: 'Runbook.Outputs',
      });
    });

    it('emits no ToleratedFailure field, so AWS and the local engine agree', () => {
      const { json } = compileYaml(fanOut(', toleratedFailures: 2'));
      expect(json).not.toMatch(/ToleratedFailure/);
    });

    it('gives a batch backstop room for every try and the waits between them', () => {
      const batch = findState(
        compileYaml(fanOut('', '    timeout: 1m\n    retry: { attempts: 3, interval: 10s, backoff: 2 }\n'))
          .definition,
        'purge.Batch',
      );
      // 3 tries × (60 s + 180 s margin) + waits of 10 s and 20 s.
      expect(batch).toMatchObject({ TimeoutSeconds: 3 * 240 + 30 });
    });

    it('returns per batch only what the Map result can hold', () => {
      const batch = findState(compileYaml(fanOut('')).definition, 'purge.Batch');
      expect(batch).toEqual({ Type: 'Task', Resource: '${ExecFnArn}', TimeoutSeconds: 780, End: true });
    });

    it('splits concurrency into Map iterations and targets per batch, and the rate across batches', () => {
      const s = compileYaml(fanOut(', concurrency: 30'), { execRatePerSecond: 20 }).definition.States;

      expect(s['purge.Batches']?.MaxConcurrency).toBe(2);
      expect(s['purge.Batches']?.ItemSelector).toMatchObject({ concurrency: 15, ratePerSecond: 10 });
      expect(s.purge?.Parameters).toMatchObject({ batchSize: 15 });
    });

    it.each([
      [10, 25, { batchSize: 10, mapConcurrency: 1, distributedConcurrency: 1 }],
      [30, 25, { batchSize: 15, mapConcurrency: 2, distributedConcurrency: 2 }],
      [100, 25, { batchSize: 25, mapConcurrency: 4, distributedConcurrency: 4 }],
      [1000, 25, { batchSize: 25, mapConcurrency: 40, distributedConcurrency: 40 }],
      [1000, 10, { batchSize: 10, mapConcurrency: 40, distributedConcurrency: 100 }],
      [1, 100, { batchSize: 1, mapConcurrency: 1, distributedConcurrency: 1 }],
    ])('splits concurrency %i with batch size %i into %j', (concurrency, batchSize, split) => {
      expect(splitConcurrency(concurrency, batchSize)).toEqual(split);
      expect(split.mapConcurrency).toBeLessThanOrEqual(40);
      expect(split.mapConcurrency * split.batchSize).toBeLessThanOrEqual(concurrency);
    });

    it('passes a per-target retry to the batches and retries target resolution', () => {
      const s = compileYaml(fanOut('', '    retry: { attempts: 3, interval: 2s }')).definition.States;

      expect(s['purge.Batches']?.ItemSelector).toMatchObject({
        retry: { attempts: 3, intervalMs: 2000, backoff: 2 },
      });
      expect(s.purge?.Retry).toEqual([
        { ErrorEquals: [...RETRYABLE_TASK_ERROR_NAMES], IntervalSeconds: 2, MaxAttempts: 2, BackoffRate: 2 },
      ]);
    });

    it('catches the targets and summary errors with the parse path and Map failures generically', () => {
      const s = compileYaml(fanOut('', '    onFailure: continue')).definition.States;

      const nexts = (name: string) => ((s[name]?.Catch ?? []) as { Next: string }[]).map((c) => c.Next);
      expect(nexts('purge')).toEqual(['purge.Caught', 'purge.Errored']);
      expect(nexts('purge.Summary')).toEqual(['purge.Caught', 'purge.Errored']);
      expect(nexts('purge.Batches')).toEqual(['purge.Errored']);
      expect(nexts('purge.Distributed')).toEqual(['purge.Errored']);
      expect(s['purge.Errored']?.Parameters).toMatchObject({
        outputs: { total: 0, succeeded: 0, failed: 0 },
      });
    });
  });

  describe('other step kinds', () => {
    it('waits for an approval task token with the approval timeout', () => {
      const source = runbookYaml(
        `  - id: ok
    approval: { message: "go \${{ params.x }}?", timeout: 15m, approvers: [arn:aws:iam::123456789012:role/a] }`,
        'parameters: { x: { type: string, default: a } }',
      );

      expect(compileYaml(source).definition.States.ok).toEqual({
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: '${ApprovalFnArn}',
          Payload: {
            kind: 'approval',
            runbook: 't',
            stepId: 'ok',
            'execution.$': '$$.Execution.Id',
            'taskToken.$': '$$.Task.Token',
            'message.$': "States.Format('go {}?', $.params.x)",
            approvers: ['arn:aws:iam::123456789012:role/a'],
            timeoutMs: 900_000,
          },
        },
        TimeoutSeconds: 900,
        ResultSelector: {
          status: 'succeeded',
          exitCode: null,
          outputs: { 'approvedBy.$': '$.approvedBy', 'comment.$': '$.comment' },
        },
        ResultPath: '$.steps.ok',
        Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.steps.ok.error', Next: 'ok.TimedOut' }],
        Next: 'Runbook.Outputs',
      });
    });

    it('turns an approval timeout into ApprovalRejected and fails the run', () => {
      const source = runbookYaml(`  - id: ok
    approval: { message: go, timeout: 90s }`);
      const s = compileYaml(source).definition.States;

      expect(s['ok.TimedOut']).toEqual({
        Type: 'Pass',
        Parameters: {
          status: 'failed',
          exitCode: null,
          outputs: { approvedBy: '', comment: '' },
          error: {
            name: 'ApprovalRejected',
            message: 'no decision within 1m30s',
            hint: 'approve or reject sooner, or give the approval a longer timeout',
          },
        },
        ResultPath: '$.steps.ok',
        Next: 'ok.Rejected',
      });
      expect(s['ok.Rejected']).toEqual({
        Type: 'Fail',
        Error: 'ApprovalRejected',
        Cause: 'no decision within 1m30s',
      });
    });

    it('catches a rejected approval into the parse path and a timeout before it', () => {
      const source = runbookYaml(`  - id: ok
    approval: { message: go }
    onFailure: continue`);
      const s = compileYaml(source).definition.States;
      const catches = s.ok?.Catch as { ErrorEquals: string[]; Next: string }[];
      expect(catches.map((c) => [c.ErrorEquals, c.Next])).toEqual([
        [['States.Timeout'], 'ok.TimedOut'],
        [['ApprovalRejected'], 'ok.Caught'],
        [['States.ALL'], 'ok.Errored'],
      ]);
      expect(s['ok.TimedOut']?.Next).toBe('Runbook.Outputs');
      expect(s['ok.Rejected']).toBeUndefined();
    });

    it('publishes a notification through the SNS integration, retrying any task failure', () => {
      const source = runbookYaml(
        `  - id: tell
    notify: { topic: "arn:aws:sns:eu-west-1:123456789012:ops", subject: "n=\${{ params.n }}", message: "\${{ params.n }}" }
    retry: 2`,
        'parameters: { n: { type: integer, default: 1 } }',
      );

      expect(compileYaml(source).definition.States.tell).toEqual({
        Type: 'Task',
        Resource: 'arn:aws:states:::sns:publish',
        Parameters: {
          TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops',
          'Message.$': "States.Format('{}', $.params.n)",
          'Subject.$': "States.Format('n={}', $.params.n)",
        },
        ResultSelector: { status: 'succeeded', exitCode: null, outputs: {} },
        ResultPath: '$.steps.tell',
        Retry: [{ ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 1, MaxAttempts: 1, BackoffRate: 2 }],
        Next: 'Runbook.Outputs',
      });
    });

    it('waits whole seconds, rounding up, then records the step as succeeded', () => {
      const s = compileYaml(
        runbookYaml(`  - id: pause
    wait: 1500ms`),
      ).definition.States;

      expect(s.pause).toEqual({ Type: 'Wait', Seconds: 2, Next: 'pause.Done' });
      expect(s['pause.Done']).toEqual({
        Type: 'Pass',
        Result: { status: 'succeeded', exitCode: null, outputs: {} },
        ResultPath: '$.steps.pause',
        Next: 'Runbook.Outputs',
      });
    });

    it.each([
      ['"2030-01-31T03:00:00Z"', { Timestamp: '2030-01-31T03:00:00Z' }],
      ['"${{ params.at }}"', { TimestampPath: '$.params.at' }],
    ])('waits until %s', (until, fields) => {
      const source = runbookYaml(
        `  - id: pause
    wait: { until: ${until} }`,
        'parameters: { at: { type: string, default: "2030-01-01T00:00:00Z" } }',
      );
      expect(compileYaml(source).definition.States.pause).toEqual({
        Type: 'Wait',
        ...fields,
        Next: 'pause.Done',
      });
    });

    it('runs parallel branches and merges each branch’s step values back', () => {
      const source = runbookYaml(`  - id: both
    parallel:
      branches:
        - steps:
            - id: a
              wait: 1s
        - steps:
            - id: b
              wait: 1s
            - id: c
              wait: 1s`);

      const s = compileYaml(source).definition.States;

      const branches = s.both?.Branches as { StartAt: string; States: Record<string, AslState> }[];
      expect(branches.map((b) => b.StartAt)).toEqual(['a', 'b']);
      expect(branches[0]?.States['both.Branch1']).toEqual({ Type: 'Succeed' });
      expect(branches[1]?.States['c.Done']?.Next).toBe('both.Branch2');
      expect(s.both?.ResultSelector).toEqual({
        both: { status: 'succeeded', exitCode: null, outputs: {} },
        'a.$': '$[0].steps.a',
        'b.$': '$[1].steps.b',
        'c.$': '$[1].steps.c',
      });
      expect(s.both?.ResultPath).toBe('$.steps.both');
      expect(s['both.Merge']?.Parameters).toEqual({
        'params.$': '$.params',
        'trigger.$': '$.trigger',
        'steps.$': 'States.JsonMerge($.steps, $.steps.both, false)',
      });
    });

    it('starts a called runbook’s state machine and waits for its outputs', () => {
      const source = runbookYaml(
        `  - id: call
    runbook: { name: purge-temp-files, parameters: { service: "\${{ params.s }}", days: 3 } }
    timeout: 30m
    retry: 2`,
        'parameters: { s: { type: string, default: api } }',
      );

      const { definition, placeholders } = compileYaml(source);

      expect(definition.States.call).toEqual({
        Type: 'Task',
        Resource: 'arn:aws:states:::states:startExecution.sync:2',
        Parameters: {
          StateMachineArn: '${Runbook_purge_temp_files_Arn}',
          Input: {
            params: { 'service.$': '$.params.s', days: 3 },
            'trigger.$': '$.trigger',
            'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id',
          },
        },
        TimeoutSeconds: 1800,
        ResultSelector: { status: 'succeeded', exitCode: null, 'outputs.$': '$.Output.outputs' },
        ResultPath: '$.steps.call',
        Retry: [{ ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 1, MaxAttempts: 1, BackoffRate: 2 }],
        Next: 'Runbook.Outputs',
      });
      expect(placeholders).toEqual(['CheckInputFnArn', 'Runbook_purge_temp_files_Arn']);
    });

    it.each([
      [
        'fail: { error: DiskFull, cause: full }',
        [['stop', { Type: 'Fail', Error: 'DiskFull', Cause: 'full' }]],
      ],
      ['fail:', [['stop', { Type: 'Fail', Error: 'RunbookFailed' }]]],
      [
        'fail: { cause: "${{ params.s }}" }',
        [['stop', { Type: 'Fail', Error: 'RunbookFailed', CausePath: '$.params.s' }]],
      ],
      [
        'fail: { cause: "bad ${{ params.s }}" }',
        [
          [
            'stop.Cause',
            {
              Type: 'Pass',
              Parameters: { 'cause.$': "States.Format('bad {}', $.params.s)" },
              ResultPath: '$.steps.stop',
              Next: 'stop',
            },
          ],
          ['stop', { Type: 'Fail', Error: 'RunbookFailed', CausePath: '$.steps.stop.cause' }],
        ],
      ],
    ])('ends the run with a Fail state for %s', (fail, states) => {
      const source = runbookYaml(
        `  - id: stop
    ${fail}`,
        'parameters: { s: { type: string, default: x } }',
      );
      const s = compileYaml(source).definition.States;
      expect(Object.entries(s).filter(([name]) => name.startsWith('stop'))).toEqual(states);
    });

    it('jumps from a succeed step to the outputs, or to the end of its branch', () => {
      const source = runbookYaml(
        `  - id: done
    when: \${{ params.b }}
    succeed: "all good"
  - id: p
    parallel:
      branches:
        - steps:
            - id: inner
              succeed:`,
        'parameters: { b: { type: boolean, default: true } }',
      );

      const { definition } = compileYaml(source);

      expect(definition.States.done).toEqual({
        Type: 'Pass',
        Parameters: { status: 'succeeded', exitCode: null, outputs: {}, message: 'all good' },
        ResultPath: '$.steps.done',
        Next: 'Runbook.Outputs',
      });
      expect(findState(definition, 'inner').Next).toBe('p.Branch1');
    });
  });

  describe('the state data', () => {
    const source = runbookYaml(
      `  - id: a
    exec: { target: { service: api }, command: "true" }
    capture: { n: { regex: '(\\d+)', type: integer, default: 5 }, s: { regex: '(x)', type: string } }
  - id: f
    exec: { target: { service: api, pick: all }, command: "true" }
  - id: ok
    approval: { message: go }
  - id: call
    runbook: other
  - id: tell
    notify: { topic: "arn:aws:sns:eu-west-1:123456789012:t", message: "\${{ steps.call.outputs.x }}" }`,
      'parameters: { p: { type: integer, default: 3 }, q: { type: string } }',
    );

    it('initialises every step to its not-run value and merges the given params over the defaults', () => {
      const s = compileYaml(source).definition.States;

      expect(s['Runbook.Input']?.Parameters).toMatchObject({
        params: { p: 3 },
        trigger: {
          type: 'manual',
          alarm: { name: '', state: '', reason: '' },
          schedule: { time: '' },
          api: { caller: '' },
        },
        steps: {
          a: { status: 'skipped', exitCode: null, outputs: { n: 5, s: null } },
          f: { status: 'skipped', exitCode: null, outputs: { total: 0, succeeded: 0, failed: 0 } },
          ok: { status: 'skipped', exitCode: null, outputs: { approvedBy: '', comment: '' } },
          call: { status: 'skipped', exitCode: null, outputs: { x: null } },
          tell: { status: 'skipped', exitCode: null, outputs: {} },
        },
      });
      expect(s['Runbook.Params']?.Parameters).toEqual({
        'params.$': 'States.JsonMerge($.params, $.input.params, false)',
        'trigger.$': 'States.JsonMerge($.trigger, $.input.trigger, false)',
        'steps.$': '$.steps',
      });
    });

    it('builds the execution output from the outputs and the steps', () => {
      const withOutputs = `${source}\noutputs:\n  n: "\${{ steps.a.outputs.n }}"\n  label: "n=\${{ steps.a.outputs.n }}"\n  fixed: 2\n`;
      expect(compileYaml(withOutputs).definition.States['Runbook.Outputs']).toEqual({
        Type: 'Pass',
        Parameters: {
          outputs: {
            'n.$': '$.steps.a.outputs.n',
            'label.$': "States.Format('n={}', $.steps.a.outputs.n)",
            fixed: 2,
          },
          'steps.$': '$.steps',
        },
        End: true,
      });
    });

    it('lists the placeholders the definition uses', () => {
      expect(compileYaml(source).placeholders).toEqual([
        'ApprovalFnArn',
        'CheckInputFnArn',
        'ExecFnArn',
        'FanOutSummaryFnArn',
        'OutputBucket',
        'Runbook_other_Arn',
        'TargetsFnArn',
      ]);
      expect(compileYaml(runbookYaml('  - id: w\n    wait: 1s')).placeholders).toEqual(['CheckInputFnArn']);
    });

    it('passes asl-validator', () => {
      expect(validate(compileYaml(source).definition).isValid).toBe(true);
    });
  });

  describe('templates', () => {
    it('escapes intrinsic string syntax in template text', () => {
      const source = runbookYaml(
        `  - id: tell
    notify: { topic: "arn:aws:sns:eu-west-1:123456789012:t", message: "it's {x} \${{ params.s }}" }`,
        'parameters: { s: { type: string, default: a } }',
      );
      const parameters = compileYaml(source).definition.States.tell?.Parameters as Record<string, string>;
      expect(parameters['Message.$']).toBe("States.Format('it\\'s \\{x\\} {}', $.params.s)");
    });

    it('routes text with a backslash through States.Base64Decode, which asl-validator accepts', () => {
      const source = runbookYaml(
        `  - id: tell
    notify: { topic: "arn:aws:sns:eu-west-1:123456789012:t", message: 'a\\b \${{ params.s }}' }`,
        'parameters: { s: { type: string, default: a } }',
      );
      const { definition } = compileYaml(source);
      const parameters = definition.States.tell?.Parameters as Record<string, string>;
      expect(parameters['Message.$']).toBe(
        `States.Format('{}{}', States.Base64Decode('${Buffer.from('a\\b ').toString('base64')}'), $.params.s)`,
      );
      expect(validate(definition).isValid).toBe(true);
    });
  });

  describe('determinism and limits', () => {
    it('compiles a model and its JSON round trip to the same text', () => {
      const runbook = model(runbookYaml(exec('    onFailure: continue')));
      expect(compileRunbook(JSON.parse(JSON.stringify(runbook))).json).toBe(compileRunbook(runbook).json);
    });

    it('throws INVALID_MODEL when two steps share an id across parallel branches', () => {
      const runbook = model(
        runbookYaml(`  - id: p
    parallel:
      branches:
        - steps: [{ id: a, wait: 1s }]
        - steps: [{ id: b, wait: 1s }]`),
      );
      const broken = JSON.parse(JSON.stringify(runbook).replace('"id":"b"', '"id":"a"'));

      expect(() => lowerRunbook(broken)).toThrow(/two states are named "a"/);
    });

    it('throws INVALID_OPTION for an option out of range or unknown', () => {
      const runbook = model(runbookYaml(exec()));
      expect(() => lowerRunbook(runbook, { stateTailBytes: 1e6 })).toThrow(CompileError);
      expect(() => lowerRunbook(runbook, { stateTailBytes: 1e6 })).toThrow(
        /stateTailBytes is 1000000; accepted/,
      );
      expect(() => lowerRunbook(runbook, { tail: 1 } as never)).toThrow(/unknown compile option "tail"/);
    });

    it('keeps a placeholder’s count of states in step with its uses', () => {
      const { definition } = compileYaml(runbookYaml(exec()));
      expect(placeholdersOf(definition)).toEqual(['CheckInputFnArn', 'ExecFnArn', 'OutputBucket']);
    });
  });
});
