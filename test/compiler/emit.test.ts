// biome-ignore-all lint/suspicious/noTemplateCurlyInString: placeholders are ${Name} and runbook expressions ${{ … }}
import { describe, expect, it } from 'vitest';
import {
  emitDefinition,
  isPlaceholderName,
  placeholderOf,
  placeholdersOf,
  runbookArnPlaceholder,
  substitutePlaceholders,
} from '../../lib/compiler/index.ts';
import { compileYaml, runbookYaml } from './helpers.ts';

describe('emitDefinition', () => {
  it('writes two-space JSON in insertion order with a final newline', () => {
    const text = emitDefinition({ b: 1, a: [true, null, 'x'], c: {}, d: [] });
    expect(text).toBe(
      '{\n  "b": 1,\n  "a": [\n    true,\n    null,\n    "x"\n  ],\n  "c": {},\n  "d": []\n}\n',
    );
    expect(text).toBe(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
  });

  it('writes text that looks like a placeholder so that no substitution can rewrite it', () => {
    const definition = {
      Resource: '${ExecFnArn}',
      script: 'aws s3 cp x "s3://${OutputBucket}/" && echo ${RB_P_x} ${HOME}',
      note: '${ExecFnArn}',
    };

    const text = emitDefinition(definition);

    expect(text).toContain('"Resource": "${ExecFnArn}"');
    expect(text).toContain('s3://\\u0024{OutputBucket}/');
    expect(text).toContain('${RB_P_x} ${HOME}');
    expect(text).toContain('"note": "\\u0024{ExecFnArn}"');
    expect(JSON.parse(text)).toEqual(definition);
    expect(text.match(/\$\{(ExecFnArn|OutputBucket)\}/g)).toEqual(['${ExecFnArn}']);
  });

  it('keeps a user script’s placeholder-looking text out of the definition’s placeholders', () => {
    const { json, placeholders, definition } = compileYaml(
      runbookYaml(`  - id: w
    exec: { target: { service: api }, command: 'echo "\${ApprovalFnArn}"' }`),
    );
    expect(placeholders).toEqual(['CheckInputFnArn', 'ExecFnArn', 'OutputBucket']);
    expect(json).toContain('echo \\"\\u0024{ApprovalFnArn}\\"');
    expect(JSON.parse(json)).toEqual(definition);
  });

  it('throws for a number JSON cannot hold', () => {
    expect(() => emitDefinition({ n: Number.NaN })).toThrow(/holds the number NaN/);
  });
});

describe('placeholders', () => {
  it.each([
    ['purge-temp-files', 'Runbook_purge_temp_files_Arn'],
    ['a', 'Runbook_a_Arn'],
    ['a1-b2-c3', 'Runbook_a1_b2_c3_Arn'],
  ])('names the state machine ARN of runbook %s %s', (name, placeholder) => {
    expect(runbookArnPlaceholder(name)).toBe(placeholder);
    expect(isPlaceholderName(placeholder)).toBe(true);
  });

  it.each([
    ['${ExecFnArn}', 'ExecFnArn'],
    ['${Runbook_x_Arn}', 'Runbook_x_Arn'],
    ['${RB_P_x}', undefined],
    ['x ${ExecFnArn}', undefined],
    ['${Nope}', undefined],
  ])('reads %s as placeholder %s', (text, name) => {
    expect(placeholderOf(text)).toBe(name);
  });

  it('lists only whole-string placeholders under the keys that take one', () => {
    const definition = {
      States: {
        a: {
          Resource: '${ExecFnArn}',
          Parameters: { outputBucket: '${OutputBucket}', script: '${TargetsFnArn}' },
        },
        b: { Parameters: { FunctionName: '${ApprovalFnArn}', StateMachineArn: '${Runbook_c_Arn}' } },
      },
    };
    expect(placeholdersOf(definition)).toEqual([
      'ApprovalFnArn',
      'ExecFnArn',
      'OutputBucket',
      'Runbook_c_Arn',
    ]);
  });

  it('substitutes placeholders as CloudFormation does, leaving user text and unknown ones', () => {
    const definition = {
      Resource: '${ExecFnArn}',
      Parameters: {
        script: 'echo ${ExecFnArn}',
        outputBucket: '${OutputBucket}',
        FunctionName: '${ApprovalFnArn}',
      },
    };

    const substituted = substitutePlaceholders(definition, {
      ExecFnArn: 'arn:aws:lambda:eu-west-1:1:function:exec',
      OutputBucket: 'out',
    });

    expect(substituted).toEqual({
      Resource: 'arn:aws:lambda:eu-west-1:1:function:exec',
      Parameters: { script: 'echo ${ExecFnArn}', outputBucket: 'out', FunctionName: '${ApprovalFnArn}' },
    });
    expect(definition.Resource).toBe('${ExecFnArn}');
  });
});
